# examples/network/mlp_cuda.cmake — the static library shiftcurv_mlp_cuda (the CUDA backend of
# the network loss: mlp_cuda.cu and mlp_cuda_engine.cu), shared by the top-level build
# (examples/network/CMakeLists.txt) and the standalone GPU test project (tests/gpu/CMakeLists.txt).
#
# Needs: the CUDA language enabled and find_package(CUDAToolkit) done by the caller.
# Consumers include "network/mlp_cuda.hpp" (the header includes no CUDA header) and link
# shiftcurv_mlp_cuda; the CUDA runtime and cuBLAS come with it.
function(shiftcurv_add_mlp_cuda_library)
  set(dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  # mlp_cuda.cu: the interface; mlp_cuda_engine.cu: the engine (its kernels: mlp_cuda_kernels.cuh).
  add_library(shiftcurv_mlp_cuda STATIC ${dir}/mlp_cuda.cu ${dir}/mlp_cuda_engine.cu)
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
  if(NOT TARGET CUDA::cublas)
    shiftcurv_find_wheel_cublas()
  endif()
  target_link_libraries(shiftcurv_mlp_cuda PUBLIC CUDA::cudart CUDA::cublas)
endfunction()

# A toolkit without cuBLAS (a bare nvcc image): take the one of the Python wheel nvidia-cublas
# (what PyTorch uses), when python3 has it.
function(shiftcurv_find_wheel_cublas)
  find_program(shiftcurv_python3 python3)
  if(shiftcurv_python3)
    execute_process(COMMAND ${shiftcurv_python3} -c
      "import nvidia.cublas, os; print(list(nvidia.cublas.__path__)[0])"
      OUTPUT_VARIABLE wheel OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  if(wheel AND EXISTS ${wheel}/include/cublas_v2.h)
    file(GLOB libs ${wheel}/lib/libcublas.so*)
    if(libs)
      list(SORT libs)
      list(GET libs 0 lib)
    endif()
  endif()
  if(NOT lib)
    message(FATAL_ERROR "shiftcurv_mlp_cuda needs cuBLAS: none in the CUDA toolkit "
                        "(${CUDAToolkit_LIBRARY_DIR}) nor in python3's nvidia-cublas wheel")
  endif()
  message(STATUS "shiftcurv_mlp_cuda: cuBLAS from the Python wheel: ${lib}")
  add_library(CUDA::cublas SHARED IMPORTED GLOBAL)
  set_target_properties(CUDA::cublas PROPERTIES IMPORTED_LOCATION ${lib}
    INTERFACE_INCLUDE_DIRECTORIES ${wheel}/include)
endfunction()
