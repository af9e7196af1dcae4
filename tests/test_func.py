"""`autograd_grad.func` (torch.func) against real torch.func: values, structures, nesting,
pytree inputs, vmap's in_dims/out_dims/randomness, and torch's error messages."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from oracle import OUR_TRANSFORM_NODE, const, randn, same_in_both

import autograd_grad as ag

torch = pytest.importorskip("torch")

X = randn(4, 3, seed=5, requires_grad=False)
W = randn(3, 2, seed=6, requires_grad=False)
V = const([0.5, -1.0, 2.0])


def loss(w: Any, x: Any) -> Any:
    return (x @ w).tanh().pow(2).sum()


def test_grad_and_value() -> None:
    def prog(t, w, x):
        f = t.func
        return (f.grad(loss)(w, x), f.grad(loss, argnums=1)(w, x), f.grad(loss, argnums=(0, 1))(w, x),
                f.grad_and_value(loss)(w, x), f.grad(lambda w, x: (loss(w, x), x.sum()), has_aux=True)(w, x),
                f.grad_and_value(lambda w, x: (loss(w, x), x * 2), has_aux=True)(w, x))  # fmt: skip

    same_in_both(prog, W, X)


def test_grad_of_pytree_and_kwargs() -> None:
    def prog(t, w, x):
        def f(params, x, scale=1.0):
            return scale * loss(params["w"], x) + params["b"].sum()

        return t.func.grad(f)({"w": w, "b": t.ones(2)}, x, scale=2.0)

    same_in_both(prog, W, X)


def test_per_sample_gradients() -> None:
    # The torch.func recipe: vmap over examples of grad of a per-example loss.
    def prog(t, w, x):
        def one(w, xi):
            return (xi @ w).tanh().sum()

        return t.func.vmap(t.func.grad(one), in_dims=(None, 0))(w, x)

    same_in_both(prog, W, X)


def test_jacobians_and_hessian() -> None:
    def prog(t, v, w):
        f = t.func

        def g(x, w):
            return (x.sin() @ w, x.exp().sum())

        return (f.jacrev(lambda x: x.sin() * x)(v), f.jacfwd(lambda x: x.sin() * x)(v),
                f.jacrev(g, argnums=(0, 1))(v, w), f.jacfwd(g, argnums=1)(v, w),
                f.hessian(lambda x: (x.tanh() * x * x).sum())(v),
                f.jacrev(lambda x: (x.sin(), x.cos()), has_aux=True)(v),
                f.jacfwd(f.jacrev(lambda x: (x ** 3).sum()))(v))  # fmt: skip

    same_in_both(prog, V, W)


def test_vjp_and_jvp() -> None:
    def prog(t, v, w):
        f = t.func
        out, vjp_fn = f.vjp(lambda x, w: x.sin() @ w, v, w)
        out2, vjp_fn2, aux = f.vjp(lambda x: (x.exp(), x.sum()), v, has_aux=True)
        return (out, vjp_fn(t.ones(2)), out2, vjp_fn2(t.ones(3)), aux,
                f.jvp(lambda x: x.sin() * x, (v,), (t.ones(3),)),
                f.jvp(lambda x, w: x @ w, (v, w), (t.ones(3), t.zeros(3, 2))),
                f.jvp(lambda x: (x.sin(), x.cos()), (v,), (t.ones(3),), has_aux=True))  # fmt: skip

    same_in_both(prog, V, W)


def test_vmap_dims() -> None:
    def prog(t, x, w, v):
        vm = t.func.vmap
        return (vm(lambda r: r.sum())(x), vm(lambda c: c * 2, in_dims=1)(x),
                vm(lambda r, w: r @ w, in_dims=(0, None))(x, w),
                vm(lambda r: (r, r.sum()), out_dims=(1, 0))(x),
                vm(lambda r: r * 3, in_dims=-1, out_dims=1)(x),
                vm(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},))({"a": x, "b": v}),
                vm(vm(lambda e: e * e))(x),
                vm(lambda r, s: r * s, in_dims=(0, None))(x, 2.0))  # fmt: skip

    same_in_both(prog, X, W, V)


def test_vmap_errors() -> None:
    vm = lambda t, *a, **k: t.func.vmap(*a, **k)  # noqa: E731
    same_in_both(lambda t, x, v: vm(t, lambda a, b: a + b)(x, v), X, V)  # sizes 4 and 3
    same_in_both(lambda t, x: vm(t, lambda a: a, in_dims=2)(x), X)
    same_in_both(lambda t, x: vm(t, lambda a, s: a * s)(x, 2.0), X)
    same_in_both(lambda t, x: vm(t, lambda a: a, in_dims=(0, 0))(x), X)
    same_in_both(lambda t, x: vm(t, lambda a: a, in_dims=[0])(x), X)
    same_in_both(lambda t, x: vm(t, lambda a: a, in_dims=None)(x), X)
    same_in_both(lambda t, x: vm(t, lambda a: a, randomness="sometimes"), X)
    same_in_both(lambda t, x: vm(t, lambda a: 3.0)(x), X)
    same_in_both(lambda t, x: vm(t, lambda a: a + t.randn(()))(x), X)


def test_func_errors() -> None:
    f = lambda t: t.func  # noqa: E731
    same_in_both(lambda t, x: f(t).grad(lambda x: x * 2)(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: 3.0)(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), has_aux=True)(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), argnums=1)(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), argnums=(0, 0))(x, x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), argnums=())(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), argnums=[0])(x), V)
    same_in_both(lambda t, x: f(t).grad(lambda x: x.sum(), argnums=0.5)(x), V)
    same_in_both(lambda t, x: f(t).jvp(lambda x: x, [x], [x]), V)
    same_in_both(lambda t, x: f(t).jvp(lambda x: x, (x,), (x, x)), V)
    same_in_both(lambda t, x: f(t).vjp(lambda x: x, 3.0), V)


def test_vmap_randomness() -> None:
    # Streams differ from torch's; what must hold is which draws are shared.
    x = ag.zeros(5, 3)
    ag.manual_seed(0)
    same = ag.func.vmap(lambda r: r + ag.randn(3), randomness="same")(x)
    different = ag.func.vmap(lambda r: r + ag.randn(3), randomness="different")(x)
    assert np.allclose(same.numpy(), same.numpy()[0])
    assert len({tuple(row) for row in np.round(different.numpy(), 6).tolist()}) == 5
    ag.manual_seed(0)
    again = ag.func.vmap(lambda r: r + ag.randn(3), randomness="same")(x)
    assert np.array_equal(again.numpy(), same.numpy())


def test_autograd_flows_through_transforms() -> None:
    # Inputs that require grad: the transform's result is differentiable, as in torch.
    def prog(t, w, x):
        per_example = t.func.vmap(lambda xi, w: (xi @ w).tanh().sum(), in_dims=(0, None))(x, w)
        g = t.func.grad(loss)(w, x)
        total = per_example.sum() + (g * g).sum()
        return per_example, g, t.autograd.grad(total, w)

    same_in_both(prog, randn(3, 2, seed=6), X, names=False)


def test_transform_node_name() -> None:
    w = ag.ones(2, requires_grad=True)
    y = ag.func.vmap(lambda r: r * w.detach())(ag.ones(3, 2) * w)
    assert y.grad_fn.name() == OUR_TRANSFORM_NODE


def test_jax_function_export() -> None:
    def f(params: Any, x: Any) -> Any:
        h = (x @ params["w"]).tanh()
        xr = x.detach().requires_grad_()
        (dx,) = ag.autograd.grad((xr ** 3).sum(), xr, create_graph=True)
        return (h ** 2).mean() + dx.sum() * params["b"]

    pure = ag.jax_function(f)
    params = {"w": jnp.full((3, 2), 0.3, dtype=jnp.float32), "b": jnp.float32(0.5)}
    x = jnp.arange(12.0, dtype=jnp.float32).reshape(4, 3) / 10
    eager = pure(params, x)
    assert np.allclose(jax.jit(pure)(params, x), eager, rtol=1e-6)
    g = jax.grad(pure)(params, x)
    g_jit = jax.jit(jax.grad(pure))(params, x)
    assert np.allclose(g["w"], g_jit["w"], rtol=1e-6) and np.allclose(g["b"], 3 * (x ** 2).sum())
    batched = jax.vmap(pure, in_axes=(None, 0))(params, x[:, None, :])
    assert batched.shape == (4,)
    assert jax.jacfwd(pure)(params, x)["w"].shape == (3, 2)

    # the same math in torch
    tw = torch.tensor(np.asarray(params["w"]), requires_grad=True)
    tx = torch.tensor(np.asarray(x))
    txr = tx.clone().requires_grad_()
    (dx,) = torch.autograd.grad((txr ** 3).sum(), txr, create_graph=True)
    expected = ((tx @ tw).tanh() ** 2).mean() + dx.sum() * 0.5
    (gw,) = torch.autograd.grad(expected, tw)
    assert np.allclose(eager, expected.item(), rtol=1e-5)
    assert np.allclose(g["w"], gw.numpy(), rtol=1e-5)


def test_from_jax_and_back() -> None:
    a = jnp.arange(3.0, dtype=jnp.float32)
    t = ag.from_jax(a, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.dtype is ag.float32
    (g,) = ag.autograd.grad((t * t).sum(), t)
    assert np.array_equal(g.numpy(), 2 * np.arange(3.0))
