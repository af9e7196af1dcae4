"""`autograd.functional` (vjp, jvp, jacobian, hessian, vhp, hvp), against real torch.

Every function runs with each combination of its flags (create_graph, strict, vectorize,
strategy) on single-tensor and tuple inputs and outputs; results, their requires_grad and
grad_fn, and every error (class and text) must agree with torch's.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from oracle import const, leaf, randn, same_in_both

torch = pytest.importorskip("torch")

X = const([0.5, -1.0, 2.0])
Y = randn(2, 3, seed=3, requires_grad=False)
V3 = const([1.0, 0.5, -2.0])


def F(t: Any) -> Any:
    return t.autograd.functional


def f_vec(x: Any) -> Any:  # R^3 -> R^3
    return x.sin() * x + x.exp()


def f_scalar(x: Any) -> Any:  # R^3 -> R, thrice differentiable
    return (x.tanh() * x * x).sum()


def f_two(x: Any, y: Any) -> Any:  # (R^3, R^{2x3}) -> (R^2, R^{2x3})
    return (y @ x.cos(), y * x)


def f_two_scalar(x: Any, y: Any) -> Any:
    return (y @ x.sin()).pow(2).sum() + (x * x).sum()


def f_linear(x: Any) -> Any:  # its jacobian does not depend on x
    return (2 * x).sum()


def f_independent(x: Any, y: Any) -> Any:  # ignores y
    return (x * x).sum()


def f_const(x: Any) -> Any:  # no grad path at all
    return x.detach() * 2


FLAGS = [dict(create_graph=c, strict=s) for c, s in itertools.product([False, True], repeat=2)]


def _call(t: Any, name: str, *args: Any, then_grad: bool = False, **kwargs: Any) -> Any:
    """The function's result; with create_graph, also a gradient through it, to show the
    result is differentiable (as torch's is)."""
    out = getattr(F(t), name)(*args, **kwargs)
    if not then_grad or not kwargs.get("create_graph"):
        return out
    flat = [o for o in _flatten(out) if o.requires_grad]
    ins = [a for a in args[1] if a.requires_grad] if isinstance(args[1], tuple) else \
        [args[1]] if args[1].requires_grad else []
    if not flat or not ins:
        return out
    total = sum((o * o).sum() for o in flat)
    return out, t.autograd.grad(total, ins, allow_unused=True)


def _flatten(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        return [y for e in x for y in _flatten(e)]
    return [x]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"cg{int(f['create_graph'])}-s{int(f['strict'])}")
def test_vjp_jvp(flags: dict[str, bool]) -> None:
    def prog(t, x, y, v):
        return (_call(t, "vjp", f_vec, x, v, **flags),
                _call(t, "vjp", f_scalar, x, **flags),
                _call(t, "vjp", f_two, (x, y), (t.ones(2), t.ones(2, 3)), **flags),
                _call(t, "jvp", f_vec, x, v, **flags),
                _call(t, "jvp", f_two, (x, y), (v, t.ones(2, 3)), **flags))  # fmt: skip

    same_in_both(prog, X, Y, V3)


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"cg{int(f['create_graph'])}-s{int(f['strict'])}")
def test_vhp_hvp(flags: dict[str, bool]) -> None:
    def prog(t, x, y, v):
        return (_call(t, "vhp", f_scalar, x, v, **flags),
                _call(t, "hvp", f_scalar, x, v, **flags),
                _call(t, "vhp", f_two_scalar, (x, y), (v, t.ones(2, 3)), **flags),
                _call(t, "hvp", f_two_scalar, (x, y), (v, t.ones(2, 3)), **flags))  # fmt: skip

    same_in_both(prog, X, Y, V3)


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"cg{int(f['create_graph'])}-s{int(f['strict'])}")
def test_jacobian_hessian(flags: dict[str, bool], vectorize: bool) -> None:
    def prog(t, x, y):
        def each(name: str, fn: Any, inputs: Any) -> Any:
            try:
                return _call(t, name, fn, inputs, vectorize=vectorize, **flags)
            except RuntimeError as e:  # strict + vectorize: torch refuses the combination
                return str(e)

        return (each("jacobian", f_vec, x), each("jacobian", f_two, (x, y)),
                each("hessian", f_scalar, x), each("hessian", f_two_scalar, (x, y)))  # fmt: skip

    same_in_both(prog, X, Y)


