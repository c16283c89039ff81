"""shiftcurv — the statistical mechanics of SGD, from Python (the C++ library's algorithms).

Explicit losses (NumPy):
    import shiftcurv as sc
    U = sc.gaussian_wells_1d([-1, 1], [0.021, 0.1], [0.1, 0.5])      # Figure 4 (left)
    U_test = sc.gaussian_wells_1d([-1, 1], [0.021, 0.1], [0.1, 0.5], shift=0.1)
    D = sc.constant_diffusion(1e-3)
    ss = sc.SteadyState1d(U, D, 0.5, -4, 4)           # exact steady state, basin probabilities
    pred = sc.predict_test_loss(U, U_test, D, 0.5, [[-1.0], [1.0]])   # eq 3, 4, 7
    my = sc.Loss(lambda th: 0.25 * th[0]**4 - 0.5 * th[0]**2, dimension=1)  # your own callable
    fig4 = sc.synthetic_basins(preset="fig4-left")    # = synthetic_basins' CSV, column by column

A PyTorch model (shiftcurv.torch.TorchLoss: a per-sample loss of the library):
    train = TorchLoss(model, torch.nn.functional.cross_entropy, X, y, alpha=1e-3)
    sc.top_eigenpairs(train, theta, 10); sc.hutchinson_trace(train, theta, operator="diffusion")
    sc.lyapunov_covariance(train, theta, T, k=20); sc.minimize_lbfgs(train, theta)
    sc.run_protocol(train, test, theta0, seed=1, temperature=0.01, batch_size=32, epochs=5)

Results are the C++ result structs (same field names; `status`, `message`; truth value = success).
Options are keyword arguments named as the C++ options' fields (enum fields accept their names
as strings, nested options accept dicts).  Bad input raises InvalidArgument (a ValueError) or
DomainError (ValueError and ArithmeticError), whose message names the function; a computation
that cannot go on raises NumericalError (ArithmeticError).  Long computations release the GIL.
"""
from __future__ import annotations

import enum as _enum

import numpy as _np

from . import _shiftcurv
from . import _programs
from ._shiftcurv import (  # noqa: F401
    B1Case1, B1Case2, B1Case3, BatchedLoss, Diffusion, DomainError, FokkerPlanck1d, FokkerPlanck2d,
    InvalidArgument, LineRule, Loss, MinibatchSampling, NumericalError, ProbeDistribution, SdeScheme,
    SpectrumEnd, Status, SteadyState1d, constant_diffusion, constant_diffusion_matrix, dense_lyapunov,
    double_well, effective_potential, find_minimum, gaussian_mixture, gaussian_wells, gaussian_wells_1d,
    is_failure, predict_test_loss, quadratic,
)

__version__ = "0.1.0"


# ---- options from keyword arguments ------------------------------------------------------------
def _options(cls, fn, given=None, **kw):
    """An instance of the options class `cls` from an instance, a dict and/or keywords."""
    if isinstance(given, cls):
        o = given
    else:
        o = cls()
        if given is not None:
            if not isinstance(given, dict):
                raise TypeError(f"{fn}: options must be a {cls.__name__} or a dict, got {type(given).__name__}")
            kw = {**given, **kw}
    for k, v in kw.items():
        if not hasattr(o, k):
            raise TypeError(f"{fn}() got an unexpected option '{k}' (the fields of {cls.__name__})")
        cur = getattr(o, k)
        if isinstance(cur, _enum.Enum) and isinstance(v, str):
            try:
                v = type(cur)[v]
            except KeyError:
                raise InvalidArgument(f"{fn}: option {k} must be one of "
                                      f"{', '.join(type(cur).__members__)}, got '{v}'") from None
        elif isinstance(v, dict) and not isinstance(cur, (int, float, str, bool)) and cur is not None:
            v = _options(type(cur), f"{fn}: {k}", v)
        setattr(o, k, v)
    return o


def _kw(cls, fn, kw):
    """Keyword arguments with enum names and nested dicts converted (for the C++ kwargs)."""
    o = _options(cls, fn, **kw)
    return {k: getattr(o, k) for k in kw}


def _vec(x, fn, name="theta"):
    a = _np.ascontiguousarray(x, dtype=_np.float64)
    if a.ndim != 1:
        raise InvalidArgument(f"shiftcurv.{fn}: {name} must be a 1-D array, got shape {a.shape}")
    return a


def _batched(loss, fn):
    if isinstance(loss, BatchedLoss):
        return loss
    for m in ("num_samples", "dimension", "value", "gradient", "mean_value", "mean_gradient", "mean_hvp"):
        if not hasattr(loss, m):
            raise InvalidArgument(f"shiftcurv.{fn}: the loss has no member {m}() (use shiftcurv.torch.TorchLoss, "
                                  "or an object with the batched members of shiftcurv.BatchedLoss)")
    return BatchedLoss(loss)


# ---- explicit-loss pipeline: keyword options ---------------------------------------------------
_effective_potential = effective_potential
_find_minimum = find_minimum
_gaussian_mixture = gaussian_mixture
_predict_test_loss = predict_test_loss


