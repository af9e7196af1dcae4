"""Hooks against real torch: Tensor.register_hook on leaves and non-leaves (observing and
replacing gradients, several per tensor, chains and branches, create_graph), removal, the
post-accumulate-grad hook, Node prehooks and post hooks, and torch's errors."""

from __future__ import annotations

import pytest
from oracle import const, leaf, randn, same_in_both

torch = pytest.importorskip("torch")

X = leaf([1.0, -2.0, 3.0])
W = randn(3, 3, seed=7)


def test_leaf_hook_in_grad_and_backward() -> None:
    def prog(t, x):
        seen = []
        handle = x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: seen.append(g.clone()))
        a = t.autograd.grad((x * x).sum(), x)
        (x * x).sum().backward()
        handle.remove()
        (x * x).sum().backward()
        return a, x.grad, seen

    same_in_both(prog, X)


def test_non_leaf_hooks_replace_and_observe() -> None:
    def prog(t, x, w):
        log = []
        h = w @ x
        h.register_hook(lambda g: log.append(g.clone()))
        h.register_hook(lambda g: g.clamp(-1, 1))
        h.register_hook(lambda g: log.append(g.clone()))
        y = h.tanh()
        z = (y * y * 3).sum()
        r = t.autograd.grad(z, [x, w, h], retain_graph=True)
        z.backward()
        return r, log, x.grad, w.grad

    same_in_both(prog, X, W)


def test_chain_and_branches_of_hooked_tensors() -> None:
    def prog(t, x, w):
        a = x * 2
        b = a.sin()
        c = w @ a  # a feeds two branches
        a.register_hook(lambda g: g * 0.5)
        b.register_hook(lambda g: g + 1)
        c.register_hook(lambda g: -g)
        z = (b * c).sum() + (a ** 2).sum()
        return t.autograd.grad(z, [x, w])

    same_in_both(prog, X, W)


def test_hook_on_output_and_retain_grad() -> None:
    def prog(t, x):
        y = x.exp()
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        y.backward(t.ones(3))
        return y.grad, x.grad

    same_in_both(prog, X)


def test_hooks_with_create_graph() -> None:
    # A replacing hook under create_graph, then a second order through an observing hook.
    # (A replacing hook on a second-order path differs: see README "How it differs".)
    def prog(t, x, w):
        h = (w @ x).tanh()
        h.register_hook(lambda g: g * h.detach())
        (g,) = t.autograd.grad((h * h).sum(), x, create_graph=True)
        seen = []
        k = (w @ x).sin()
        k.register_hook(lambda g: seen.append(g.detach()))
        (gk,) = t.autograd.grad((k ** 3).sum(), x, create_graph=True)
        return g, g.requires_grad, gk, t.autograd.grad(gk.sum(), w), len(seen) > 0

    same_in_both(prog, X, W, names=False)


def test_hook_in_training_loop() -> None:
    # Gradient clipping by a leaf hook, the way people write it.
    def prog(t, x, w):
        w.register_hook(lambda g: g.clamp(-0.5, 0.5))
        losses = []
        for _ in range(3):
            loss = ((w @ x).tanh() - 0.3).pow(2).sum()
            loss.backward()
            with t.no_grad():
                w -= 0.5 * w.grad
            w.grad = None
            losses.append(loss.detach())
        return losses, w

    same_in_both(prog, X, W)


def test_post_accumulate_grad_hook() -> None:
    def prog(t, x, w):
        seen = []
        handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
        (w @ x).sum().backward()
        (w @ x).exp().sum().backward()
        t.autograd.grad((w @ x).sum(), w)  # grad() does not accumulate: no call
        handle.remove()
        (w @ x).sum().backward()
        return seen, w.grad

    same_in_both(prog, X, W)


def test_hook_errors() -> None:
    same_in_both(lambda t, c: c.register_hook(lambda g: g), const([1.0]))
    same_in_both(lambda t, x: (x * 2).register_post_accumulate_grad_hook(lambda p: None), X)
    same_in_both(lambda t, c: c.register_post_accumulate_grad_hook(lambda p: None), const([1.0]))


def test_node_prehooks_and_posthooks() -> None:
    def prog(t, x, w):
        log = []
        y = x * w
        y.register_hook(lambda g: g * 10)  # tensor hooks run before the node's prehooks
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go)))
        y.grad_fn.register_hook(lambda gi, go: (log.append(("post", gi, go)), (gi[0] * 2, None))[1])
        z = y.sin().sum()
        return t.autograd.grad(z, [x, w], allow_unused=True), log

    same_in_both(prog, X, leaf([3.0, 4.0, 0.5]))

    def multi_output(t, x):
        seen = []
        a, b = x.split([1, 2])
        handle = a.grad_fn.register_prehook(lambda go: (seen.append(go), (go[0] * 3, go[1]))[1])
        s = a.sum() + (b * b).sum()
        first = t.autograd.grad(s, x, retain_graph=True)
        handle.remove()
        return first, t.autograd.grad(s, x), seen, a.grad_fn is b.grad_fn

    same_in_both(multi_output, X)

    def with_backward_and_create_graph(t, x):
        u = x * 3
        y = u.tanh()
        y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1,))
        (y * y).sum().backward()
        s = x.sin()
        s.grad_fn.register_hook(lambda gi, go: (gi[0] * x,))
        (g,) = t.autograd.grad(s.sum(), x, create_graph=True)
        return x.grad, g, t.autograd.grad(g.sum(), x)

    same_in_both(with_backward_and_create_graph, X)


def test_node_hook_errors() -> None:
    def not_a_tuple(t, x):
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: 5)
        return t.autograd.grad(y.sum(), x)

    def wrong_length(t, x):
        y = x * 2
        y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
        return t.autograd.grad(y.sum(), x)

    same_in_both(not_a_tuple, X)
    same_in_both(wrong_length, X)
