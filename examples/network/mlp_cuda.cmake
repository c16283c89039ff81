# examples/network/mlp_cuda.cmake — the static library shiftcurv_mlp_cuda (the CUDA backend of
# the network loss, mlp_cuda.cu), shared by the top-level build (examples/network/
# CMakeLists.txt) and the standalone GPU test project (tests/gpu/CMakeLists.txt).
#
# Needs: the CUDA language enabled and find_package(CUDAToolkit) done by the caller.
# Consumers include "network/mlp_cuda.hpp" (the header includes no CUDA header) and link
# shiftcurv_mlp_cuda; the CUDA runtime and cuBLAS come with it.
function(shiftcurv_add_mlp_cuda_library)
  set(dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  add_library(shiftcurv_mlp_cuda STATIC ${dir}/mlp_cuda.cu)
  # Headers are included as "network/mlp_cuda.hpp": the examples/ folder.
  target_include_directories(shiftcurv_mlp_cuda PUBLIC ${dir}/..)
  target_compile_features(shiftcurv_mlp_cuda PUBLIC cxx_std_17)
  # -O3, no --use_fast_math (the float64 results are compared with the CPU at 1e-10); host
  # code warnings through the host compiler.
  target_compile_options(shiftcurv_mlp_cuda PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-O3 -Xcompiler=-Wall,-Wextra>)
  set_target_properties(shiftcurv_mlp_cuda PROPERTIES
    CUDA_RUNTIME_LIBRARY Shared
    POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(shiftcurv_mlp_cuda PUBLIC CUDA::cudart CUDA::cublas)
endfunction()
