"""Benchmark workloads: torch-style code written once, plus a hand-written `jax.jit` twin.

Each workload has

* `setup(rng)`: the initial weights and data as numpy arrays (float32, int64 targets),
  shared by all three implementations so their results can be compared;
* `torch_style(t, arrays)`: builds tensors with the module `t` (`torch` or
  `autograd_grad`) and returns a `step()` closure. The closure runs the forward pass and
  the `t.autograd.grad` calls and returns a tuple of tensors `(loss, *grads)`. This code is
  the *same source* for torch and for autograd_grad;
* `jax_jit(arrays)`: returns a `step()` closure that calls one `jax.jit`-compiled function
  computing the same math (same loss, same derivatives) and returns `(loss, *grads)`.

Building tensors (creating leaves from numpy) happens outside `step()` and is not timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Arrays = dict[str, np.ndarray]
Step = Callable[[], tuple[Any, ...]]
F32 = np.float32


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    setup: Callable[[np.random.Generator], Arrays]
    torch_style: Callable[[Any, Arrays], Step]
    jax_jit: Callable[[Arrays], Step]
    reps: int  # default number of timed repetitions (quick run)


def _init_mlp(rng: np.random.Generator, sizes: list[int]) -> Arrays:
    """torch.nn.Linear-style init, weights laid out (out, in) as F.linear expects."""
    out: Arrays = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(n_in)
        out[f"W{i}"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(F32)
        out[f"b{i}"] = rng.uniform(-bound, bound, (n_out,)).astype(F32)
    return out


def _param_names(arrays: Arrays) -> list[str]:
    n = sum(1 for k in arrays if k.startswith("W"))
    return [name for i in range(n) for name in (f"W{i}", f"b{i}")]


def _params(t: Any, arrays: Arrays) -> list[Any]:
    return [t.tensor(arrays[k], requires_grad=True) for k in _param_names(arrays)]


def _jparams(arrays: Arrays) -> list[jax.Array]:
    return [jnp.asarray(arrays[k]) for k in _param_names(arrays)]


# torch-style MLP, written once for both modules
def _mlp(t: Any, params: list[Any], h: Any, act: Callable[[Any], Any]) -> Any:
    F = t.nn.functional
    n = len(params) // 2
    for i in range(n):
        h = F.linear(h, params[2 * i], params[2 * i + 1])
        if i < n - 1:
            h = act(h)
    return h


def _jmlp(params: list[jax.Array], h: jax.Array,
          act: Callable[[jax.Array], jax.Array]) -> jax.Array:  # fmt: skip
    n = len(params) // 2
    for i in range(n):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < n - 1:
            h = act(h)
    return h


def _jcross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits, axis=1)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


# ---------------------------------------------------------------------------------------
# 1. pinn
# ---------------------------------------------------------------------------------------

def _pinn_setup(rng: np.random.Generator) -> Arrays:
    arrays = _init_mlp(rng, [1, 32, 32, 32, 1])
    arrays["x"] = np.linspace(-np.pi, np.pi, 256, dtype=F32).reshape(256, 1)
    return arrays


def _pinn_torch(t: Any, arrays: Arrays) -> Step:
    params = _params(t, arrays)
    x = t.tensor(arrays["x"], requires_grad=True)

    def step() -> tuple[Any, ...]:
        u = _mlp(t, params, x, t.tanh)
        u_x, = t.autograd.grad(u, x, grad_outputs=t.ones_like(u), create_graph=True)
        u_xx, = t.autograd.grad(u_x, x, grad_outputs=t.ones_like(u_x), create_graph=True)
        loss = ((u_xx + t.sin(x) * u) ** 2).mean()
        grads = t.autograd.grad(loss, params)
        return (loss, *grads)

    return step


def _pinn_jax(arrays: Arrays) -> Step:
    params = _jparams(arrays)
    x = jnp.asarray(arrays["x"])

    def loss_fn(params: list[jax.Array], x: jax.Array) -> jax.Array:
        def u(x: jax.Array) -> jax.Array:
            return _jmlp(params, x, jnp.tanh)

        def u_x(x: jax.Array) -> jax.Array:  # vjp with ones == per-point derivative
            return jax.grad(lambda x: u(x).sum())(x)

        u_xx = jax.grad(lambda x: u_x(x).sum())(x)
        return jnp.mean((u_xx + jnp.sin(x) * u(x)) ** 2)

    fn = jax.jit(jax.value_and_grad(loss_fn))

    def step() -> tuple[Any, ...]:
        loss, grads = fn(params, x)
        return (loss, *grads)

    return step


# ---------------------------------------------------------------------------------------
# 2. wgan_gp
# ---------------------------------------------------------------------------------------

def _wgan_setup(rng: np.random.Generator) -> Arrays:
    arrays = _init_mlp(rng, [64, 128, 128, 1])
    arrays["real"] = rng.standard_normal((64, 64)).astype(F32)
    arrays["fake"] = (0.5 * rng.standard_normal((64, 64)) + 0.3).astype(F32)
    arrays["alpha"] = rng.uniform(0, 1, (64, 1)).astype(F32)
    return arrays


def _wgan_torch(t: Any, arrays: Arrays) -> Step:
    F = t.nn.functional
    params = _params(t, arrays)
    real, fake, alpha = (t.tensor(arrays[k]) for k in ("real", "fake", "alpha"))

    def critic(h: Any) -> Any:
        return _mlp(t, params, h, lambda z: F.leaky_relu(z, 0.2))

    def step() -> tuple[Any, ...]:
        interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        d_interp = critic(interp)
        g, = t.autograd.grad(d_interp, interp, grad_outputs=t.ones_like(d_interp),
                             create_graph=True)
        gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + 10 * gp
        grads = t.autograd.grad(loss, params)
        return (loss, *grads)

    return step


def _wgan_jax(arrays: Arrays) -> Step:
    params = _jparams(arrays)
    real, fake, alpha = (jnp.asarray(arrays[k]) for k in ("real", "fake", "alpha"))

    def loss_fn(params: list[jax.Array], real: jax.Array, fake: jax.Array,
                alpha: jax.Array) -> jax.Array:  # fmt: skip
        def critic(h: jax.Array) -> jax.Array:
            return _jmlp(params, h, lambda z: jax.nn.leaky_relu(z, 0.2))

        interp = alpha * real + (1 - alpha) * fake
        g = jax.grad(lambda z: critic(z).sum())(interp)
        gp = jnp.mean((jnp.linalg.norm(g, axis=1) - 1) ** 2)
        return critic(fake).mean() - critic(real).mean() + 10 * gp

    fn = jax.jit(jax.value_and_grad(loss_fn))

    def step() -> tuple[Any, ...]:
        loss, grads = fn(params, real, fake, alpha)
        return (loss, *grads)

    return step


# ---------------------------------------------------------------------------------------
# 3. hvp
# ---------------------------------------------------------------------------------------

def _hvp_setup(rng: np.random.Generator) -> Arrays:
    arrays = _init_mlp(rng, [32, 64, 64, 10])
    arrays["x"] = rng.standard_normal((128, 32)).astype(F32)
    arrays["y"] = rng.integers(0, 10, (128,)).astype(np.int64)
    for k in _param_names(arrays):
        arrays["v_" + k] = rng.standard_normal(arrays[k].shape).astype(F32)
    return arrays


def _hvp_torch(t: Any, arrays: Arrays) -> Step:
    F = t.nn.functional
    params = _params(t, arrays)
    vs = [t.tensor(arrays["v_" + k]) for k in _param_names(arrays)]
    x, y = t.tensor(arrays["x"]), t.tensor(arrays["y"])

    def step() -> tuple[Any, ...]:
        loss = F.cross_entropy(_mlp(t, params, x, t.tanh), y)
        g = t.autograd.grad(loss, params, create_graph=True)
        gv = sum((gi * vi).sum() for gi, vi in zip(g, vs))
        hv = t.autograd.grad(gv, params)
        return (loss, *hv)

    return step


def _hvp_jax(arrays: Arrays) -> Step:
    params = _jparams(arrays)
    vs = [jnp.asarray(arrays["v_" + k]) for k in _param_names(arrays)]
    x, y = jnp.asarray(arrays["x"]), jnp.asarray(arrays["y"])

    def loss_fn(params: list[jax.Array]) -> jax.Array:
        return _jcross_entropy(_jmlp(params, x, jnp.tanh), y)

    # Same math as the torch-style code: reverse-over-reverse, grad of <grad, v>.
    def gv_fn(params: list[jax.Array], vs: list[jax.Array]) -> tuple[jax.Array, jax.Array]:
        loss, g = jax.value_and_grad(loss_fn)(params)
        return sum(jnp.sum(gi * vi) for gi, vi in zip(g, vs)), loss

    fn = jax.jit(jax.grad(gv_fn, has_aux=True))

    def step() -> tuple[Any, ...]:
        hv, loss = fn(params, vs)
        return (loss, *hv)

    return step


# ---------------------------------------------------------------------------------------
# 4. jacobian_batched
# ---------------------------------------------------------------------------------------

def _jac_setup(rng: np.random.Generator) -> Arrays:
    return {"x": rng.standard_normal((64,)).astype(F32),
            "W1": (rng.standard_normal((64, 128)) / 8).astype(F32),
            "W2": (rng.standard_normal((128, 64)) / np.sqrt(128)).astype(F32)}  # fmt: skip


def _jac_torch(t: Any, arrays: Arrays) -> Step:
    x = t.tensor(arrays["x"], requires_grad=True)
    W1, W2 = t.tensor(arrays["W1"]), t.tensor(arrays["W2"])
    eye = t.eye(64)

    def step() -> tuple[Any, ...]:
        y = t.tanh(x @ W1) @ W2
        jac, = t.autograd.grad(y, x, eye, is_grads_batched=True)
        return (y, jac)

    return step


def _jac_jax(arrays: Arrays) -> Step:
    x, W1, W2 = (jnp.asarray(arrays[k]) for k in ("x", "W1", "W2"))

    def f(x: jax.Array) -> jax.Array:
        return jnp.tanh(x @ W1) @ W2

    @jax.jit
    def fn(x: jax.Array) -> tuple[jax.Array, jax.Array]:
        return f(x), jax.jacrev(f)(x)  # jacrev == vmap over the vjp, as is_grads_batched

    return lambda: fn(x)


# ---------------------------------------------------------------------------------------
# 5. mlp_train_grad
# ---------------------------------------------------------------------------------------

def _mlp_setup(rng: np.random.Generator) -> Arrays:
    arrays = _init_mlp(rng, [784, 256, 256, 10])
    arrays["x"] = rng.standard_normal((128, 784)).astype(F32)
    arrays["y"] = rng.integers(0, 10, (128,)).astype(np.int64)
    return arrays


def _mlp_torch(t: Any, arrays: Arrays) -> Step:
    F = t.nn.functional
    params = _params(t, arrays)
    x, y = t.tensor(arrays["x"]), t.tensor(arrays["y"])

    def step() -> tuple[Any, ...]:
        loss = F.cross_entropy(_mlp(t, params, x, F.relu), y)
        grads = t.autograd.grad(loss, params)
        return (loss, *grads)

    return step


def _mlp_jax(arrays: Arrays) -> Step:
    params = _jparams(arrays)
    x, y = jnp.asarray(arrays["x"]), jnp.asarray(arrays["y"])

    def loss_fn(params: list[jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
        return _jcross_entropy(_jmlp(params, x, jax.nn.relu), y)

    fn = jax.jit(jax.value_and_grad(loss_fn))

    def step() -> tuple[Any, ...]:
        loss, grads = fn(params, x, y)
        return (loss, *grads)

    return step


# ---------------------------------------------------------------------------------------
# 6. tiny_ops
# ---------------------------------------------------------------------------------------

N_TINY = 50


def _tiny_setup(rng: np.random.Generator) -> Arrays:
    return {"x": rng.uniform(-1, 1, (16,)).astype(F32)}


def _tiny_chain(h: jax.Array) -> jax.Array:
    """The jax twin of the torch-style loop below."""
    for i in range(N_TINY):
        k = i % 5
        if k == 0:
            h = jnp.sin(h)
        elif k == 1:
            h = h * 1.5
        elif k == 2:
            h = h + 0.25
        elif k == 3:
            h = jnp.tanh(h)
        else:
            h = h * h - 0.1
    return h


def _tiny_torch(t: Any, arrays: Arrays) -> Step:
    x = t.tensor(arrays["x"], requires_grad=True)

    def step() -> tuple[Any, ...]:
        h = x
        for i in range(N_TINY):
            k = i % 5
            if k == 0:
                h = h.sin()
            elif k == 1:
                h = h * 1.5
            elif k == 2:
                h = h + 0.25
            elif k == 3:
                h = h.tanh()
            else:
                h = h * h - 0.1
        loss = h.sum()
        gx, = t.autograd.grad(loss, x)
        return (loss, gx)

    return step


def _tiny_jax(arrays: Arrays) -> Step:
    x = jnp.asarray(arrays["x"])
    fn = jax.jit(jax.value_and_grad(lambda x: _tiny_chain(x).sum()))

    def step() -> tuple[Any, ...]:
        loss, gx = fn(x)
        return (loss, gx)

    return step


# ---------------------------------------------------------------------------------------
# 7. big_matmul
# ---------------------------------------------------------------------------------------

def _big_setup(rng: np.random.Generator) -> Arrays:
    n = 1024
    return {"A": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(F32),
            "B": rng.standard_normal((n, n)).astype(F32)}  # fmt: skip


def _big_torch(t: Any, arrays: Arrays) -> Step:
    A = t.tensor(arrays["A"], requires_grad=True)
    B = t.tensor(arrays["B"], requires_grad=True)

    def step() -> tuple[Any, ...]:
        loss = (A @ B).tanh().sum()
        gA, gB = t.autograd.grad(loss, [A, B])
        return (loss, gA, gB)

    return step


def _big_jax(arrays: Arrays) -> Step:
    A, B = jnp.asarray(arrays["A"]), jnp.asarray(arrays["B"])
    fn = jax.jit(jax.value_and_grad(lambda A, B: jnp.tanh(A @ B).sum(), argnums=(0, 1)))

    def step() -> tuple[Any, ...]:
        loss, (gA, gB) = fn(A, B)
        return (loss, gA, gB)

    return step


WORKLOADS: list[Workload] = [
    Workload("pinn", "MLP 1-32-32-32-1 tanh, 256 pts, u_x & u_xx via create_graph, 8 param grads",
             _pinn_setup, _pinn_torch, _pinn_jax, 100),
    Workload("wgan_gp", "critic 64-128-128-1 leaky_relu, batch 64, gradient penalty",
             _wgan_setup, _wgan_torch, _wgan_jax, 100),
    Workload("hvp", "MLP 32-64-64-10 tanh, CE, batch 128, grad(<grad, v>)",
             _hvp_setup, _hvp_torch, _hvp_jax, 100),
    Workload("jacobian_batched", "tanh(x@W1)@W2 64->128->64, grad(y, x, eye, is_grads_batched)",
             _jac_setup, _jac_torch, _jac_jax, 200),
    Workload("mlp_train_grad", "MLP 784-256-256-10 relu, CE, batch 128, first-order grads",
             _mlp_setup, _mlp_torch, _mlp_jax, 50),
    Workload("tiny_ops", "50 pointwise ops on 16 elements, then grad (dispatch overhead)",
             _tiny_setup, _tiny_torch, _tiny_jax, 100),
    Workload("big_matmul", "(A@B).tanh().sum(), 1024x1024, grads w.r.t. A and B",
             _big_setup, _big_torch, _big_jax, 5),
]

BY_NAME = {w.name: w for w in WORKLOADS}
