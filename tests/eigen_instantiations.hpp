// Explicit instantiation declarations (`extern template`) of the heavy Eigen decompositions of
// a dynamic double matrix that many test files reach through the library (gaussian_mixture,
// stationary_covariance, the SPD checks of the diffusion models, ...).  Included at the end of
// the tests' precompiled header (pch.hpp): no test translation unit instantiates these bodies;
// eigen_instantiations.cpp instantiates them once per build, in the object library
// shiftcurv_test_instantiations that every test executable links (tests/CMakeLists.txt).
//
// Measured (GCC 12, one small TU per decomposition, CPU s, ASan+UBSan -Og / Release -O1):
// SelfAdjointEigenSolver<MatrixXd> 23 / 6 without, 3 / 2 with these declarations; LLT 10 / 4
// -> 2.5 / 2; PartialPivLU 12 / 4.5 -> 3 / 2.3.  A test file that calls e.g. compute() on an
// expression still instantiates the thin compute<Expr> wrapper, not the kernels below.
// Tests only: the library stays header-only, the examples and install_consumer do not see
// this file.  Same flags as the test TUs (shiftcurv_test_flags), so the code is the same.
//
// One list for both: included as is, each line is a declaration (`extern template`);
// eigen_instantiations.cpp defines SHIFTCURV_EIGEN_EXTERN empty first, which makes each line
// the matching explicit instantiation definition.
#pragma once

#include <Eigen/Dense>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#ifndef SHIFTCURV_EIGEN_EXTERN
#define SHIFTCURV_EIGEN_EXTERN extern
#endif

namespace Eigen {
SHIFTCURV_EIGEN_EXTERN template class SelfAdjointEigenSolver<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template SelfAdjointEigenSolver<MatrixXd>& SelfAdjointEigenSolver<MatrixXd>::compute<MatrixXd>(
    const EigenBase<MatrixXd>&, int);
SHIFTCURV_EIGEN_EXTERN template class LLT<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template LLT<MatrixXd>& LLT<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
SHIFTCURV_EIGEN_EXTERN template class LDLT<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template LDLT<MatrixXd>& LDLT<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
SHIFTCURV_EIGEN_EXTERN template class PartialPivLU<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template class FullPivLU<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template class HouseholderQR<MatrixXd>;
// project_shift (eq 12), line_curvature's fits, flat_direction_variance's span, the 2-D
// Fokker-Planck steady state: ~25 s of front end per TU for BDCSVD alone (clang -ftime-trace).
SHIFTCURV_EIGEN_EXTERN template class BDCSVD<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template class JacobiSVD<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template class ColPivHouseholderQR<MatrixXd>;
SHIFTCURV_EIGEN_EXTERN template ColPivHouseholderQR<MatrixXd>& ColPivHouseholderQR<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
SHIFTCURV_EIGEN_EXTERN template void ColPivHouseholderQR<MatrixXd>::_solve_impl<VectorXd, VectorXd>(const VectorXd&, VectorXd&) const;
SHIFTCURV_EIGEN_EXTERN template class SparseLU<SparseMatrix<double>, COLAMDOrdering<int>>;
namespace internal {
// The kernels behind compute() for any input expression.
SHIFTCURV_EIGEN_EXTERN template void tridiagonalization_inplace<MatrixXd, VectorXd, VectorXd, VectorXd>(MatrixXd&, VectorXd&, VectorXd&,
                                                                                          VectorXd&, bool);
SHIFTCURV_EIGEN_EXTERN template ComputationInfo computeFromTridiagonal_impl<MatrixXd, VectorXd, VectorXd>(VectorXd&, VectorXd&, const Index,
                                                                                            bool, MatrixXd&);
SHIFTCURV_EIGEN_EXTERN template Index llt_inplace<double, Lower>::blocked<MatrixXd>(MatrixXd&);
SHIFTCURV_EIGEN_EXTERN template Index llt_inplace<double, Lower>::unblocked<MatrixXd>(MatrixXd&);
SHIFTCURV_EIGEN_EXTERN template struct LLT_Traits<MatrixXd, Lower>;
SHIFTCURV_EIGEN_EXTERN template bool ldlt_inplace<Lower>::unblocked<MatrixXd, Transpositions<Dynamic, Dynamic>, VectorXd>(
    MatrixXd&, Transpositions<Dynamic, Dynamic>&, VectorXd&, SignMatrix&);
}  // namespace internal
}  // namespace Eigen
