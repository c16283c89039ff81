// The explicit instantiation definitions of the declarations in eigen_instantiations.hpp (see
// there): the same list, with SHIFTCURV_EIGEN_EXTERN empty.  Compiled once per build into
// shiftcurv_test_instantiations, linked into every test executable.
#define SHIFTCURV_EIGEN_EXTERN
#include "eigen_instantiations.hpp"
