"""`Tensor.backward`, `autograd.backward`, `.grad` and `retain_grad`, against real torch.

Each program runs once with `t = torch` and once with `t = autograd_grad` (see oracle.py):
the `.grad` of every tensor, its identity across accumulations, errors and warnings agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from oracle import const, leaf, randn, same_in_both

torch = pytest.importorskip("torch")

X = leaf([1.0, -2.0, 3.0])
W = randn(3, 3, seed=1)
B = randn(3, seed=2)


def test_backward_fills_leaf_grads() -> None:
    def prog(t, x, w, b):
        before = (x.grad, w.grad)
        loss = ((w @ x).tanh() + b).pow(2).sum()
        r = loss.backward()
        return r, before, x.grad, w.grad, b.grad, x.grad.requires_grad, x.grad.grad_fn

    same_in_both(prog, X, W, B)


def test_grads_accumulate_in_place_across_calls() -> None:
    def prog(t, x, w):
        (w @ x).sum().backward()
        first = x.grad
        snapshot = x.grad.clone()
        (w @ x).exp().sum().backward()
        return snapshot, x.grad, first is x.grad, w.grad

    same_in_both(prog, X, W)


def test_reset_with_none_and_zero() -> None:
    def prog(t, x):
        (x * x).sum().backward()
        x.grad = None
        (x * 3).sum().backward()
        after_none = x.grad.clone()
        x.grad.zero_()
        (x * 5).sum().backward()
        return after_none, x.grad

    same_in_both(prog, X)


def test_retain_graph_and_freed_graph() -> None:
    def prog(t, x):
        z = (x.exp() * x).sum()
        z.backward(retain_graph=True)
        z.backward()
        try:
            z.backward()
        except RuntimeError as e:
            return x.grad, str(e)
        return x.grad

    same_in_both(prog, X)


def test_backward_through_add_and_sum_twice() -> None:
    # Nodes that save nothing can be walked again after freeing, as in torch.
    def prog(t, x):
        z = (x + 1).sum()
        z.backward()
        z.backward()
        return x.grad

    same_in_both(prog, X)


def test_non_scalar_needs_gradient() -> None:
    def prog(t, x):
        y = x * 2
        y.backward(t.tensor([1.0, 0.5, -1.0]))
        return x.grad

    same_in_both(prog, X)
    same_in_both(lambda t, x: (x * 2).backward(), X)


def test_errors() -> None:
    same_in_both(lambda t, c: c.sum().backward(), const([1.0, 2.0]))
    same_in_both(lambda t, x: (x * 2).sum().backward(inputs=[]), X)
    same_in_both(lambda t, x, c: (x * 2).sum().backward(inputs=[c]), X, const([1.0, 2.0, 3.0]))
    same_in_both(lambda t, x: (x * 2).sum().backward(t.ones(2)), X)
    same_in_both(lambda t, x: t.autograd.backward((x * 2).sum(), inputs=types_mapping(x)), X)


def types_mapping(x: Any) -> Any:
    import types

    return types.MappingProxyType({"x": x})


def test_inputs_restrict_accumulation() -> None:
    def prog(t, x, w):
        (w @ x).sum().backward(inputs=[w])
        first = (x.grad, w.grad)
        (w @ x).sum().backward(inputs=x)
        (x * x).sum().backward(inputs={"w": w})  # unreachable input: nothing happens
        return first, x.grad, w.grad

    same_in_both(prog, X, W)


def test_non_leaf_input_is_retained() -> None:
    def prog(t, x):
        y = x * 2
        (y * y).sum().backward(inputs=[y, x])
        return y.retains_grad, y.grad, x.grad

    same_in_both(prog, X)


def test_retain_grad() -> None:
    def prog(t, x, w):
        h = w @ x
        h.retain_grad()
        h.retain_grad()  # twice is fine
        x.retain_grad()  # a leaf: no-op
        y = h.tanh()
        (y * y).sum().backward(retain_graph=True)
        first = h.grad.clone()
        (y * y).sum().backward()
        return h.retains_grad, x.retains_grad, first, h.grad, w.grad

    same_in_both(prog, X, W)
    same_in_both(lambda t, c: c.retain_grad(), const([1.0]))


def test_retained_output_gets_its_gradient() -> None:
    def prog(t, x):
        y = x.sin()
        y.retain_grad()
        y.backward(t.tensor([1.0, 2.0, 3.0]))
        return y.grad, x.grad

    same_in_both(prog, X)


def test_non_leaf_grad_warns() -> None:
    def prog(t, x):
        y = x * 2
        y.sum().backward()
        return y.grad, x.grad

    same_in_both(prog, X)


def test_create_graph_backward() -> None:
    # A gradient penalty through .grad: torch warns about the reference cycle.
    def prog(t, x, w):
        (w @ x).tanh().sum().backward(create_graph=True)
        gx = x.grad
        penalty = (gx * gx).sum()
        w.grad = None
        penalty.backward()
        return gx.requires_grad, w.grad, x.grad.requires_grad

    same_in_both(prog, X, W)


def test_autograd_backward_several_tensors() -> None:
    def prog(t, x, w):
        a = (x * 2).sum()
        b = w @ x
        r = t.autograd.backward([a, b], [None, t.tensor([1.0, -1.0, 0.5])])
        return r, x.grad, w.grad

    same_in_both(prog, X, W)


def test_grad_tensors_none_for_output_without_grad_path() -> None:
    def prog(t, x, w):
        t.autograd.backward([(x * x).sum(), (w * 3).sum()], grad_tensors=(None, t.tensor(2.0)))
        return x.grad, w.grad

    same_in_both(prog, X, W)


def test_backward_of_leaf_itself() -> None:
    def prog(t, x):
        g = t.tensor([5.0, 6.0, 7.0])
        x.backward(g)
        return x.grad, x.grad is g

    same_in_both(prog, X)


def test_grad_assignment_checks() -> None:
    same_in_both(lambda t, x: setattr(x, "grad", t.zeros(2)), X)
    same_in_both(lambda t, x: setattr(x, "grad", t.zeros(3, dtype=t.float64)), X)
    same_in_both(lambda t, x: setattr(x, "grad", t.zeros(3, dtype=t.int64)), X)
    same_in_both(lambda t, x: setattr(x, "grad", 3), X)

    def prog(t, x):
        x.grad = t.ones(3)
        (x * 2).sum().backward()
        return x.grad

    same_in_both(prog, X)


def test_optimizer_pattern_updates_leaf_in_place() -> None:
    # The SGD loop: backward, update under no_grad, reset: x stays the same leaf.
    def prog(t, x, w):
        out = []
        for _ in range(3):
            loss = ((w @ x).tanh() - 0.5).pow(2).sum()
            loss.backward()
            with t.no_grad():
                w -= 0.1 * w.grad
                x.sub_(0.1 * x.grad)
            w.grad = None
            x.grad.zero_()
            out.append(loss.detach())
        return out, w, x, w.is_leaf, w.requires_grad

    same_in_both(prog, X, W)


def test_grad_variables_is_deprecated() -> None:
    def prog(t, x):
        y = x * 2
        t.autograd.backward(y, grad_variables=t.ones(3))
        return x.grad

    same_in_both(prog, X)
    same_in_both(lambda t, x: t.autograd.backward(x * 2, t.ones(3), grad_variables=t.ones(3)), X)


def test_backward_dtypes() -> None:
    def prog(t, x):
        x64 = x.double().detach().requires_grad_()
        (x64 * x64).sum().backward()
        h = x.half().detach().requires_grad_()
        (h * h).sum().backward()
        return x64.grad, h.grad

    same_in_both(prog, X)


# --- R torch's names ------------------------------------------------------------------------

def r_backward(t: Any, tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
               create_graph: bool = False, inputs: Any = None) -> None:  # fmt: skip
    """R's `autograd_backward()`: ours by its own name, torch's with R's defaults spelled out."""
    if t is not torch:
        kwargs: dict[str, Any] = {"create_graph": create_graph, "inputs": inputs}
        if retain_graph is not None:
            kwargs["retain_graph"] = retain_graph
        return t.autograd_backward(tensors, grad_tensors, **kwargs)
    retain = create_graph if retain_graph is None else retain_graph
    return t.autograd.backward(tensors, grad_tensors, retain_graph=retain,
                               create_graph=create_graph, inputs=inputs)  # fmt: skip