def effective_potential(loss, noise, T, path, **options):
    """v(path[-1]) − v(path[0]) by line integrals along the polyline `path` (LineIntegralResult)."""
    return _effective_potential(loss, noise, T, [_vec(p, "effective_potential", "path point") for p in path],
                                **_kw(_shiftcurv.LineIntegralOptions, "effective_potential", options))


def find_minimum(loss, seed, **options):
    return _find_minimum(loss, _vec(seed, "find_minimum", "seed"), **_kw(_shiftcurv.FindMinimumOptions, "find_minimum", options))


def gaussian_mixture(loss, noise, T, seeds, **options):
    return _gaussian_mixture(loss, noise, T, [_vec(s, "gaussian_mixture", "seed") for s in seeds],
                             **_kw(_shiftcurv.GaussianMixtureOptions, "gaussian_mixture", options))


def predict_test_loss(train, test, noise, T, seeds, **options):
    return _predict_test_loss(train, test, noise, T, [_vec(s, "predict_test_loss", "seed") for s in seeds],
                              **_kw(_shiftcurv.PredictTestLossOptions, "predict_test_loss", options))


# ---- the paper's synthetic experiments (the programs' own code) --------------------------------
PRESETS = {  # THEORY.md, "The paper's synthetic 1-D experiments" (D = 0.001, domain [-4, 4])
    "fig4-left": dict(minima=[-1, 1], weights=[0.021, 0.1], sigmas=[0.1, 0.5], shift=0.1),
    "fig4-right": dict(minima=[-1, 1], weights=[0.019, 0.1], sigmas=[0.1, 0.5], shift=0.1),
    "fig6-left": dict(minima=[0], weights=[0.1], sigmas=[0.1], shift=0.03),
    "fig6-right": dict(minima=[-1, 0, 1], weights=[0.1, 0.051, 0.3], sigmas=[0.1, 0.05, 0.3], shift=0.1),
}
DEFAULT_TEMPERATURES = [10.0 ** (-1.0 + 4.0 * i / 32) for i in range(33)]


def _csv_list(xs):
    return ",".join(repr(float(x)) for x in _np.atleast_1d(xs))


class SyntheticModel:
    """The 1-D model of the programs synthetic_basins / langevin_ensemble / fokker_planck:
    U_tr = −Σ w_i N(θ; m_i, σ_i²) + cθ², U_test(θ) = U_tr(θ + shift), D = const:c | linear:a,b |
    affine-loss:a,b (the programs' --diffusion SPEC), reflecting domain (lo, hi)."""

    def __init__(self, preset=None, *, minima=None, weights=None, sigmas=None, shift=None,
                 diffusion="const:0.001", domain=(-4.0, 4.0), confine=0.0):
        base = dict(PRESETS["fig4-left"])
        if preset is not None:
            if preset not in PRESETS:
                raise InvalidArgument(f"shiftcurv.SyntheticModel: unknown preset '{preset}' ({', '.join(PRESETS)})")
            base = dict(PRESETS[preset])
        for k, v in dict(minima=minima, weights=weights, sigmas=sigmas, shift=shift).items():
            if v is not None:
                base[k] = v
        self._m = _programs._SyntheticModel(_csv_list(base["minima"]), _csv_list(base["weights"]),
                                             _csv_list(base["sigmas"]), float(base["shift"]), str(diffusion),
                                             float(domain[0]), float(domain[1]), float(confine))
        self.minima = list(self._m.minima)
        self.boundaries = list(self._m.boundaries)

    def table(self, temperatures=None):
        """One row per T, as synthetic_basins' CSV: a dict column name → NumPy array, in the CSV's
        column order, and `warnings` (one string per T, "" when none)."""
        Ts = DEFAULT_TEMPERATURES if temperatures is None else [float(t) for t in temperatures]
        header, cols, warnings = self._m.table(Ts)
        out = {h: _np.asarray(c) for h, c in zip(header, cols)}
        return out, list(warnings)

    def langevin_ensemble(self, T, *, particles=10000, dt=0.01, time=10.0, seed=0, scheme="euler-maruyama",
                          x0=None, threads=0):
        """The ensemble of langevin_ensemble (Langevin1dResult; .final() row = the program's CSV)."""
        return self._m.langevin(float(T), int(particles), float(dt), float(time), int(seed), str(scheme),
                                None if x0 is None else float(x0), int(threads))


def synthetic_basins(preset="fig4-left", temperatures=None, **model):
    """synthetic_basins' table from Python: (columns dict, warnings)."""
    return SyntheticModel(preset, **model).table(temperatures)


# ---- network scale: any per-sample loss with batched members (shiftcurv.torch.TorchLoss) --------
def top_eigenpairs(loss, theta, k, operator="hessian", **options):
    """The k extreme eigenpairs of ∇²U ("hessian") or of D ("diffusion") by restarted Lanczos."""
    return _shiftcurv.top_eigenpairs(_batched(loss, "top_eigenpairs"), _vec(theta, "top_eigenpairs"), int(k), operator,
                                     **_kw(_shiftcurv.TopEigenpairsOptions, "top_eigenpairs", options))


