"""The explicit-loss API against the C++ programs' CSVs and against closed forms."""
import math

import numpy as np
import pytest
from scipy import integrate

import shiftcurv as sc
from conftest import read_csv_text, run


def same(a, b):
    """Equal as doubles, NaN equal to NaN (the programs print 17 significant digits: exact)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("preset,Ts", [("fig4-left", None),                      # the demo: 33 log-spaced T
                                       ("fig6-right", [0.1, 3.1622776601683795, 100.0])])
def test_synthetic_table_equals_program_csv(preset, Ts):
    args = [f"--preset={preset}", "--csv=-"]
    if Ts is not None:
        args.append("--temperatures=" + ",".join(repr(t) for t in Ts))
    header, rows = read_csv_text(run("synthetic_basins", *args))
    cols, warnings = sc.synthetic_basins(preset, temperatures=Ts)
    assert list(cols) == header
    for j, h in enumerate(header):
        assert same(cols[h], rows[:, j]), h
    assert len(warnings) == rows.shape[0] == (33 if Ts is None else len(Ts))


def test_synthetic_table_other_diffusions_equal_program_csv():
    args = ["--minima=-1,0.5", "--weights=0.05,0.1", "--sigmas=0.2,0.4", "--shift=0.05", "--domain=-3,3",
            "--confine=0.01"]
    for spec in ("linear:0.002,0.0003", "affine-loss:0.001,0.5"):
        header, rows = read_csv_text(run("synthetic_basins", *args, f"--diffusion={spec}", "--temperatures=0.2,2", "--csv=-"))
        cols, _ = sc.synthetic_basins(None, temperatures=[0.2, 2], minima=[-1, 0.5], weights=[0.05, 0.1],
                                      sigmas=[0.2, 0.4], shift=0.05, diffusion=spec, domain=(-3, 3), confine=0.01)
        for j, h in enumerate(header):
            assert same(cols[h], rows[:, j]), (spec, h)


@pytest.mark.parametrize("scheme", ["euler-maruyama", "weak2"])
def test_langevin_ensemble_equals_program_csv(scheme):
    flags = dict(T=0.5, particles=3000, dt=0.01, time=2.0, seed=7)
    header, rows = read_csv_text(run("langevin_ensemble", "--minima=-1,1",
                                     "--weights=0.021,0.1", "--sigmas=0.1,0.5", "--shift=0.1", "--diffusion=const:0.001",
                                     f"--temperature={flags['T']}", f"--particles={flags['particles']}",
                                     f"--dt={flags['dt']}", f"--time={flags['time']}", f"--seed={flags['seed']}",
                                     f"--scheme={scheme}", "--threads=2", "--csv=-"))
    m = sc.SyntheticModel("fig4-left")
    r = m.langevin_ensemble(flags["T"], particles=flags["particles"], dt=flags["dt"], time=flags["time"],
                            seed=flags["seed"], scheme=scheme, threads=1)
    assert r, r.message
    s = r.snapshots[-1]
    got = [flags["T"], r.particles, r.steps, s.mean_train_loss, s.mean_test_loss, *s.occupancy]
    assert header[:5] == ["T", "particles", "steps", "mean_train_loss", "mean_test_loss"]
    assert same(got, rows[0])


def test_b1_case1_effective_potential_closed_form():
    H = np.array([[2.0, 0.5], [0.5, 1.0]])
    c = sc.B1Case1(H, 0.5)
    T = 0.3
    a, b = np.array([0.2, -0.4]), np.array([-0.7, 0.9])
    r = sc.effective_potential(c.loss, c.noise, T, [a, b], tolerance=1e-12)
    assert r, r.message
    exact = c.potential(T, b) - c.potential(T, a)
    assert abs(r.value - exact) <= 1e-10 * max(1.0, abs(exact))
    assert r.error_estimate <= 1e-9


def test_b1_case3_fokker_planck_2d_is_exp_minus_2v_over_T_at_the_nodes():
    c = sc.B1Case3(np.array([1.0, 2.0]), 0.7)
    T = 0.5
    fp = sc.FokkerPlanck2d(c.loss, c.noise, T, (-3.0, -3.0), (3.0, 3.0), (40, 50))
    ss = fp.steady_state()
    assert ss, ss.message
    rho = fp.density()
    x, y = fp.centres(0), fp.centres(1)
    logr = np.log(rho)
    v = np.array([[c.potential(T, np.array([xi, yj])) for yj in y] for xi in x])
    ref = -2.0 / T * v
    # Exact at the nodes up to the quadrature of ∫U'/D along the grid (THEORY.md): 1e-7 in log ρ.
    d = (logr - logr[20, 25]) - (ref - ref[20, 25])
    assert np.max(np.abs(d)) < 1e-6
    dx, dy = x[1] - x[0], y[1] - y[0]
    assert abs(rho.sum() * dx * dy - 1) < 1e-12


def test_steady_state_1d_against_scipy_quadrature():
    U = sc.double_well(1)
    D = sc.constant_diffusion(0.8)
    T = 0.5
    ss = sc.SteadyState1d(U, D, T, -2.0, 2.5)
    assert ss.status == sc.Status.success, ss.message
    f = lambda x: math.exp(-2.0 / (T * 0.8) * (0.25 * x**4 - 0.5 * x**2))
    z = integrate.quad(f, -2.0, 2.5, epsabs=0, epsrel=1e-13, limit=200)[0]
    left = integrate.quad(f, -2.0, 0.0, epsabs=0, epsrel=1e-13, limit=200)[0] / z
    b = ss.basins()
    assert len(b) == 2 and abs(b[0].upper) < 1e-6
    assert abs(b[0].probability - left) < 1e-9
    assert abs(b[1].probability - (1 - left)) < 1e-9
    e = ss.expected_loss(U)
    ref = integrate.quad(lambda x: (0.25 * x**4 - 0.5 * x**2) * f(x), -2.0, 2.5, epsabs=0, epsrel=1e-13, limit=200)[0] / z
    assert abs(e.value - ref) < 1e-9
    assert abs(ss.density(0.3) - f(0.3) / z) < 1e-9 * f(0.3) / z


def test_predict_test_loss_quadratic_closed_form():
    # U_tr = ½hθ², U_test = ½h(θ − s)², D = c: one basin, Σ = (T/2)(c/h), b = 0, so eq 4 is
    # ½h·Σ + ½h s² (THEORY.md eq 4 with U_test(θ_test) = 0).
    h, s, c, T = 3.0, 0.2, 0.5, 0.1
    tr = sc.quadratic(np.array([[h]]))
    te = sc.quadratic(np.array([[h]]), np.array([s]))
    pred = sc.predict_test_loss(tr, te, sc.constant_diffusion(c), T, [[0.3]])
    assert pred, pred.message
    d = pred.decomposition.overall
    assert abs(d.covariance_curvature - 0.5 * h * (T / 2) * c / h) < 1e-10
    assert abs(d.shift_curvature - 0.5 * h * s * s) < 1e-10
    assert abs(d.total_eq4 - (T * c / 4 + 0.5 * h * s * s)) < 1e-10
    assert len(pred.basins) == 1 and abs(pred.basins[0].weight - 1) < 1e-15


def test_python_callable_equals_ready_family():
    m, w, s = np.array([-1.0, 1.0]), np.array([0.021, 0.1]), np.array([0.1, 0.5])

    def U(th):
        x = th[0]
        return float(-np.sum(w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))))

    def dU(th):
        x = th[0]
        return np.array([np.sum(w * (x - m) / s**2 * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)))])

    mine = sc.Loss(U, dimension=1, gradient=dU, name="wells")
    ready = sc.gaussian_wells_1d(m, w, s)
    th = np.array([0.37])
    assert abs(mine(th) - ready(th)) < 1e-15
    assert abs(mine.gradient(th)[0] - ready.gradient(th)[0]) < 1e-14
    assert abs(mine.hessian(th)[0, 0] - ready.hessian(th)[0, 0]) < 1e-6 * abs(ready.hessian(th)[0, 0])
    D = sc.constant_diffusion(1e-3)
    a = sc.gaussian_mixture(mine, D, 0.5, [[-1.0], [1.0]])
    b = sc.gaussian_mixture(ready, D, 0.5, [[-1.0], [1.0]])
    for ca, cb in zip(a.components, b.components):
        assert abs(ca.weight - cb.weight) < 1e-6
        assert abs(ca.mu[0] - cb.mu[0]) < 1e-8


def test_gaussian_mixture_weights_of_the_fig4_preset_equal_the_table():
    cols, _ = sc.synthetic_basins("fig4-left", temperatures=[0.5])
    U = sc.gaussian_wells_1d([-1, 1], [0.021, 0.1], [0.1, 0.5])
    gm = sc.gaussian_mixture(U, sc.constant_diffusion(1e-3), 0.5, [[-1.0], [1.0]])
    # The table's w_laplace is the mixture's weight (constant D as constant_diffusion in both).
    assert abs(gm.components[0].weight - cols["w_laplace_0"][0]) < 1e-12
    assert abs(gm.components[1].weight - cols["w_laplace_1"][0]) < 1e-12


def test_fokker_planck_1d_steady_state_matches_the_exact_steady_state():
    U = sc.gaussian_wells_1d([-1, 1], [0.021, 0.1], [0.1, 0.5])
    D = sc.constant_diffusion(1e-3)
    T = 2.0
    fp = sc.FokkerPlanck1d(U, D, T, -4.0, 4.0, 4000)
    r = fp.steady_state()
    assert r, r.message
    ss = sc.SteadyState1d(U, D, T, -4.0, 4.0)
    x = fp.centres()
    masses = fp.basin_masses([ss.basins()[0].upper])
    # second order in the cell size: 4000 cells on [−4, 4] → |Δ| ≲ 1e-5
    assert abs(masses[0] - ss.basins()[0].probability) < 1e-5
    assert abs(np.sum(fp.density() * np.diff(np.linspace(-4, 4, 4001))) - 1) < 1e-12
    assert x.shape == (4000,)


def test_results_are_views_and_long_work_releases_the_gil():
    import threading
    r = sc.find_minimum(sc.double_well(2), [0.9, -0.8])
    assert r and np.allclose(r.theta, [1.0, -1.0], atol=1e-10)
    assert not r.theta.flags.owndata and r.theta.base is not None   # a view into the result
    m = sc.SyntheticModel("fig4-left")
    state = {"done": False, "ticks": 0}

    def work():
        m.langevin_ensemble(0.5, particles=40000, dt=0.01, time=2.0, threads=1)
        state["done"] = True

    t = threading.Thread(target=work)
    t.start()
    while not state["done"]:          # this loop runs only while the C++ ensemble has released the GIL
        state["ticks"] += 1
    t.join()
    assert state["ticks"] > 1000


def test_python_diffusion_callable_1d_and_2d():
    # 1-D: D(θ) = 1 + 0.4θ returned as a float, a NumPy scalar or a size-1 array; without a
    # divergence it is differenced (sixth order): D' = 0.4 to rounding.
    forms = (lambda th: 1.0 + 0.4 * float(th[0]), lambda th: np.float64(1.0 + 0.4 * th[0]), lambda th: 1.0 + 0.4 * th)
    for ret in forms:
        D = sc.Diffusion(ret, dimension=1)
        assert abs(D.matrix(np.array([0.3]))[0, 0] - 1.12) < 1e-15
        assert abs(D.divergence(np.array([0.3]))[0] - 0.4) < 1e-12
    # the steady state is the closed form ρ ∝ exp(−(2/T)v), v = ∫U'/D + (T/2) log D, with the
    # divergence differenced and given
    U, T = sc.double_well(1), 0.5
    q, r = np.polydiv([1.0, 0.0, -1.0, 0.0], [0.4, 1.0])   # (t³ − t)/(1 + 0.4t) = q(t) + r/(1 + 0.4t)
    Q = np.polyint(q)
    prim = lambda x: np.polyval(Q, x) + r[-1] / 0.4 * math.log(1 + 0.4 * x)
    v = lambda x: prim(x) - prim(-2.0) + T / 2 * math.log(1 + 0.4 * x)
    f = lambda x: math.exp(-2 / T * v(x))
    z = integrate.quad(f, -2.0, 2.0, epsabs=0, epsrel=1e-12, limit=200)[0]
    for D in (sc.Diffusion(forms[0], dimension=1), sc.Diffusion(forms[0], dimension=1, divergence=lambda th: [0.4])):
        ss = sc.SteadyState1d(U, D, T, -2.0, 2.0)
        assert ss.status == sc.Status.success, ss.message
        assert abs(ss.density(0.7) - f(0.7) / z) <= 1e-9 * f(0.7) / z
    # 2-D: D(θ) = diag(1 + θ_0², 2): ∇·D = (2θ_0, 0)
    D2 = sc.Diffusion(lambda th: np.diag([1 + th[0] ** 2, 2.0]), dimension=2)
    assert np.allclose(D2.divergence(np.array([0.5, 1.0])), [1.0, 0.0], atol=1e-12)


def test_value_only_python_loss_in_the_1d_pipeline():
    # U given by its value alone: differenced derivatives, yet the steady state converges and
    # equals the ready family's.
    mine = sc.Loss(lambda th: 0.25 * th[0] ** 4 - 0.5 * th[0] ** 2, dimension=1)
    ready = sc.double_well(1)
    D = sc.constant_diffusion(0.8)
    a = sc.SteadyState1d(mine, D, 0.5, -2.0, 2.5)
    b = sc.SteadyState1d(ready, D, 0.5, -2.0, 2.5)
    assert a.status == sc.Status.success, a.message
    assert abs(a.basins()[0].probability - b.basins()[0].probability) < 1e-9
    assert abs(mine.hessian(np.array([0.3]))[0, 0] - (3 * 0.09 - 1)) < 1e-7