def test_r_autograd_backward() -> None:
    def prog(t, x, w):
        y = (w @ x).tanh()
        r_backward(t, [y.sum()], retain_graph=True)
        r_backward(t, [y], [t.ones(3)], inputs=[w])
        try:
            r_backward(t, [y.sum()])  # freed: R's retain_graph defaults to create_graph
        except RuntimeError as e:
            return x.grad, w.grad, str(e)
        return x.grad, w.grad

    same_in_both(prog, X, W)


def r_mode(t: Any, name: str, code: Any) -> Any:
    """R's `with_no_grad(code)` / `with_enable_grad(code)`; torch's context managers."""
    if t is not torch:
        return getattr(t, name)(code)
    with (t.no_grad() if name == "with_no_grad" else t.enable_grad()):
        return code()


def test_r_grad_modes() -> None:
    def prog(t, x):
        a = r_mode(t, "with_no_grad", lambda: x * 2)
        b = r_mode(t, "with_no_grad", lambda: r_mode(t, "with_enable_grad", lambda: x * 2))
        if t is torch:
            t.set_grad_enabled(False)
        else:
            t.autograd_set_grad_mode(False)
        c = x * 2
        off = t.is_grad_enabled()
        if t is torch:
            t.set_grad_enabled(True)
        else:
            t.autograd_set_grad_mode(True)
        return a.requires_grad, b.requires_grad, c.requires_grad, off, t.is_grad_enabled()

    same_in_both(prog, X)


def test_r_with_no_grad_as_context_manager() -> None:
    import autograd_grad as ag

    x = ag.ones(2, requires_grad=True)
    with ag.with_no_grad():
        y = x * 2
    assert not y.requires_grad and ag.is_grad_enabled()
