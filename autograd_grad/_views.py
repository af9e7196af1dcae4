"""Views: tensors that share their elements with a base tensor, as torch's views share
storage (See Note [Views])."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype, _errors
from ._core import is_grad_enabled, no_grad, set_grad_enabled

if TYPE_CHECKING:
    from ._ops._table import OpDef
    from ._tensor import Tensor

# Note [Views]: values are immutable, so a view here is a tensor that remembers how it was
# read from its base (the tensor that is no view, `_base`): the view ops applied to the
# base, its `steps`. Writing to a view (an in-place op, setitem, copy_, out=) writes to the
# base: the base's new value is the old one with the view's new elements scattered in, a
# `_write_view` node (torch's CopySlices), through an index map (the steps applied to
# arange(base.numel())). After any write to a base, its live views are read again from its
# new value (`_read_view` nodes: torch regenerates their grad_fn as AsStridedBackward0). A
# base and its views share one version counter. `detach()` and `.data` are views too that
# autograd does not see: writing through them changes the base's elements, not its graph.
#
# Which ops return views: those whose OpDef says `view` (views of a contiguous operand only,
# where it says "reshape"). We keep no strides: a view is contiguous while every step of it
# is a reshape, squeeze or unsqueeze (x.t().reshape(-1) copies, as in torch).
_CONTIGUOUS = frozenset({"squeeze", "unsqueeze", "detach", "data"})
DETACH = ("detach", (), (), None)
DATA = ("data", (), (), None)  # as detach, with a version counter of its own
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")
_MULTI_VIEW = ("Output {} of {} is a view and is being modified inplace. This view is the output "
               "of a function that returns multiple views. Such functions do not allow the output "
               "views to be modified inplace. You should replace the inplace operation by an "
               "out-of-place one.")


class View(NamedTuple):
    base: Tensor
    steps: tuple[tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...], int | None], ...]


def _register(base: Tensor, view: Tensor, steps: tuple[Any, ...]) -> None:
    view.__dict__["_view"] = View(base, steps)
    # The base's live views, by identity (a WeakSet would compare tensors with ==).
    views = base.__dict__.setdefault("_views", {})
    key = id(view)
    views[key] = weakref.ref(view, lambda _, views=views, key=key: views.pop(key, None))


def _live_views(base: Tensor) -> list[Tensor]:
    refs = list(base.__dict__.get("_views", {}).values())
    return [w for w in (r() for r in refs) if w is not None]


def track(opdef: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any],
          results: list[Tensor]) -> None:  # fmt: skip
    """Called by dispatch for a view op: its results become views of its input's base."""
    from ._ops import OPS
    from ._tensor import Tensor

    src = args[0]
    if any(isinstance(a, (Tensor, _dtype.dtype))
           for a in jax.tree_util.tree_leaves((args[1:], kwargs))):  # fmt: skip
        return  # an index tensor (advanced indexing copies), or view(dtype): new bytes
    view = src._view
    if opdef.view == "reshape" and view is not None and not all(
            s[0] in _CONTIGUOUS or OPS[s[0]].view == "reshape" for s in view.steps):  # fmt: skip
        return
    base = src if view is None else view.base
    prefix = () if view is None else view.steps
    multi = opdef.multi_output
    for i, r in enumerate(results):
        step = (opdef.name, tuple(args[1:]), tuple(sorted(kwargs.items())), i if multi else None)
        _register(base, r, (*prefix, step))


def adopt(t: Tensor, view: View) -> None:
    """`t` (a view) now reads its base through `view`'s steps (an in-place view op)."""
    _register(view.base, t, view.steps)


def detached(t: Tensor, alias: Tensor, step: tuple[Any, ...] = DETACH) -> Tensor:
    """`alias` (t.detach(), or t.data with `step` DATA) as a view of t's base that autograd
    does not see."""
    view = t._view
    if view is None:
        _register(t, alias, (step,))
    else:
        _register(view.base, alias, (*view.steps, step))
    return alias


def hidden(steps: tuple[Any, ...]) -> bool:
    """The view is read through detach() or .data: autograd does not see its writes."""
    return DETACH in steps or DATA in steps


def apply_steps(x: Any, steps: tuple[Any, ...]) -> Any:
    """The view of array `x` that `steps` read."""
    from ._ops import OPS

    for name, args, kwargs, index in steps:
        if name in ("detach", "data"):
            continue
        x = OPS[name].impl(x, *args, **dict(kwargs))
        if index is not None:
            x = x[index]
    return x


def _frozen(x: Any) -> Any:
    if isinstance(x, slice):
        return ("slice", x.start, x.stop, x.step)
    if isinstance(x, (tuple, list)):
        return tuple(_frozen(v) for v in x)
    return x


_MAPS: dict[Any, np.ndarray] = {}


def index_map(shape: tuple[int, ...], steps: tuple[Any, ...]) -> np.ndarray:
    """For each element of the view, its position in the flattened base."""
    key = (shape, _frozen(steps))
    idx = _MAPS.get(key)
    if idx is None:
        if len(_MAPS) >= 512:
            _MAPS.clear()
        with jax.ensure_compile_time_eval():
            iota = jnp.arange(int(np.prod(shape)), dtype=jnp.int32).reshape(shape)
            idx = _MAPS[key] = np.asarray(apply_steps(iota, steps))
    return idx


def check_write(t: Tensor) -> None:
    """torch's errors for writing to a view, raised before anything changes."""
    view = t._view
    if view is None or hidden(view.steps[-1:]):
        return
    last = view.steps[-1]
    if last[3] is not None and is_grad_enabled() and t.requires_grad:
        node = t._value.node
        name = node.name().removesuffix("Backward0") if node is not None else last[0]
        raise RuntimeError(_MULTI_VIEW.format(last[3], name))
    if is_grad_enabled() and t.requires_grad and view.base.is_leaf and view.base.requires_grad:
        raise RuntimeError(_errors.VIEW_OF_LEAF_INPLACE)
    idx = index_map(tuple(view.base.shape), view.steps)
    if np.unique(idx).size != idx.size:
        raise RuntimeError(_OVERLAP)


def after_write(t: Tensor, store: Any) -> None:
    """`t` was written in place: write its elements into its base, then read the base's
    views again. `store(tensor, result, count)` points a tensor at a new value (_bind's)."""
    from ._dispatch import dispatch
    from ._ops import OPS

    view = t._view
    base = t
    if view is not None:
        base = view.base
        if hidden(view.steps):
            with no_grad():  # autograd does not see writes through .data or detach()
                new = dispatch(OPS["_write_view"], (base, t), {"steps": view.steps})
            v = base._value
            base._set_value(new._value.with_graph(v.node, v.index, v.requires_grad))
        else:
            new = dispatch(OPS["_write_view"], (base, t), {"steps": view.steps})
            store(base, new, count=False)  # one write, one version
    for w in _live_views(base):
        steps = w._view.steps
        with set_grad_enabled(w.requires_grad and not hidden(steps)):
            w._set_value(dispatch(OPS["_read_view"], (base,), {"steps": steps})._value)
