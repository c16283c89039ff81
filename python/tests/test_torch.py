"""The PyTorch bridge (shiftcurv.torch.TorchLoss) and the network-scale algorithms on it, each
against an independent reference: the C++ MLP adapter (through network_probe), dense Hessians
(torch.autograd.functional.hessian), dense per-sample gradients, SciPy's Lyapunov solver,
least squares in closed form."""
import math
import pathlib

import numpy as np
import pytest
import scipy.linalg
import torch

import shiftcurv as sc
from shiftcurv.torch import TorchLoss
from conftest import digits, run

torch.set_default_dtype(torch.float64)


def mlp(widths, seed=0):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """network_probe's numbers for the 64-16-10 MLP at its seed-1 θ, α = 1e-3 (C++ adapter)."""
    out = tmp_path_factory.mktemp("probe")
    run("network_probe", "--hidden=16", "--seed=1", f"--out={out}", "--alpha=1e-3", "--sample-rows=5")
    read = lambda n: np.loadtxt(out / f"{n}.txt", ndmin=1)
    d = {n: read(n) for n in ("theta", "v", "train_loss", "grad", "hvp", "dv", "trace_d", "test_loss")}
    d["sample_gradients"] = np.loadtxt(out / "sample_gradients.txt", delimiter=",", ndmin=2)
    return d


@pytest.fixture(scope="module")
def digits_loss():
    X, y = digits()
    net = mlp([64, 16, 10])
    tr = TorchLoss(net, torch.nn.functional.cross_entropy, torch.tensor(X[:1000]), torch.tensor(y[:1000]), alpha=1e-3)
    te = TorchLoss(net, torch.nn.functional.cross_entropy, torch.tensor(X[1000:]), torch.tensor(y[1000:]))
    return tr, te


def test_bridge_equals_the_cpp_mlp_adapter(probe, digits_loss):
    # Same parameter layout: each layer's W row-major (out × in), then b — torch.nn.Linear's.
    tr, te = digits_loss
    th, v = probe["theta"], probe["v"]
    assert tr.dimension() == th.size == 64 * 16 + 16 + 16 * 10 + 10
    assert abs(tr.mean_value(th) - probe["train_loss"][0]) <= 1e-10 * abs(probe["train_loss"][0])
    assert abs(te.mean_value(th) - probe["test_loss"][0]) <= 1e-10 * abs(probe["test_loss"][0])
    assert rel(tr.mean_gradient(th), probe["grad"]) <= 1e-10
    assert rel(tr.mean_hvp(th, v), probe["hvp"]) <= 1e-10
    assert rel(tr.covariance_apply(th, v), probe["dv"]) <= 1e-10
    assert abs(tr.covariance_trace(th) - probe["trace_d"][0]) <= 1e-10 * probe["trace_d"][0]
    value, grad = tr.value_and_gradient(th)
    assert abs(value - probe["train_loss"][0]) <= 1e-10 * abs(value) and rel(grad, probe["grad"]) <= 1e-10


def test_per_sample_rows(probe, digits_loss):
    tr, _ = digits_loss
    th, v = probe["theta"], probe["v"]
    G = tr.sample_gradients(th)                       # N × p, ℓ2 term included per row
    assert G.shape == (1000, th.size)
    for i in range(5):                                # the C++ adapter's rows (network_probe)
        assert rel(G[i], probe["sample_gradients"][i]) <= 1e-10
    for i in (0, 17, 999):                            # rows = the single-sample gradients
        assert rel(G[i], tr.gradient(th, i)) <= 1e-12
    # Their mean and their covariance applied to v are the C++ adapter's gradient and D·v.
    assert rel(G.mean(0), probe["grad"]) <= 1e-10
    C = G - G.mean(0)
    assert rel(C.T @ (C @ v) / 1000, probe["dv"]) <= 1e-10
    rows = np.array([3, 3, 5, 998, 3])                # repetitions allowed
    assert rel(tr.minibatch_gradient(th, rows), G[rows].mean(0)) <= 1e-12
    tr.max_sample_gradient_bytes = 1000
    with pytest.raises(sc.InvalidArgument, match="max_sample_gradient_bytes"):
        tr.sample_gradients(th)
    tr.max_sample_gradient_bytes = 1 << 30


