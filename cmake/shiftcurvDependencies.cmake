# The dependencies of shiftcurv's public headers, found with a message that names the Debian
# package when one is missing.  Used by shiftcurv's own CMakeLists.txt and, installed beside
# shiftcurvConfig.cmake, by find_package(shiftcurv) in a user's project, so that a missing
# dependency is reported at configure time, never as a compile error deep in a header.
#
#   Eigen3 3.4      libeigen3-dev      every header
#   Boost 1.74      libboost-dev       Math (quadrature, roots, special functions), Odeint
#   Random123       librandom123-dev   random/philox.hpp (counter-based normals)
#   Spectra 1.0     libspectra-dev     curvature/lanczos.hpp (restarted Lanczos, top-k eigenpairs)
#   Threads                            dynamics/ (ensembles run on std::thread)
#   LBFGSpp 0.1     liblbfgspp-dev     optimize/lbfgs.hpp (L-BFGS, strong-Wolfe line search)
include_guard(GLOBAL)

macro(shiftcurv_dependency_missing what package)
  set(_shiftcurv_msg "shiftcurv needs ${what}: install the Debian package ${package} "
                     "(sudo apt-get install ${package}), or point CMAKE_PREFIX_PATH at it")
  if(SHIFTCURV_FINDING_PACKAGE)
    # Inside find_package(shiftcurv): report and let find_package fail (or skip, if QUIET).
    set(shiftcurv_FOUND FALSE)
    string(JOIN "" shiftcurv_NOT_FOUND_MESSAGE ${_shiftcurv_msg})
    return()
  else()
    message(FATAL_ERROR ${_shiftcurv_msg})
  endif()
endmacro()

find_package(Eigen3 3.4 QUIET NO_MODULE)
if(NOT Eigen3_FOUND)
  shiftcurv_dependency_missing("Eigen 3.4 (Eigen3Config.cmake)" libeigen3-dev)
endif()

find_package(Boost 1.74 QUIET)
if(NOT Boost_FOUND)
  shiftcurv_dependency_missing("Boost >= 1.74 headers (Math, Odeint)" libboost-dev)
endif()

# Header-only libraries that ship no CMake package in Debian: find the header, make an imported
# target.  (A macro, as shiftcurv_dependency_missing: its return() must leave this file.)
macro(shiftcurv_header_dependency target include_dir header what package)
  if(NOT TARGET ${target})
    find_path(${include_dir} ${header})
    if(NOT ${include_dir})
      shiftcurv_dependency_missing("${what}" ${package})
    endif()
    add_library(${target} INTERFACE IMPORTED)
    set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${${include_dir}})
  endif()
endmacro()

shiftcurv_header_dependency(Random123::Random123 SHIFTCURV_RANDOM123_INCLUDE_DIR Random123/philox.h
                            "Random123 (Random123/philox.h)" librandom123-dev)
shiftcurv_header_dependency(Spectra::Spectra SHIFTCURV_SPECTRA_INCLUDE_DIR Spectra/SymEigsSolver.h
                            "Spectra (Spectra/SymEigsSolver.h)" libspectra-dev)

find_package(Threads QUIET)
if(NOT Threads_FOUND)
  shiftcurv_dependency_missing("a threads library (pthreads)" libc6-dev)
endif()

shiftcurv_header_dependency(LBFGSpp::LBFGSpp SHIFTCURV_LBFGSPP_INCLUDE_DIR LBFGS.h
                            "LBFGSpp (LBFGS.h)" liblbfgspp-dev)
