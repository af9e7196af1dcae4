"""Views share writes with their base, against real torch: writes through basic indexing,
view/reshape, transpose, diagonal, split outputs, `.data` and `detach()`; the base's and the
views' values, grad_fn names (CopySlices, AsStridedBackward0), gradients, the shared version
counter, `_base`, and torch's errors for views that cannot be written."""

from __future__ import annotations

import pytest
from oracle import const, leaf, same_in_both

torch = pytest.importorskip("torch")

A = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_write_through_a_view_changes_the_base_and_its_other_views() -> None:
    def prog(t, a):
        x = a * 1
        v, w = x[0], x.t()
        before = (v.grad_fn.name(), v._version, x._version)
        v.mul_(2)
        after = (x.clone(), w.clone(), v._version, x._version, w._version, v._base is x)
        g1 = t.autograd.grad(x.sum(), a, retain_graph=True)
        g2 = t.autograd.grad((w * w).sum(), a, retain_graph=True)
        x.add_(1)  # a write to the base reaches its views
        return before, after, x, v, w, g1, g2, t.autograd.grad((v * v).sum(), a)

    same_in_both(prog, A)


def test_views_of_plain_tensors() -> None:
    def prog(t, z):
        z.diagonal().fill_(2)
        z[:, 1].copy_(t.tensor([1.0, 2.0, 3.0]))
        z.view(-1)[::4].zero_()
        z.unsqueeze(0).squeeze(0)[2] = 9
        top, bottom = z.split([1, 2])
        bottom.fill_(4)
        y = t.zeros(4)
        y.reshape(2, 2)[0, 0] = 1
        q = t.zeros(2, 3)
        q.t().reshape(-1)[0] = 7  # reshape of a non-contiguous view copies
        o = t.zeros(2, 3)
        t.add(t.ones(3), 1, out=o[1])
        return z, top, y, q, o

    same_in_both(prog, const([[0.0, 0.0, 0.0]] * 3))


def test_data_and_detach_share_elements_but_not_the_graph() -> None:
    def prog(t, p):
        p.data.mul_(2)
        d = p.detach()
        d.add_(1)
        pt = p.t()
        with t.no_grad():
            p.sub_(0.5)  # an optimizer step: views made before see it
            p[0].mul_(5)
        return p, p.is_leaf, p._version, d, d._base is None, pt, t.autograd.grad((pt * pt).sum(), p)

    same_in_both(prog, leaf([[1.0, 2.0], [3.0, 4.0]]))


def test_in_place_chain_on_views_of_a_clone() -> None:
    def prog(t, a):
        b = a.clone()
        b[0].mul_(a[1])
        b.t()[1].add_(10)
        return b, t.autograd.grad(b.pow(2).sum(), a)

    same_in_both(prog, A)


def test_views_that_cannot_be_written() -> None:
    def expanded(t, a):
        x = a * 1
        x.expand(2, 2, 3).add_(1)

    def of_a_leaf(t, a):
        a[0].mul_(2)

    def split_output(t, a):
        first, _ = (a * 1).split([1, 1])
        first.add_(1)

    def unbind_output(t, a):
        (a * 1).unbind(0)[1].mul_(1)

    def split_output_without_grad(t, a):
        x = a * 1
        first, _ = x.split([1, 1])
        with t.no_grad():
            first.add_(1)
        return x

    for prog in (expanded, of_a_leaf, split_output, unbind_output, split_output_without_grad):
        same_in_both(prog, A)


def test_more_view_ops() -> None:
    def prog(t, x):
        x.T[1, 2] = 1
        x.mT[0, 0] = 2
        x.unfold(1, 2, 2)[0, 1, 0] = 3
        x.as_strided((2,), (5,), 1)[1] = 4
        x.tensor_split(2, dim=1)[1][2, 0] = 5
        x.ravel()[-1] = 6
        x.split_with_sizes([1, 2])[1][1, 0] = 7
        x.movedim(0, 1)[3, 1] = 8
        x.select(1, 1)[0] = 9
        y = t.nn.functional.unfold(x.reshape(1, 1, 3, 4), 2)  # im2col: a copy
        y.fill_(0)
        return x

    same_in_both(prog, const([[0.0] * 4] * 3))


def test_in_place_view_ops() -> None:
    def prog(t, a):
        out = []
        for call in ("t_()", "transpose_(0, 1)", "unsqueeze_(0)", "as_strided_((3, 2), (1, 3))"):
            y = a * 2
            r = eval("y." + call)  # noqa: S307 - the call under test
            out.append((y.grad_fn.name(), r is y, y.shape, y._version))
        s = (a * 1).unsqueeze(0)
        s.squeeze_()
        out.append((s.grad_fn.name(), s.shape))
        z = t.zeros(2, 3)
        v = z[0]
        v.unsqueeze_(0)
        v.fill_(5)  # still a view of z
        q = a * 1
        q.t_()
        grads = t.autograd.grad((q * t.arange(6.0).reshape(3, 2)).sum(), a)
        return out, z, v._base is z, grads

    same_in_both(prog, A)

    def leaf_error(t, a):
        a.t_()

    same_in_both(leaf_error, A)
