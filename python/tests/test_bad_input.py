"""Bad input: an exception of the library's types whose message names the function called,
and nothing half-done."""
import math

import numpy as np
import pytest
import torch

import shiftcurv as sc
from shiftcurv.torch import TorchLoss


def test_exception_types():
    assert issubclass(sc.InvalidArgument, ValueError)
    assert issubclass(sc.DomainError, ValueError) and issubclass(sc.DomainError, ArithmeticError)
    assert issubclass(sc.NumericalError, ArithmeticError)


def test_temperature_not_positive():
    U = sc.double_well(1)
    D = sc.constant_diffusion(1.0)
    for T in (0.0, -1.0):
        with pytest.raises(sc.DomainError, match="steady_state_1d"):
            sc.SteadyState1d(U, D, T, -2, 2)
        with pytest.raises(sc.DomainError, match="gaussian_mixture"):
            sc.gaussian_mixture(U, D, T, [[1.0]])
    with pytest.raises(sc.InvalidArgument, match="effective_potential"):
        sc.effective_potential(U, D, math.nan, [[0.0], [1.0]])


def test_sizes_and_nan():
    U = sc.quadratic(np.eye(2))
    D = sc.constant_diffusion(1.0, 2)
    with pytest.raises(sc.InvalidArgument, match="predict_test_loss"):
        sc.predict_test_loss(U, U, D, 0.1, [[0.1, 0.2, 0.3]])
    with pytest.raises(sc.InvalidArgument, match="gaussian_mixture"):
        sc.gaussian_mixture(U, D, 0.1, [[math.nan, 0.0]])
    with pytest.raises(sc.InvalidArgument, match="predict_test_loss"):
        sc.predict_test_loss(U, U, sc.constant_diffusion(1.0, 3), 0.1, [[0.0, 0.0]])
    with pytest.raises(sc.InvalidArgument, match="Loss.gradient"):
        U.gradient(np.zeros(3))
    with pytest.raises(sc.InvalidArgument, match="gaussian_wells_1d"):
        sc.gaussian_wells_1d([0.0, 1.0], [1.0], [0.1, 0.1])


def test_unknown_option_and_bad_enum_name():
    U = sc.double_well(1)
    D = sc.constant_diffusion(1.0)
    with pytest.raises(TypeError, match="tolerence"):
        sc.effective_potential(U, D, 0.5, [[0.0], [1.0]], tolerence=1e-9)
    with pytest.raises(sc.InvalidArgument, match="rule"):
        sc.effective_potential(U, D, 0.5, [[0.0], [1.0]], rule="simpson")


def test_python_callable_returning_the_wrong_shape():
    bad = sc.Loss(lambda th: 0.5 * float(th @ th), dimension=2, gradient=lambda th: np.zeros(3))
    with pytest.raises(sc.InvalidArgument, match="gradient"):
        sc.find_minimum(bad, [1.0, 1.0])
    nan = sc.Loss(lambda th: "x", dimension=1)
    with pytest.raises(sc.InvalidArgument, match="value"):
        nan(np.zeros(1))


def test_synthetic_model_bad_flags_name_the_flag():
    with pytest.raises(sc.InvalidArgument, match="--sigmas"):
        sc.SyntheticModel(minima=[0, 1], weights=[1, 1], sigmas=[0.1, -0.1])
    with pytest.raises(sc.InvalidArgument, match="--diffusion"):
        sc.SyntheticModel("fig4-left", diffusion="quadratic:1")
    m = sc.SyntheticModel("fig4-left")
    with pytest.raises(sc.InvalidArgument, match="--temperatures"):
        m.table([0.1, -1.0])
    with pytest.raises(sc.InvalidArgument, match="--scheme"):
        m.langevin_ensemble(0.5, scheme="rk4")


def small_loss(**kw):
    X = torch.randn(10, 3)
    y = torch.randint(0, 2, (10,))
    return TorchLoss(torch.nn.Linear(3, 2), torch.nn.functional.cross_entropy, X, y, **kw)


def test_torch_loss_construction():
    X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    with pytest.raises(sc.InvalidArgument, match="no parameters"):
        TorchLoss(torch.nn.Tanh(), torch.nn.functional.cross_entropy, X, y)
    with pytest.raises(sc.InvalidArgument, match="targets"):
        TorchLoss(torch.nn.Linear(3, 2), torch.nn.functional.cross_entropy, X, y[:9])
    with pytest.raises(sc.InvalidArgument, match="NaN"):
        TorchLoss(torch.nn.Linear(3, 2), torch.nn.functional.cross_entropy, X * math.nan, y)
    with pytest.raises(sc.InvalidArgument, match="alpha"):
        TorchLoss(torch.nn.Linear(3, 2), torch.nn.functional.cross_entropy, X, y, alpha=-1.0)
    with pytest.raises(sc.InvalidArgument, match="scalar"):
        TorchLoss(torch.nn.Linear(3, 2), lambda o, t: o, X, y)


def test_network_functions_name_themselves():
    L = small_loss()
    th = L.initial_parameters()
    with pytest.raises(sc.InvalidArgument, match="top_eigenpairs"):
        sc.top_eigenpairs(L, th[:-1], 2)
    bad = th.copy()
    bad[0] = math.nan
    with pytest.raises(sc.InvalidArgument, match="hutchinson_trace"):
        sc.hutchinson_trace(L, bad)
    with pytest.raises(sc.InvalidArgument, match="operator"):
        sc.top_eigenpairs(L, th, 2, operator="jacobian")
    with pytest.raises(sc.DomainError, match="lyapunov_covariance"):
        sc.lyapunov_covariance(L, th, 0.0, k=2)
    with pytest.raises(sc.InvalidArgument, match="minimize_lbfgs"):
        sc.minimize_lbfgs(L, np.full(th.size, math.inf))
    with pytest.raises(sc.InvalidArgument, match="top_eigenpairs: the loss has no member"):
        sc.top_eigenpairs(object(), th, 2)
    with pytest.raises(sc.InvalidArgument, match="minibatch_gradient"):
        L.minibatch_gradient(th, [0, 10])
