"""Indexing, scatter and counting ops at the points OpInfo samples rarely reach: value-dependent
shapes under repeated (compiled) grads, torch's tie and zero rules for scattered reductions,
torch's own gradient conventions, in-place variants and bad inputs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from oracle import const, leaf, randn, same_in_both

import autograd_grad as ag


def test_masked_select_grad_repeats() -> None:
    # The third grad of one structure runs compiled: the mask's positions must be static.
    def prog(t, x, m):
        out = []
        for _ in range(3):
            y = t.masked_select(x, m)
            out.append(t.autograd.grad((y * y).sum(), x, create_graph=True)[0].sum())
        return y, out

    same_in_both(prog, randn(4, 3), const([[True], [False], [True], [True]]), names=False)


def test_repeat_interleave_tensor_repeats_second_order() -> None:
    def prog(t, x, r):
        y = x.repeat_interleave(r, dim=0)
        (g,) = t.autograd.grad((y**3).sum(), x, create_graph=True)
        return y, y.grad_fn.name(), t.autograd.grad(g.sum(), x)

    same_in_both(prog, randn(4, 2), const([2, 0, 1, 3]), names=False)


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod", "mean", "sum"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_and_zeros(reduce: str, include_self: bool) -> None:
    # ties with each other and with the excluded input, zeros (one and two per position)
    def prog(t, x, src):
        index = t.tensor([0, 0, 1, 1, 2, 2, 2])
        y = t.scatter_reduce(x, 0, index, src, reduce, include_self=include_self)
        gx, gs = t.autograd.grad((y * t.tensor([1.0, 2.0, 3.0, 4.0])).sum(), [x, src])
        return y, gx, gs

    same_in_both(prog, leaf([3.0, 0.0, 2.0, 5.0]), leaf([3.0, 3.0, 0.0, 4.0, 0.0, 2.0, 0.0]))


def test_index_reduce_ties() -> None:
    def prog(t, x, src):
        y = t.index_reduce(x, 0, t.tensor([1, 1, 0]), src, "amax", include_self=False)
        return y, t.autograd.grad(y.sum(), [x, src])

    same_in_both(prog, leaf([[1.0, 2.0], [5.0, 5.0]]), leaf([[5.0, 1.0], [5.0, 5.0], [0.0, 2.0]]))


def test_as_strided_scatter_input_gradient() -> None:
    # torch gives the input the gradient where src overwrote it (as_strided_scatter_backward)
    def prog(t, x, src):
        y = t.as_strided_scatter(x, src, (2, 2), (1, 2), 1)
        return y, t.autograd.grad((y * t.arange(9.0).reshape(3, 3)).sum(), [x, src])

    same_in_both(prog, randn(3, 3), randn(2, 2, seed=1))


def test_in_place_variants() -> None:
    def prog(t, x):
        y = x * 1
        y.index_put_((t.tensor([True, False, True, False]),), t.tensor(7.0))
        y.index_copy_(1, t.tensor([2]), t.ones(4, 1))
        y.masked_scatter_(t.tensor([False, True, True]), t.arange(12.0))
        y.put_(t.tensor([0, 0]), t.tensor([1.0, 2.0]), accumulate=True)
        y.index_fill_(0, t.tensor([3]), -1.0)
        y.scatter_reduce_(0, t.tensor([[0, 1, 0]]), t.full((1, 3), 3.0), "amax")  # saves y
        return y, y.grad_fn.name(), t.autograd.grad((y * y).sum(), x)

    same_in_both(prog, randn(4, 3))


def test_counting_and_searching() -> None:
    def prog(t, x):
        nan = float("nan")
        return (t.unique(t.tensor([nan, 1.0, nan, 1.0]), return_inverse=True, return_counts=True),
                t.unique_consecutive(t.tensor([1, 1, 2, 1]), return_counts=True),
                t.searchsorted(t.tensor([1.0, 2.0, nan]), t.tensor([nan, 1.5, 2.0]), right=True),
                t.bincount(t.tensor([1, 4, 1]), weights=t.tensor([0.5, 1.0, 2.0])),
                t.histc(x, bins=5, min=-1, max=1), t.histogram(x, bins=4),
                t.nonzero(x > 0), t.nonzero(x > 0, as_tuple=True), t.argwhere(x > 0.5),
                t.unravel_index(t.tensor([7, -1]), (2, 4)))  # fmt: skip

    same_in_both(prog, randn(3, 4, requires_grad=False))


@pytest.mark.parametrize("name", ["nonzero", "unique", "masked_select", "bincount"])
def test_value_dependent_shapes_under_jit(name: str) -> None:
    def fn(a):
        x = a.long() if name == "bincount" else a
        if name == "masked_select":
            return ag.masked_select(x, x > 0)
        return getattr(ag, name)(x)

    with pytest.raises((jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError)):
        jax.jit(ag.jax_function(fn))(jnp.ones(3))


def test_errors() -> None:
    def prog(t, x):
        return [
            _raises(lambda: t.take(x, t.tensor([12]))),
            _raises(lambda: t.index_put(x, (t.tensor([3]),), t.tensor(1.0))),
            _raises(lambda: t.index_copy(x, 0, t.tensor([0, 1]), t.ones(1, 4))),
            _raises(lambda: t.scatter_reduce(x, 0, t.tensor([[0]]), x, "add")),
            _raises(lambda: t.masked_scatter(x, t.ones(3, 4, dtype=t.bool), t.ones(5))),
            _raises(lambda: t.quantile(x, 1.5)),
            _raises(lambda: t.repeat_interleave(x, t.tensor([1, 2]), dim=0)),
        ]

    same_in_both(prog, randn(3, 4, requires_grad=False))


def _raises(fn):  # the exception, compared by class and text
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError("expected an error")