def hutchinson_trace(loss, theta, operator="hessian", **options):
    """tr ∇²U or tr D from random probes, with its standard error."""
    return _shiftcurv.hutchinson_trace(_batched(loss, "hutchinson_trace"), _vec(theta, "hutchinson_trace"), operator,
                                       **_kw(_shiftcurv.HutchinsonTraceOptions, "hutchinson_trace", options))


def spectral_density(loss, theta, operator="hessian", **options):
    """The eigenvalue density by stochastic Lanczos quadrature (.density(grid, sigma), .moment(j))."""
    return _shiftcurv.spectral_density(_batched(loss, "spectral_density"), _vec(theta, "spectral_density"), operator,
                                       **_kw(_shiftcurv.SpectralDensityOptions, "spectral_density", options))


def lyapunov_covariance(loss, theta, T, **options):
    """Σ solving HΣ + ΣH = T·D in H's top-k eigenspace at θ (k = options k, default 20)."""
    return _shiftcurv.lyapunov_covariance(_batched(loss, "lyapunov_covariance"), _vec(theta, "lyapunov_covariance"),
                                          float(T), **_kw(_shiftcurv.LyapunovCovarianceOptions, "lyapunov_covariance", options))


def minimize_lbfgs(loss, theta0, **options):
    """A local minimum by the library's L-BFGS (value_and_gradient of the loss)."""
    return _shiftcurv.minimize_lbfgs(_batched(loss, "minimize_lbfgs"), _vec(theta0, "minimize_lbfgs", "theta0"),
                                     **_kw(_shiftcurv.MinimizeLbfgsOptions, "minimize_lbfgs", options))


def sgd_options(**kw):
    return _options(_shiftcurv.SgdOptions, "sgd_options", **kw)


def sgd_iterates(loss, theta0, sgd, **record):
    """The library's SGD (eq 9/13) from θ0: burn_in steps, then `records` iterates every `thinning`."""
    return _shiftcurv.sgd_iterates(_batched(loss, "sgd_iterates"), _vec(theta0, "sgd_iterates", "theta0"),
                                   _options(_shiftcurv.SgdOptions, "sgd_iterates", sgd),
                                   _options(_shiftcurv.SgdRecordOptions, "sgd_iterates", **record))


def sgd_minibatches(num_samples, sgd, seed, steps, trajectory=0):
    """The row indices the library's SGD uses at steps 0..steps−1 (steps × B)."""
    return _shiftcurv.sgd_minibatches(int(num_samples), _options(_shiftcurv.SgdOptions, "sgd_minibatches", sgd),
                                      int(seed), int(trajectory), int(steps))


def line_protocol(train, test, theta_sgd, **options):
    """Steps 2–3 of the network protocol from a given θ: L-BFGS to both minima, the line and its fits."""
    return _shiftcurv.line_protocol(_batched(train, "line_protocol"), _batched(test, "line_protocol"),
                                    _vec(theta_sgd, "line_protocol", "theta_sgd"),
                                    _options(_shiftcurv.LineProtocolOptions, "line_protocol", **options))


def run_protocol(train, test, theta0, seed, **options):
    """The network protocol: SGD at T (λ = T·B), L-BFGS to θ_tr and θ_test, the line, eq 3."""
    return _shiftcurv.run_protocol(_batched(train, "run_protocol"), _batched(test, "run_protocol"),
                                   _vec(theta0, "run_protocol", "theta0"),
                                   _options(_shiftcurv.LineProtocolOptions, "run_protocol", **options), int(seed))


def test_loss_terms(train, test, theta_tr, theta_test, sgd, **options):
    """eq 4's terms at network scale: measured from SGD iterates and predicted (Lyapunov, ∇·D)."""
    return _shiftcurv.test_loss_terms(_batched(train, "test_loss_terms"), _batched(test, "test_loss_terms"),
                                      _vec(theta_tr, "test_loss_terms", "theta_tr"),
                                      _vec(theta_test, "test_loss_terms", "theta_test"),
                                      _options(_shiftcurv.SgdOptions, "test_loss_terms", sgd),
                                      _options(_shiftcurv.TestLossTermsOptions, "test_loss_terms", **options))


test_loss_terms.__test__ = False  # not a pytest test


def flat_direction_variance(loss, theta_star, sgd, **options):
    """Appendix D.1: the stationary variance of eq-13 SGD along the flat directions, vs Tβ²/(2α)."""
    return _shiftcurv.flat_direction_variance(_batched(loss, "flat_direction_variance"),
                                              _vec(theta_star, "flat_direction_variance", "theta_star"),
                                              _options(_shiftcurv.SgdOptions, "flat_direction_variance", sgd),
                                              _options(_shiftcurv.FlatDirectionVarianceOptions, "flat_direction_variance", **options))