@pytest.fixture(scope="module")
def small():
    """A 3-4-2 tanh net on 40 random points (p = 26): dense references are cheap."""
    g = torch.Generator().manual_seed(3)
    X = torch.randn(40, 3, generator=g)
    y = torch.randint(0, 2, (40,), generator=g)
    net = mlp([3, 4, 2], seed=5)
    L = TorchLoss(net, torch.nn.functional.cross_entropy, X, y, alpha=0.01, chunk_size=16)
    th = L.initial_parameters()

    def mean_loss(t):
        out = torch.func.functional_call(net, L._unflatten(t), (X,)) if hasattr(torch, "func") else \
            torch.nn.utils.stateless.functional_call(net, L._unflatten(t), (X,))
        return torch.nn.functional.cross_entropy(out, y) + 0.5 * 0.01 * t.dot(t)

    H = torch.autograd.functional.hessian(mean_loss, torch.tensor(th)).numpy()
    G = np.stack([L.gradient(th, i) for i in range(40)])
    D = np.cov(G.T, bias=True)
    return L, th, H, D, X, y, net


def test_top_eigenpairs_against_the_dense_hessian(small):
    L, th, H, _, *_ = small
    r = sc.top_eigenpairs(L, th, 4, tolerance=1e-12)
    assert r, r.message
    lam = np.sort(np.linalg.eigvalsh(H))[::-1][:4]
    assert np.max(np.abs(r.values - lam)) <= 1e-9 * np.max(np.abs(lam))
    # |λ − λ_exact| ≤ residual (Weyl): the vectors are eigenvectors of the dense H.
    for j in range(4):
        u = r.vectors[:, j]
        assert np.linalg.norm(H @ u - r.values[j] * u) <= 1e-7


def test_hutchinson_and_slq_against_dense(small):
    L, th, H, D, *_ = small
    t = sc.hutchinson_trace(L, th, operator="diffusion", probes=400, seed=2)
    assert t, t.message
    assert abs(t.value - np.trace(D)) <= 4 * t.standard_error      # 4 s.e. of the estimator
    sd = sc.spectral_density(L, th, probes=20, steps=26)            # m = p: exact per probe
    m2 = sd.moment(2)
    assert abs(m2 - np.trace(H @ H) / H.shape[0]) <= 4 * sd.moment_standard_error(2) + 1e-12


def test_lyapunov_covariance_against_scipy(small):
    L, th, H, D, *_ = small
    T, k = 0.05, 5
    r = sc.lyapunov_covariance(L, th, T, k=k)
    w, V = np.linalg.eigh(H)
    Q, lam = V[:, ::-1][:, :k], w[::-1][:k]
    S = scipy.linalg.solve_continuous_lyapunov(np.diag(lam), T * Q.T @ D @ Q)   # ΛS + SΛ = T QᵀDQ
    ref = Q @ S @ Q.T
    assert np.max(np.abs(r.dense() - ref)) <= 1e-8 * np.max(np.abs(ref))
    u = np.ones(th.size) / math.sqrt(th.size)
    assert abs(r.variance_along(u) - u @ ref @ u) <= 1e-8 * np.max(np.abs(ref))
    # k = p: the full equation HΣ + ΣH = T·D (H positive definite here? only where it is)
    if np.all(w > 0):
        full = sc.dense_lyapunov(H, D, T).dense()
        assert np.max(np.abs(full - scipy.linalg.solve_continuous_lyapunov(H, T * D))) <= 1e-8 * np.max(np.abs(full))


