"""shiftcurv.torch — run shiftcurv's studies on any PyTorch model.

    import torch, shiftcurv
    from shiftcurv.torch import TorchLoss
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    train = TorchLoss(net, torch.nn.functional.cross_entropy, X_train, y_train, alpha=1e-3)
    theta = train.initial_parameters()                 # the model's parameters, flattened (NumPy)
    top = shiftcurv.top_eigenpairs(train, theta, k=10)  # Lanczos on the Hessian, HVPs only
    trD = shiftcurv.hutchinson_trace(train, theta, operator="diffusion")

The per-sample loss is U(x_i, θ) = loss_fn(model(x_i; θ), y_i) + (alpha/2)|θ|², θ the model's
parameters flattened in `model.parameters()` order (each tensor row-major), in float64 by
default, on the device of `inputs` (or `device=`).  `loss_fn(outputs, targets)` is called on
a batch of ONE sample (outputs of shape (1, ...)), so any reduction works.  D is the
population covariance (1/N) of the per-sample gradients of loss_fn (the ℓ2 term cancels).

Members (θ, v: float64 NumPy arrays of shape (p,); results NumPy):
  mean_value(θ), mean_gradient(θ), value_and_gradient(θ), value(θ, i), gradient(θ, i)
  minibatch_gradient(θ, rows)    (1/|rows|) Σ_k g_{rows[k]}, repetitions allowed
  sample_gradients(θ)            G (N × p); refused above max_sample_gradient_bytes
  mean_hvp(θ, v)                 ∇²U·v (double backward, in chunks of chunk_size samples)
  covariance_apply(θ, v)         D·v = (1/N) Σ g_i (g_iᵀv) − ḡ(ḡᵀv): one forward-mode pass for
                                 the N products g_iᵀv, one backward for Σ a_i g_i; no G formed
  covariance_trace(θ)            tr D = (1/N) Σ |g_i|² − |ḡ|² (per-sample gradients in chunks)
  covariance_divergence(θ)       ∇·D = (1/N) Σ_i [H_i c_i + c_i tr H_i], c_i = g_i − ḡ: exact
                                 for p ≤ exact_divergence_max_p (tr H_i from p second
                                 directional derivatives), else tr H_i by Hutchinson with
                                 `divergence_probes` Rademacher probes; the standard error of
                                 that estimate is `last_divergence_standard_error` (0 if exact)
Every call chunks the samples (chunk_size), so memory is O(chunk_size · p) beside the model.
Uses torch.func where the installed torch has it, functorch otherwise (torch 1.13).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import torch

try:  # torch >= 2.0
    from torch.func import functional_call, grad, jvp, vmap
except ImportError:  # torch 1.13 (Debian 12): functorch
    from functorch import grad, jvp, vmap
    from torch.nn.utils.stateless import functional_call

from . import _shiftcurv

__all__ = ["TorchLoss"]

# θ and v arrive from the C++ algorithms as read-only NumPy views (no copy); torch warns that it
# cannot mark a tensor read-only.  These tensors are only read here.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", module=__name__)


def _fail(fn, msg):
    raise _shiftcurv.InvalidArgument(f"shiftcurv.torch.TorchLoss.{fn}: {msg}")


class TorchLoss:
    """A per-sample loss of the library made from (model, loss_fn, inputs, targets, alpha)."""

    def __init__(self, model, loss_fn, inputs, targets, alpha=0.0, *, dtype=torch.float64, device=None,
                 chunk_size=256, max_sample_gradient_bytes=1 << 30, exact_divergence_max_p=64,
                 divergence_probes=64, divergence_seed=0):
        fn = "__init__"
        if not isinstance(model, torch.nn.Module):
            _fail(fn, f"model must be a torch.nn.Module, got {type(model).__name__}")
        names = [n for n, _ in model.named_parameters()]
        if not names:
            _fail(fn, "the model has no parameters")
        if not callable(loss_fn):
            _fail(fn, "loss_fn must be callable: loss_fn(outputs, targets) -> scalar")
        if not torch.is_tensor(inputs) or not torch.is_tensor(targets):
            _fail(fn, "inputs and targets must be torch tensors")
        if inputs.shape[0] != targets.shape[0]:
            _fail(fn, f"inputs have {inputs.shape[0]} samples but targets have {targets.shape[0]}")
        if inputs.shape[0] < 1:
            _fail(fn, "there are no samples")
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
            _fail(fn, f"alpha must be finite and >= 0, got {alpha}")
        if chunk_size < 1:
            _fail(fn, f"chunk_size must be >= 1, got {chunk_size}")
        self.device = torch.device(device) if device is not None else inputs.device
        self.dtype = dtype
        self.model = model.to(device=self.device, dtype=dtype)
        self.loss_fn = loss_fn
        self.inputs = inputs.to(self.device, dtype) if inputs.is_floating_point() else inputs.to(self.device)
        self.targets = targets.to(self.device, dtype) if targets.is_floating_point() else targets.to(self.device)
        if self.inputs.is_floating_point() and not torch.isfinite(self.inputs).all():
            _fail(fn, "inputs contain NaN or Inf")
        if self.targets.is_floating_point() and not torch.isfinite(self.targets).all():
            _fail(fn, "targets contain NaN or Inf")
        self.alpha = float(alpha)
        self.chunk_size = int(chunk_size)
        self.max_sample_gradient_bytes = int(max_sample_gradient_bytes)
        self.exact_divergence_max_p = int(exact_divergence_max_p)
        self.divergence_probes = int(divergence_probes)
        self.divergence_seed = int(divergence_seed)
        self.last_divergence_standard_error = None
        params = dict(model.named_parameters())
        self._names = names
        self._shapes = [params[n].shape for n in names]
        self._sizes = [params[n].numel() for n in names]
        self._p = int(sum(self._sizes))
        self._n = int(self.inputs.shape[0])
        # One sample's loss must be a scalar: checked once here, so a wrong loss_fn fails early.
        with torch.no_grad():
            out = self._sample_loss(self._theta(self.initial_parameters()), self.inputs[0], self.targets[0])
        if out.dim() != 0:
            _fail(fn, f"loss_fn(model(x_i), y_i) must be a scalar, got shape {tuple(out.shape)}")

    # ---- sizes and parameters ----
    def num_samples(self):
        return self._n

    def dimension(self):
        return self._p

    def initial_parameters(self):
        """The model's current parameters, flattened in parameters() order (float64 NumPy)."""
        return torch.cat([p.detach().reshape(-1) for p in self.model.parameters()]).to("cpu", torch.float64).numpy().copy()

    def set_parameters(self, theta):
        """Writes θ into the model's parameters (for use outside shiftcurv)."""
        t = self._theta(theta, "set_parameters")
        with torch.no_grad():
            for p, v in zip(self.model.parameters(), self._unflatten(t).values()):
                p.copy_(v)

    # ---- internals ----
    def _theta(self, theta, fn="theta"):
        a = np.asarray(theta, dtype=np.float64)
        if a.ndim != 1 or a.shape[0] != self._p:
            _fail(fn, f"theta has shape {a.shape}, expected ({self._p},)")
        t = torch.from_numpy(a).to(self.device, self.dtype)
        return t

    def _vec(self, v, fn):
        return self._theta(v, fn)

    def _unflatten(self, t):
        out, off = {}, 0
        for name, shape, size in zip(self._names, self._shapes, self._sizes):
            out[name] = t[off:off + size].view(shape)
            off += size
        return out

    def _sample_loss(self, t, x, y):
        out = functional_call(self.model, self._unflatten(t), (x.unsqueeze(0),))
        return self.loss_fn(out, y.unsqueeze(0))

    def _losses(self, t, X, Y):
        """Per-sample losses ℓ_i(θ) (no ℓ2 term) of a chunk, one vmapped forward."""
        return vmap(lambda x, y: self._sample_loss(t, x, y))(X, Y)

    def _chunks(self, rows=None):
        n = self._n if rows is None else len(rows)
        for a in range(0, n, self.chunk_size):
            if rows is None:
                yield self.inputs[a:a + self.chunk_size], self.targets[a:a + self.chunk_size]
            else:
                r = rows[a:a + self.chunk_size]
                yield self.inputs[r], self.targets[r]

    def _mean_loss_and_grad(self, t, rows=None):
        n = self._n if rows is None else len(rows)
        total = torch.zeros((), dtype=self.dtype, device=self.device)
        g = torch.zeros_like(t)
        for X, Y in self._chunks(rows):
            tt = t.detach().requires_grad_(True)
            s = self._losses(tt, X, Y).sum()
            (gc,) = torch.autograd.grad(s, tt)
            total += s.detach()
            g += gc
        return total / n, g / n

    def _out(self, x):
        return x.detach().to("cpu", torch.float64).numpy()

    def _sample_gradients_chunk(self, t, X, Y):
        return vmap(grad(lambda tt, x, y: self._sample_loss(tt, x, y)), in_dims=(None, 0, 0))(t, X, Y)

    # ---- the members the library's concepts detect ----
    def value(self, theta, i):
        t = self._theta(theta, "value")
        i = self._row(i, "value")
        with torch.no_grad():
            v = self._sample_loss(t, self.inputs[i], self.targets[i])
        return float(v) + 0.5 * self.alpha * float(t.dot(t))

    def gradient(self, theta, i):
        t = self._theta(theta, "gradient")
        i = self._row(i, "gradient")
        tt = t.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self._sample_loss(tt, self.inputs[i], self.targets[i]), tt)
        return self._out(g + self.alpha * t)

    def _row(self, i, fn):
        i = int(i)
        if not 0 <= i < self._n:
            _fail(fn, f"sample index {i} outside [0, {self._n})")
        return i

    def mean_value(self, theta):
        t = self._theta(theta, "mean_value")
        with torch.no_grad():
            s = sum(self._losses(t, X, Y).sum() for X, Y in self._chunks())
        return float(s) / self._n + 0.5 * self.alpha * float(t.dot(t))

    def mean_gradient(self, theta):
        t = self._theta(theta, "mean_gradient")
        _, g = self._mean_loss_and_grad(t)
        return self._out(g + self.alpha * t)

    def value_and_gradient(self, theta):
        t = self._theta(theta, "value_and_gradient")
        v, g = self._mean_loss_and_grad(t)
        return float(v) + 0.5 * self.alpha * float(t.dot(t)), self._out(g + self.alpha * t)

    def minibatch_gradient(self, theta, rows):
        t = self._theta(theta, "minibatch_gradient")
        r = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.device)
        if r.numel() < 1:
            _fail("minibatch_gradient", "rows is empty")
        if int(r.min()) < 0 or int(r.max()) >= self._n:
            _fail("minibatch_gradient", f"a row index lies outside [0, {self._n})")
        _, g = self._mean_loss_and_grad(t, r)
        return self._out(g + self.alpha * t)

    def sample_gradients(self, theta):
        t = self._theta(theta, "sample_gradients")
        need = self._n * self._p * 8
        if need > self.max_sample_gradient_bytes:
            _fail("sample_gradients", f"N×p = {self._n}×{self._p} float64 needs {need} bytes, above "
                  f"max_sample_gradient_bytes = {self.max_sample_gradient_bytes} (raise it, or use covariance_apply)")
        G = torch.cat([self._sample_gradients_chunk(t, X, Y) for X, Y in self._chunks()])
        if self.alpha:
            G = G + self.alpha * t
        return self._out(G)

    def mean_hvp(self, theta, v):
        t = self._theta(theta, "mean_hvp")
        u = self._vec(v, "mean_hvp")
        hv = torch.zeros_like(t)
        for X, Y in self._chunks():
            tt = t.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self._losses(tt, X, Y).sum(), tt, create_graph=True)
            (h,) = torch.autograd.grad(g.dot(u), tt)
            hv += h
        return self._out(hv / self._n + self.alpha * u)

    def _directional(self, t, u, X, Y):
        """g_iᵀu for the chunk's samples: one forward-mode pass (jvp of the per-sample losses)."""
        return jvp(lambda tt: self._losses(tt, X, Y), (t,), (u,))[1]

    def covariance_apply(self, theta, v):
        t = self._theta(theta, "covariance_apply")
        u = self._vec(v, "covariance_apply")
        acc = torch.zeros_like(t)
        gbar = torch.zeros_like(t)
        for X, Y in self._chunks():
            a = self._directional(t, u, X, Y).detach()
            tt = t.detach().requires_grad_(True)
            losses = self._losses(tt, X, Y)
            (ga,) = torch.autograd.grad((a * losses).sum(), tt, retain_graph=True)
            (gs,) = torch.autograd.grad(losses.sum(), tt)
            acc += ga
            gbar += gs
        gbar /= self._n
        return self._out(acc / self._n - gbar * gbar.dot(u))

    def covariance_trace(self, theta):
        t = self._theta(theta, "covariance_trace")
        sq = torch.zeros((), dtype=self.dtype, device=self.device)
        gbar = torch.zeros_like(t)
        for X, Y in self._chunks():
            G = self._sample_gradients_chunk(t, X, Y)
            sq += (G * G).sum()
            gbar += G.sum(0)
        gbar /= self._n
        return float(sq / self._n - gbar.dot(gbar))

    def _second_directional(self, t, z, X, Y):
        """zᵀH_i z for the chunk's samples: forward over forward."""
        first = lambda tt: jvp(lambda s: self._losses(s, X, Y), (tt,), (z,))[1]
        return jvp(first, (t,), (z,))[1]

    def covariance_divergence(self, theta):
        t = self._theta(theta, "covariance_divergence")
        n, p = self._n, self._p
        exact = p <= self.exact_divergence_max_p
        if exact:
            probes = [torch.zeros(p, dtype=self.dtype, device=self.device) for _ in range(p)]
            for k in range(p):
                probes[k][k] = 1
        else:
            gen = torch.Generator(device="cpu").manual_seed(self.divergence_seed)
            probes = [(torch.randint(0, 2, (p,), generator=gen) * 2 - 1).to(self.device, self.dtype)
                      for _ in range(self.divergence_probes)]
        # gbar, then (1/N) Σ H_i g_i = ∇(½ Σ|g_i|²)/N and per-probe Σ_i g_i w_i.
        _, gbar = self._mean_loss_and_grad(t)
        hg = torch.zeros_like(t)
        trace_terms = torch.zeros(len(probes), p, dtype=self.dtype, device=self.device)
        tr_sum = torch.zeros(len(probes), dtype=self.dtype, device=self.device)
        for X, Y in self._chunks():
            # ∇θ ½ Σ_i |g_i|² = Σ_i H_i g_i, by function transforms (grad of vmap of grad); the
            # per-sample gradients G of that same pass come back as its auxiliary output.
            def half_square(tt):
                G = self._sample_gradients_chunk(tt, X, Y)
                return 0.5 * (G ** 2).sum(), G
            h, Gd = grad(half_square, has_aux=True)(t)
            hg += h.detach()
            Gd = Gd.detach()
            for l, z in enumerate(probes):
                w = self._second_directional(t, z, X, Y).detach()  # zᵀH_i z (exact: (H_i)_kk)
                trace_terms[l] += (w.unsqueeze(1) * Gd).sum(0)
                tr_sum[l] += w.sum()
        # H̄ ḡ = mean_hvp(ḡ) without the ℓ2 term.
        hbar_g = torch.from_numpy(self.mean_hvp(self._out(t), self._out(gbar))).to(self.device, self.dtype) - self.alpha * gbar
        # Σ_i c_i tr H_i / N = (Σ_i g_i tr H_i − ḡ Σ_i tr H_i) / N
        if exact:
            ct = (trace_terms.sum(0) - gbar * tr_sum.sum()) / n
            self.last_divergence_standard_error = np.zeros(p)
        else:
            per = (trace_terms - gbar.unsqueeze(0) * tr_sum.unsqueeze(1)) / n  # one estimate per probe
            ct = per.mean(0)
            m = per.shape[0]
            self.last_divergence_standard_error = self._out(per.std(0, unbiased=True) / math.sqrt(m)) if m > 1 else None
        return self._out(hg / n - hbar_g + ct)

    def accuracy(self, theta):
        """Fraction of samples whose arg-max output equals the target (classification)."""
        t = self._theta(theta, "accuracy")
        correct = 0
        with torch.no_grad():
            for X, Y in self._chunks():
                out = functional_call(self.model, self._unflatten(t), (X,))
                correct += int((out.argmax(-1) == Y).sum())
        return correct / self._n
