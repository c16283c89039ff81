// The explicit instantiation definitions matching eigen_instantiations.hpp (see there): compiled
// once per build into shiftcurv_test_instantiations, linked into every test executable.
// Keep the two lists identical (a declaration without a definition here fails at link time).
#include "eigen_instantiations.hpp"


namespace Eigen {
template class SelfAdjointEigenSolver<MatrixXd>;
template SelfAdjointEigenSolver<MatrixXd>& SelfAdjointEigenSolver<MatrixXd>::compute<MatrixXd>(
    const EigenBase<MatrixXd>&, int);
template class LLT<MatrixXd>;
template LLT<MatrixXd>& LLT<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
template class LDLT<MatrixXd>;
template LDLT<MatrixXd>& LDLT<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
template class PartialPivLU<MatrixXd>;
template class FullPivLU<MatrixXd>;
template class HouseholderQR<MatrixXd>;
template class BDCSVD<MatrixXd>;
template class JacobiSVD<MatrixXd>;
template class ColPivHouseholderQR<MatrixXd>;
template ColPivHouseholderQR<MatrixXd>& ColPivHouseholderQR<MatrixXd>::compute<MatrixXd>(const EigenBase<MatrixXd>&);
template void ColPivHouseholderQR<MatrixXd>::_solve_impl<VectorXd, VectorXd>(const VectorXd&, VectorXd&) const;
template class SparseLU<SparseMatrix<double>, COLAMDOrdering<int>>;
namespace internal {
// The kernels behind compute() for any input expression.
template void tridiagonalization_inplace<MatrixXd, VectorXd, VectorXd, VectorXd>(MatrixXd&, VectorXd&, VectorXd&,
                                                                                          VectorXd&, bool);
template ComputationInfo computeFromTridiagonal_impl<MatrixXd, VectorXd, VectorXd>(VectorXd&, VectorXd&, const Index,
                                                                                            bool, MatrixXd&);
template Index llt_inplace<double, Lower>::blocked<MatrixXd>(MatrixXd&);
template Index llt_inplace<double, Lower>::unblocked<MatrixXd>(MatrixXd&);
template struct LLT_Traits<MatrixXd, Lower>;
template bool ldlt_inplace<Lower>::unblocked<MatrixXd, Transpositions<Dynamic, Dynamic>, VectorXd>(
    MatrixXd&, Transpositions<Dynamic, Dynamic>&, VectorXd&, SignMatrix&);
}  // namespace internal
}  // namespace Eigen