def test_forward_mode_strategy() -> None:
    def prog(t, x, y):
        jac = F(t).jacobian
        return (jac(f_vec, x, vectorize=True, strategy="forward-mode"),
                jac(f_two, (x, y), vectorize=True, strategy="forward-mode"))  # fmt: skip

    same_in_both(prog, X, Y)
    # Ours is computed in reverse mode: the Hessian's grad_fn is named after other ops.
    same_in_both(lambda t, x: F(t).hessian(f_scalar, x, vectorize=True,
                                           outer_jacobian_strategy="forward-mode"), X,
                 names=False)  # fmt: skip
    same_in_both(lambda t, x: F(t).jacobian(f_vec, x, strategy="forward-mode"), X)
    same_in_both(lambda t, x: F(t).jacobian(f_vec, x, vectorize=True, strategy="forward-mode",
                                            strict=True), X)  # fmt: skip
    same_in_both(lambda t, x: F(t).jacobian(f_vec, x, create_graph=True,
                                            strategy="forward-mode"), X)  # fmt: skip
    same_in_both(lambda t, x: F(t).jacobian(f_vec, x, strategy="sideways"), X)


def test_strict_mode_errors() -> None:
    j = lambda t, *a, **k: F(t).jacobian(*a, **k)  # noqa: E731
    same_in_both(lambda t, x: j(t, f_const, x, strict=True), X)
    same_in_both(lambda t, x, y: j(t, f_independent, (x, y), strict=True), X, Y)
    same_in_both(lambda t, x, y: j(t, f_independent, (x, y)), X, Y)  # zeros without strict
    same_in_both(lambda t, x: F(t).hessian(f_linear, x, strict=True), X)
    same_in_both(lambda t, x: F(t).hessian(f_linear, x), X)
    same_in_both(lambda t, x: F(t).vjp(f_const, x, t.ones(3), strict=True), X)
    same_in_both(lambda t, x: F(t).vjp(f_const, x, t.ones(3)), X)
    same_in_both(lambda t, x, y: F(t).vjp(f_independent, (x, y), strict=True), X, Y)
    same_in_both(lambda t, x, v: F(t).hvp(f_linear, x, v, strict=True), X, V3)
    same_in_both(lambda t, x, v: F(t).vhp(f_linear, x, v, strict=True), X, V3)
    same_in_both(lambda t, x, v: F(t).jvp(f_linear, x, v, strict=True), X, V3)


def test_argument_errors() -> None:
    same_in_both(lambda t, x: F(t).vjp(f_vec, [x, 1.0]), X)
    same_in_both(lambda t, x: F(t).vjp(f_vec, (x, 1.0)), X)
    same_in_both(lambda t, x: F(t).vjp(f_vec, 3.0), X)
    same_in_both(lambda t, x: F(t).vjp(f_vec, x), X)  # v needed: non-scalar output
    same_in_both(lambda t, x: F(t).vjp(f_vec, x, t.ones(2)), X)
    same_in_both(lambda t, x: F(t).vjp(f_two, (x, x.reshape(1, 3)), t.ones(2)), X)
    same_in_both(lambda t, x: F(t).vjp(f_two, (x, x.reshape(1, 3)), (t.ones(1),)), X)
    same_in_both(lambda t, x: F(t).jvp(f_vec, x), X)
    same_in_both(lambda t, x: F(t).hvp(f_vec, x, t.ones(3)), X)
    same_in_both(lambda t, x: F(t).vhp(lambda x: (x.sum(), x.sum()), x, t.ones(3)), X)
    same_in_both(lambda t, x: F(t).hessian(f_vec, x), X)
    same_in_both(lambda t, x: F(t).hessian(lambda x: (x.sum(),), x), X)
    same_in_both(lambda t, x: F(t).vjp(lambda x: 3.0, x), X)


def test_inputs_that_require_grad_keep_their_graph() -> None:
    # With create_graph, results depend on the caller's tensors (torch's view_as trick).
    def prog(t, w, x):
        jac = F(t).jacobian(lambda x: (w * x).tanh(), x, create_graph=True)
        hv = F(t).hvp(lambda x: (w * x.sin()).sum(), x, t.ones(3), create_graph=True)[1]
        return jac, hv, t.autograd.grad((jac.sum() + hv.sum()), w)

    same_in_both(prog, leaf([0.3, -0.7, 1.1]), X)


def test_scalar_input_without_v() -> None:
    def prog(t):
        x = t.tensor(0.7)
        return (F(t).vjp(lambda x: x.sin(), x), F(t).jvp(lambda x: x.sin(), x),
                F(t).hvp(lambda x: x.sin(), x), F(t).vhp(lambda x: x.sin(), x),
                F(t).hessian(lambda x: x.sin(), x), F(t).jacobian(lambda x: x.exp(), x))  # fmt: skip

    same_in_both(prog)
