"""Anomaly mode, gradcheck/gradgradcheck, Node.metadata and _version, against real torch."""

from __future__ import annotations

import warnings

import pytest
from oracle import leaf, randn, same_in_both

import autograd_grad as ag

torch = pytest.importorskip("torch")

X = leaf([0.0, 1.0, 4.0])
X64 = leaf([0.5, 1.5, -0.7], dtype="float64")
W64 = randn(2, 3, seed=8, dtype="float64")


def _quiet(fn):
    """Run with warnings silenced (anomaly mode warns; the forward stacks differ)."""

    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return run


def test_detect_anomaly_names_the_nan_node() -> None:
    def prog(t, x):
        out = []
        with t.autograd.detect_anomaly():
            for make in (lambda: (x / x).sum(), lambda: (x.sqrt() * 0).sum(),
                         lambda: (x.log() * 0).sum(), lambda: (x * 2).exp().sum()):  # fmt: skip
                try:
                    out.append(t.autograd.grad(make(), x))
                except RuntimeError as e:
                    out.append(str(e))
            inside = t.is_anomaly_enabled()
        return out, inside, t.is_anomaly_enabled()

    same_in_both(_quiet(prog), X)


def test_set_detect_anomaly_and_backward() -> None:
    def prog(t, x):
        t.autograd.set_detect_anomaly(True)
        try:
            (x / x).sum().backward()
            result = x.grad
        except RuntimeError as e:
            result = str(e)
        finally:
            t.autograd.set_detect_anomaly(False)
        plain = t.autograd.grad((x / x).sum(), x)  # off again: NaNs come back
        with t.autograd.set_detect_anomaly(True, check_nan=False):
            unchecked = t.autograd.grad((x / x).sum(), x)
            flags = (t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled())
        return result, plain, unchecked, flags, t.is_anomaly_enabled()

    same_in_both(_quiet(prog), X)


def test_anomaly_warns_with_the_forward_stack() -> None:
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ag.autograd.detect_anomaly():
            y = (x / x).sum()  # this line is in the stack
            with pytest.raises(RuntimeError, match="DivBackward0"):
                y.backward()
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith("Anomaly Detection has been enabled.")
    assert "Error detected in DivBackward0" in messages[1] and "y = (x / x).sum()" in messages[1]


def test_gradcheck_and_gradgradcheck() -> None:
    def prog(t, x, w):
        f = lambda a, b: (b @ a.sin()).tanh() * 2  # noqa: E731
        return (t.autograd.gradcheck(f, (x, w)), t.autograd.gradgradcheck(f, (x, w)),
                t.autograd.gradcheck(lambda a: (a * a).sum(), x),
                t.autograd.gradgradcheck(lambda a: a.exp(), (x,), (t.ones(3, dtype=t.float64),)))  # fmt: skip

    same_in_both(prog, X64, W64)


def test_gradcheck_finds_a_wrong_backward() -> None:
    def prog(t, x):
        class WrongSin(t.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a.sin()

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a.cos() * 1.5

        ok = t.autograd.gradcheck(WrongSin.apply, (x,), raise_exception=False)
        try:
            t.autograd.gradcheck(WrongSin.apply, (x,))
        except RuntimeError as e:  # GradcheckError
            return ok, type(e).__name__, str(e).split("\n")[0]
        return ok

    same_in_both(prog, X64)


def test_gradcheck_warns_for_single_precision() -> None:
    def prog(t, x):
        return t.autograd.gradcheck(lambda a: a * 3, (x,), atol=1e-2, rtol=1e-2)

    same_in_both(prog, leaf([0.5, 1.0]))


def test_node_metadata_and_version() -> None:
    def prog(t, x):
        y = x.exp()
        y.grad_fn.metadata["tag"] = 1
        z = x * 2
        before = z._version
        z.mul_(2)
        z.add_(1)
        return y.grad_fn.metadata, before, z._version, x._version

    same_in_both(prog, X)