def test_covariance_divergence_exact_and_hutchinson(small):
    L, th, H, D, X, y, net = small
    # Brute force: per-sample Hessians H_i densely, ∇·D = (1/N) Σ [H_i c_i + c_i tr H_i].
    n = X.shape[0]

    def sample_loss(t, i):
        out = (torch.func.functional_call if hasattr(torch, "func") else torch.nn.utils.stateless.functional_call)(
            net, L._unflatten(t), (X[i:i + 1],))
        return torch.nn.functional.cross_entropy(out, y[i:i + 1])

    t0 = torch.tensor(th)
    Hs = [torch.autograd.functional.hessian(lambda t: sample_loss(t, i), t0).numpy() for i in range(n)]
    G = np.stack([L.gradient(th, i) for i in range(n)]) - 0.01 * th
    C = G - G.mean(0)
    ref = sum(Hs[i] @ C[i] + C[i] * np.trace(Hs[i]) for i in range(n)) / n
    L.exact_divergence_max_p = 64
    exact = L.covariance_divergence(th)
    assert rel(exact, ref) <= 1e-10
    L.exact_divergence_max_p = 0
    L.divergence_probes = 200
    est = L.covariance_divergence(th)
    se = L.last_divergence_standard_error
    assert np.all(np.abs(est - ref) <= 4 * se + 1e-14)      # 4 s.e., per coordinate
    L.exact_divergence_max_p = 64


def linear_regression(seed, n=60, d=5):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    w = torch.randn(d, generator=g)
    y = X @ w + 0.3 * torch.randn(n, generator=g)
    net = torch.nn.Linear(d, 1, bias=False)
    mse = lambda out, t: 0.5 * ((out.squeeze(-1) - t) ** 2).sum()
    return TorchLoss(net, mse, X, y), X.numpy(), y.numpy()


def test_lbfgs_finds_the_least_squares_solution():
    L, X, y = linear_regression(1)
    r = sc.minimize_lbfgs(L, np.zeros(5), gradient_tolerance=1e-8)
    assert r, r.message
    H = X.T @ X / 60
    ref = np.linalg.solve(X.T @ X, X.T @ y)
    # U quadratic: |θ − θ*| ≤ |∇U(θ)| / λ_min(H), and |∇U(θ)| ≤ the tolerance met
    assert np.linalg.norm(r.theta - ref) <= 1.0001 * r.gradient_norm / np.linalg.eigvalsh(H)[0] + 1e-14
    assert r.gradient_norm <= 1e-8


def test_sgd_iterates_follow_the_library_minibatches():
    L, X, y = linear_regression(2)
    sgd = dict(learning_rate=0.05, batch_size=4, alpha=0.1)
    r = sc.sgd_iterates(L, np.zeros(5), sgd, burn_in=0, records=6, thinning=1, seed=9)
    assert r, r.message
    rows = sc.sgd_minibatches(60, sgd, seed=9, steps=6)
    th = np.zeros(5)
    for s in range(6):                                   # θ ← θ − λ[(1/B) Σ g_i + αθ]
        b = rows[s]
        g = (X[b].T @ (X[b] @ th - y[b])) / 4
        th = th - 0.05 * (g + 0.1 * th)
        assert np.max(np.abs(r.iterates[:, s] - th)) <= 1e-12 * max(1, np.max(np.abs(th)))


def test_line_protocol_on_two_regressions_against_closed_forms():
    tr, Xa, ya = linear_regression(3)
    te, Xb, yb = linear_regression(4)
    th0 = np.zeros(5)
    r = sc.line_protocol(tr, te, th0, line_points=9, line_extent=0.5, descent=dict(gradient_tolerance=1e-8))
    assert r.status in (sc.Status.success, sc.Status.tolerance_not_met), r.message
    a = np.linalg.solve(Xa.T @ Xa, Xa.T @ ya)
    b = np.linalg.solve(Xb.T @ Xb, Xb.T @ yb)
    s = b - a
    C_tr, C_test = Xa.T @ Xa / 60, Xb.T @ Xb / 60
    # the descents stop at |∇U| ≤ 1e-8: |θ − θ*| ≤ 1e-8 / λ_min (quadratic losses)
    da, db = 1e-8 / np.linalg.eigvalsh(C_tr)[0], 1e-8 / np.linalg.eigvalsh(C_test)[0]
    assert np.linalg.norm(r.theta_tr - a) <= da and np.linalg.norm(r.theta_test - b) <= db
    # sᵀCs at the found minima: first-order error 2|Cs|(da + db), plus rounding
    sCs = s @ C_test @ s
    err = 2 * np.linalg.norm(C_test @ s) * (da + db) + 1e-12 * sCs
    assert abs(r.shift_curvature_hvp - sCs) <= err
    # quadratic losses: eq 3 is exact, U_test(θ_tr) = U_test(θ_test) + ½ sᵀC s (same error budget)
    assert abs(r.eq3_prediction - r.test_at_train_min) <= err


