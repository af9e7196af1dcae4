"""Custom `autograd.Function` against real torch: forward/backward, ctx, setup_context,
non-differentiable outputs, once_differentiable, double backward, batched grads, errors."""

from __future__ import annotations

from typing import Any

import pytest
from oracle import const, leaf, randn, same_in_both

torch = pytest.importorskip("torch")

X = leaf([0.5, -1.0, 2.0])
W = randn(3, seed=4)


def exp_function(t: Any) -> Any:
    class MyExp(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            y = x.exp() * k
            ctx.save_for_backward(y)
            ctx.k = k
            ctx.seen = tuple(ctx.needs_input_grad)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y, None

    return MyExp


def cube_function(t: Any) -> Any:
    class Cube(t.autograd.Function):  # differentiable backward: any order works
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    return Cube


def test_forward_backward_and_graph() -> None:
    def prog(t, x):
        y = exp_function(t).apply(x, 2.0)
        edges = [(n is None, i) for n, i in y.grad_fn.next_functions]
        return y, y.grad_fn.name(), edges, t.autograd.grad(y.sum(), x)

    same_in_both(prog, X)


def test_double_and_triple_backward() -> None:
    def prog(t, x):
        y = cube_function(t).apply(x)
        (g,) = t.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = t.autograd.grad(g.sum(), x, create_graph=True)
        (k,) = t.autograd.grad(h.sum(), x)
        return g, h, k

    same_in_both(prog, X)


def test_saved_output_in_double_backward() -> None:
    def prog(t, x):
        y = exp_function(t).apply(x, 3.0)
        (g,) = t.autograd.grad((y * y).sum(), x, create_graph=True)
        return g, t.autograd.grad(g.sum(), x)

    same_in_both(prog, X)


def test_batched_grads_and_backward() -> None:
    def prog(t, x):
        y = cube_function(t).apply(x)
        jac = t.autograd.grad(y, x, t.eye(3), is_grads_batched=True, retain_graph=True)
        y.sum().backward()
        return jac, x.grad

    same_in_both(prog, X)


def test_setup_context_and_non_differentiable_output() -> None:
    def prog(t, x, w):
        class MulAdd(t.autograd.Function):
            @staticmethod
            def forward(x, w):
                return x * w, (x + w).argmax()

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, w = inputs
                ctx.save_for_backward(x, w)
                ctx.mark_non_differentiable(output[1])

            @staticmethod
            def backward(ctx, grad, grad_index):
                x, w = ctx.saved_tensors
                return grad * w, grad * x

        prod, index = MulAdd.apply(x, w)
        return prod, index, index.requires_grad, t.autograd.grad(prod.sum(), [x, w])

    same_in_both(prog, X, W)


def test_needs_input_grad() -> None:
    def prog(t, x, c):
        class Probe(t.autograd.Function):
            @staticmethod
            def forward(ctx, a, b, n):
                ctx.flags = ctx.needs_input_grad
                return a * b * n

            @staticmethod
            def backward(ctx, grad):
                return grad * 0 + float(sum(ctx.flags)), None, None

        out = Probe.apply(x, c, 2)
        with t.no_grad():
            plain = Probe.apply(x, c, 2)
        return out, plain, plain.requires_grad, t.autograd.grad(out.sum(), x)

    same_in_both(prog, X, const([1.0, 2.0, 3.0]))


def test_once_differentiable() -> None:
    def prog(t, x):
        from importlib import import_module

        once = import_module(t.__name__ + ".autograd.function").once_differentiable

        class Square(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @once
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        (g,) = t.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        return g, g.requires_grad, t.autograd.grad(g.sum(), x)

    same_in_both(prog, X)


def test_errors() -> None:
    def wrong_count(t, x):
        class Bad(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad, grad

        return t.autograd.grad(Bad.apply(x).sum(), x)

    def wrong_shape(t, x):
        class Bad(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad[:1]

        return t.autograd.grad(Bad.apply(x).sum(), x)

    def no_backward(t, x):
        class NoBackward(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        return t.autograd.grad(NoBackward.apply(x).sum(), x)

    def legacy(t, x):
        return t.autograd.Function()(x)

    for prog in (wrong_count, wrong_shape, no_backward, legacy):
        same_in_both(prog, X, warnings_too=False)


def test_r_autograd_function() -> None:
    import autograd_grad as ag

    def fwd(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x ** 2

    def bwd(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 2 * x * grad

    square = ag.autograd_function(forward=fwd, backward=bwd)
    x = ag.tensor([3.0, -1.0], requires_grad=True)
    (g,) = ag.autograd.grad(square(x).sum(), x)
    assert g.tolist() == [6.0, -2.0]


def test_inside_jax_jit() -> None:
    import jax
    import jax.numpy as jnp

    import autograd_grad as ag

    cube = cube_function(ag)

    def f(x: Any) -> Any:
        x = x.requires_grad_()
        (g,) = ag.autograd.grad(cube.apply(x).sum(), x, create_graph=True)
        return g.sum()

    pure = ag.jax_function(f)
    x = jnp.array([1.0, 2.0], dtype=jnp.float32)
    assert jnp.allclose(jax.jit(pure)(x), 15.0)
    assert jnp.allclose(jax.jit(jax.grad(pure))(x), jnp.array([6.0, 12.0]))


def test_set_materialize_grads() -> None:
    def prog(t, x):
        seen = []

        class TwoOutputs(t.autograd.Function):
            @staticmethod
            def forward(ctx, x, materialize):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append((ga is None, gb is None))
                g = 0
                if ga is not None:
                    g = g + ga * 2
                if gb is not None:
                    g = g + gb * 3
                return g, None

        out = []
        for materialize in (True, False):
            a, b = TwoOutputs.apply(x, materialize)
            out.append(t.autograd.grad(a.sum(), x))
            a, b = TwoOutputs.apply(x, materialize)
            out.append(t.autograd.grad((a + b).sum(), x))
            a, b = TwoOutputs.apply(x, materialize)
            (b * b).sum().backward()
        return out, x.grad, seen

    same_in_both(prog, X)
