"""Deferred forward values (_lazy.py) and dynamic numbers (_dispatch.py): what is visible
is only the speed, so these tests check that values stay right and programs are reused."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import autograd_grad as ag
from autograd_grad import _dispatch, _lazy


def test_pending_values_looked_at_inside_a_jax_trace_stay_concrete() -> None:
    for _ in range(3):  # the later rounds run deferred (signatures seen)
        a = ag.ones(3) * 2
        b = a + 1
        seen = []
        jax.eval_shape(lambda: seen.append((b * 3).dtype))  # b is pending, computed inside
        assert not isinstance(b._value.data, jax.core.Tracer)
        assert b.tolist() == [3.0, 3.0, 3.0] and seen == [ag.float32]


def test_grad_of_non_leaf_inputs_repeated() -> None:
    for _ in range(3):
        x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
        a = x.exp()
        b = a * x
        ga, gb, gx = ag.autograd.grad((b * a).sum(), [a, b, x])
        assert np.allclose(gb.numpy(), a.detach().numpy())


def test_changing_numbers_reuse_one_program() -> None:
    w = ag.tensor([0.5, -1.0, 2.0], requires_grad=True)
    sizes = []
    for step in range(8):
        lr = 0.1 / (step + 1)  # a new Python float every step, as a scheduler gives
        loss = ((w * (1 + lr) - lr) ** 2).sum()
        loss.backward()
        with ag.no_grad():
            w.add_(w.grad, alpha=-lr)
        w.grad = None
        sizes.append((len(_dispatch._signatures), len(_lazy._programs)))
    assert sizes[-1] == sizes[3], sizes  # nothing new after the warm-up steps
    expected = np.array([0.5, -1.0, 2.0])
    for step in range(8):
        lr = 0.1 / (step + 1)
        grad = 2 * (expected * (1 + lr) - lr) * (1 + lr)
        expected = expected - lr * grad
    assert np.allclose(w.detach().numpy(), expected, rtol=1e-5)


def test_dynamic_numbers_promote_and_cast_as_python_numbers() -> None:
    for _ in range(2):  # first (eager) and deferred runs
        assert (ag.tensor([1, 2]) * 1.5).dtype is ag.float32
        assert (ag.tensor([1, 2], dtype=ag.int16) + 2**40).tolist() == [1, 2]  # wraps
        assert (ag.tensor([1, 2], dtype=ag.uint8) + (-1)).tolist() == [0, 1]
        half = ag.tensor([1.0], dtype=ag.float16) * 1e6
        assert half.dtype is ag.float16 and half.tolist() == [float("inf")]
        assert (ag.tensor([1.0]) * 1j).dtype is ag.complex64
        assert (ag.tensor([True]) + 1).dtype is ag.int64


def test_a_training_step_is_one_program_once_warm() -> None:
    x = ag.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    w = ag.tensor(np.full((3, 2), 0.1, dtype=np.float32), requires_grad=True)
    runs = []
    original = _lazy._run

    def counting(targets: list) -> None:
        runs.append(len(targets))
        original(targets)

    _lazy._run = counting
    try:
        for _ in range(5):
            runs.clear()
            loss = ((x @ w).tanh() ** 2).mean()
            (g,) = ag.autograd.grad(loss, w)
            with ag.no_grad():
                w -= 0.1 * g
            float(jnp.asarray(w.detach()).sum())
    finally:
        _lazy._run = original
    assert len(runs) <= 2, runs  # the grad (with the forward and the update), the read