def test_gil_is_released_and_python_errors_propagate(small):
    L, th, *_ = small

    class Broken(TorchLoss):
        def mean_hvp(self, theta, v):
            raise RuntimeError("boom from Python")

    B = Broken(L.model, L.loss_fn, L.inputs, L.targets)
    with pytest.raises(RuntimeError, match="boom from Python"):
        sc.top_eigenpairs(B, th, 2)


def test_test_loss_terms_predicted_sigma_against_scipy():
    tr, Xa, ya = linear_regression(5)
    te, Xb, yb = linear_regression(6)
    a = np.linalg.solve(Xa.T @ Xa, Xa.T @ ya)
    b = np.linalg.solve(Xb.T @ Xb, Xb.T @ yb)
    sgd = dict(learning_rate=0.02, batch_size=4)
    T = 0.02 / 4
    r = sc.test_loss_terms(tr, te, a, b, sgd, k=5, samples=100, thinning=5, burn_in=200, seed=3)
    assert not sc.is_failure(r.status), r.message
    H, C = Xa.T @ Xa / 60, Xb.T @ Xb / 60
    G = Xa * (Xa @ a - ya)[:, None]                      # per-sample gradients at θ_tr
    D = np.cov(G.T, bias=True)
    Sigma = scipy.linalg.solve_continuous_lyapunov(H, T * D)   # HΣ + ΣH = T·D
    ref = 0.5 * np.trace(C @ Sigma)
    assert abs(r.predicted.covariance_curvature - ref) <= 1e-8 * ref
    s = b - a
    assert abs(r.shift_curvature - 0.5 * s @ C @ s) <= 1e-10 * (s @ C @ s)
    assert abs(r.test_depth - te.mean_value(b)) <= 1e-12 * abs(te.mean_value(b))
    assert abs(r.temperature - T) <= 1e-15


def test_flat_direction_variance_of_a_linear_model():
    # p = 10 > N = 6: the flat directions see only the eq-13 terms, so the discrete prediction
    # Tβ²/(α(2 − λα)) is exact for this linear model (the header's contract); 4 s.e.
    g = torch.Generator().manual_seed(8)
    X = torch.randn(6, 10, generator=g)
    y = torch.randn(6, generator=g)
    net = torch.nn.Linear(10, 1, bias=False)
    mse = lambda out, t: 0.5 * ((out.squeeze(-1) - t) ** 2).sum()
    L = TorchLoss(net, mse, X, y)
    Xn, yn, alpha = X.numpy(), y.numpy(), 0.5
    theta = np.linalg.solve(Xn.T @ Xn / 6 + alpha * np.eye(10), Xn.T @ yn / 6)   # min of U + α/2|θ|²
    sgd = dict(learning_rate=0.05, batch_size=2, alpha=alpha, beta=1.0)
    r = sc.flat_direction_variance(L, theta, sgd, sample_relaxations=100, seed=4)
    assert r.rank == 6, r.message
    assert abs(r.variance - r.prediction_discrete) <= 4 * r.standard_error, (r.variance, r.prediction_discrete, r.standard_error)
    lam, T = 0.05, 0.05 / 2
    assert abs(r.prediction_discrete - T / (alpha * (2 - lam * alpha))) <= 1e-14
