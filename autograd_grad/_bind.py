"""Tensor methods, operators, in-place variants and namespaces, generated from `OPS`."""

from __future__ import annotations

import inspect
import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from . import _device, _dtype, _errors, _views
from ._core import is_grad_enabled
from ._dispatch import dispatch
from ._ops import OPS
from ._ops._table import OpDef
from ._tensor import Tensor, warn_once

NAMESPACES: dict[str, dict[str, Callable[..., Any]]] = {
    "torch": {}, "nn.functional": {}, "linalg": {}, "special": {}, "fft": {},
    "signal.windows": {}}  # fmt: skip

_INPLACE_DUNDERS = {"__add__": "__iadd__", "__sub__": "__isub__", "__mul__": "__imul__",
                    "__truediv__": "__itruediv__", "__floordiv__": "__ifloordiv__",
                    "__mod__": "__imod__", "__pow__": "__ipow__", "__and__": "__iand__",
                    "__or__": "__ior__", "__xor__": "__ixor__"}  # fmt: skip


def _function(opdef: OpDef, takes_out: bool) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            if not takes_out:
                raise TypeError(f"{opdef.name}() got an unexpected keyword argument 'out'")
            if kwargs["out"] is not None:
                return _write_out(opdef, args, kwargs)
            kwargs = {k: v for k, v in kwargs.items() if k != "out"}
        return dispatch(opdef, args, kwargs)

    fn.__name__ = fn.__qualname__ = opdef.name
    fn.__doc__ = f"Same as `torch.{opdef.name}`."
    fn.__signature__ = inspect.signature(opdef.impl)  # type: ignore[attr-defined]
    return fn


def _write_out(opdef: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torch's `out=`: the op runs as usual, then its results are written into the given
    tensors (resized, with torch's warning when they had elements; cast where the cast is
    safe). No autograd through out=, as in torch."""
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{opdef.name}(): argument 'out' must be Tensor, not "
                            f"{type(o).__name__}")  # fmt: skip
    tensors = [x for x in (*jax.tree_util.tree_leaves((args, kwargs)), *outs)
               if isinstance(x, Tensor)]  # fmt: skip
    if is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise RuntimeError(f"{opdef.name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    result = dispatch(opdef, args, kwargs)
    results = tuple(result) if isinstance(result, tuple) else (result,)
    if len(outs) != len(results):
        raise TypeError(f"{opdef.name}(): argument 'out' must be a tuple of {len(results)} "
                        f"Tensors, not {len(outs)}")  # fmt: skip
    for o, r in zip(outs, results):
        if r.dtype is not o.dtype and not _dtype.can_cast(r.dtype, o.dtype):
            raise RuntimeError(
                f"result type {_dtype.legacy_name(r.dtype)} can't be cast to the desired "
                f"output type {_dtype.legacy_name(o.dtype)}")
    for o, r in zip(outs, results):
        if o.shape != r.shape and o.numel() != 0:
            warnings.warn(_errors.OUT_RESIZED.format(list(o.shape), list(r.shape)),
                          UserWarning, stacklevel=3)  # fmt: skip
        assign(o, r.to(o.dtype))
    if opdef.multi_output:
        # a namedtuple of the outs (torch.max(x, 1, out=...)); a list result: None
        wrap = getattr(opdef.impl, "result_type", None)
        return wrap(*outs) if wrap is not None else None
    return out


def _method(opdef: OpDef) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return dispatch(opdef, (self, *args), kwargs)

    return method


# torch's reflected operators of commutative ops call the op with self first (x.add(2)).
_COMMUTATIVE = frozenset({"__radd__", "__rmul__", "__rand__", "__ror__", "__rxor__"})


def _reflected(opdef: OpDef, dunder: str) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Any:
        if dunder in _COMMUTATIVE:
            return dispatch(opdef, (self, other), {})
        return dispatch(opdef, (other, self), {})

    return method


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    # torch/_tensor.py: __rdiv__ is self.reciprocal() * other (grad_fn MulBackward0).
    return dispatch(OPS["reciprocal"], (self,), {}) * other


def _rfloordiv(self: Tensor, other: Any) -> Tensor:
    # torch/_tensor.py: torch.floor_divide(other, self).
    return dispatch(OPS["floor_divide"], (other, self), {})


def check_inplace(t: Tensor, view: bool = False) -> None:
    """torch's check_inplace: a leaf that requires grad (or a view of one) can't be changed
    while recording."""
    if t.is_leaf and t.requires_grad and is_grad_enabled():
        raise RuntimeError(_errors.VIEW_OF_LEAF_INPLACE if view else _errors.LEAF_INPLACE)
    _views.check_write(t)


def assign(t: Tensor, result: Tensor) -> Tensor:
    """Point `t` at the value of an in-place op's result, computed in t's dtype (dispatch's
    `out_dtype`; See Note [Values and tensors]), and write it through to t's base and views
    (See Note [Views] in _views.py)."""
    _store(t, result)
    if t._view is not None or t.__dict__.get("_views"):
        _views.after_write(t, _store)
    return t


def _store(t: Tensor, result: Tensor, count: bool = True) -> None:
    assert result.dtype is t.dtype, "in-place results are dispatched with out_dtype"
    if count:
        t._version += 1  # torch's version counter, shared with views
    old = t._value
    if result._value.node is None and (t.is_leaf or not is_grad_enabled()):
        # Not recorded (no_grad, or nothing requires grad): the tensor keeps its place in the
        # graph (a leaf stays a leaf, as in torch's optimizer-style updates under no_grad; a
        # non-leaf keeps its grad_fn). A new Value all the same: pending values computed from
        # the old one must still read the old array.
        t._set_value(result._value.with_graph(old.node, old.index, old.requires_grad))
    else:
        t._set_value(result._value)


def _inplace(opdef: OpDef) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self)
        return assign(self, dispatch(opdef, (self, *args), kwargs, out_dtype=self.dtype))

    return method


# --- indexing ------------------------------------------------------------------------------
# Note [Indexing]: torch applies an index in two stages (python_variable_indexing.cpp
# `applySlicing`, then `at::index`): integers, slices and None become view ops one by one
# (select, slice, unsqueeze; a full slice is skipped inside a tuple), then any index tensors
# are applied at once. x[key] dispatches the same steps, so grad_fn names, next_functions
# and errors match; x[key] = v writes through one functional setitem op on the whole tensor,
# named after the in-place op torch would run (CopySlices when the target is a view).

_NON_TUPLE_INDEX = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result")
_UINT8_INDEX = ("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                "instead.")
_ZERO_DIM_INDEX = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                   "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
_INDEX_DTYPES = ("int64", "int32", "uint8", "bool")


@dataclass
class _Index:
    """x[key] resolved against x's shape (See Note [Indexing])."""

    views: list[tuple[int, Any]] = field(default_factory=list)  # (dim, int | slice | None)
    shape: list[int] = field(default_factory=list)  # after the views
    tensors: list[tuple[int, Tensor]] = field(default_factory=list)  # (dim, index or mask)
    numpy_key: list[Any] = field(default_factory=list)  # the same index for numpy, or None
    ints_and_tensors: bool = False  # numpy would place the tensors' dims differently


def _is_int(x: Any) -> bool:
    return (isinstance(x, int) and not isinstance(x, bool)) or isinstance(x, np.integer)


def _is_sequence(x: Any) -> bool:
    if isinstance(x, (Tensor, str, dict)):
        return False
    return isinstance(x, (list, tuple, range, np.ndarray)) or (
        hasattr(type(x), "__getitem__") and hasattr(type(x), "__len__"))


def _as_tuple(key: Any) -> tuple[Any, ...]:
    """torch's wrapTuple with NumPy's heuristic for non-tuple sequences (treatSequenceAsTuple)."""
    if isinstance(key, tuple):
        return key
    if (_is_sequence(key) or isinstance(key, str)) and not isinstance(key, np.ndarray) and len(
            key) < 32:  # fmt: skip
        for item in key:
            if (isinstance(item, (Tensor, slice)) or _is_sequence(item) or isinstance(item, str)
                    or item is None or item is Ellipsis):  # fmt: skip
                warnings.warn(_NON_TUPLE_INDEX, UserWarning, stacklevel=4)
                return tuple(key)
    return (key,)


def _index_tensor(data: Any) -> Tensor:
    """A list (or array) used as an index: bool/uint8 data stays a mask, the rest is int64
    (torch's indexing_tensor_from_data)."""
    from ._creation import _from_data, _infer_scalar_type

    kind = _infer_scalar_type(data)
    keep = kind in (_dtype.bool_, _dtype.uint8)
    return Tensor._from_array(_from_data(data, kind if keep else _dtype.int64))


def _full_slice(s: slice, size: int) -> bool:
    start = 0 if s.start is None else operator.index(s.start)
    return start == 0 and s.step in (None, 1) and (s.stop is None or operator.index(s.stop) >= size)


def _check_slice(s: slice) -> slice:
    """A slice of plain ints (bounds may be 0-d tensors), with torch's step errors."""
    start, stop, step = (None if b is None else operator.index(b)
                         for b in (s.start, s.stop, s.step))  # fmt: skip
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step is not None and step < 0:
        raise ValueError("step must be greater than zero")
    return slice(start, stop, step)


def _resolve(shape: tuple[int, ...], key: Any, setitem: bool) -> _Index:
    """torch's THPVariable_getitem/setitem fast paths and applySlicing, on shapes only."""
    ndim = len(shape)
    plan = _Index(shape=list(shape))
    if not isinstance(key, tuple):
        # The single-index paths: a lone slice is never skipped in x[s], always in x[s] = v.
        if key is None or (setitem and key is True):
            plan.views.append((0, None))
            plan.shape.insert(0, 1)
            plan.numpy_key.append(None)
            return plan
        if key is Ellipsis:
            return plan
        if _is_int(key) and ndim == 0:
            raise IndexError(_ZERO_DIM_INDEX)
        if isinstance(key, slice):
            if ndim == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            s = _check_slice(key)
            if setitem and _full_slice(s, shape[0]):
                return plan
            plan.views.append((0, s))
            plan.shape[0] = len(range(*s.indices(shape[0])))
            plan.numpy_key.append(s)
            return plan
        key = _as_tuple(key)

    specified = 0
    for obj in key:
        if isinstance(obj, Tensor):
            specified += obj.ndim if obj.dtype.name in ("bool", "uint8") else 1
        elif obj is not None and obj is not Ellipsis and not isinstance(obj, bool):
            specified += 1
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    dim = 0
    has_int = False
    for real_dim, obj in enumerate(key):
        if isinstance(obj, Tensor) and obj.ndim == 0 and not (
                obj.dtype.is_floating_point or obj.dtype.is_complex):  # fmt: skip
            obj = bool(obj.item()) if obj.dtype.name in ("bool", "uint8") else int(obj.item())
        elif not isinstance(obj, (Tensor, bool, slice)) and obj is not None and (
                obj is not Ellipsis and not _is_int(obj)):  # fmt: skip
            if not _is_sequence(obj) and not isinstance(obj, str):
                name = type(obj).__name__ if type(obj).__module__ == "builtins" else (
                    f"{type(obj).__module__}.{type(obj).__name__}")  # fmt: skip
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    f"Variables are valid indices (got {name})")
            obj = _index_tensor(obj)
        if _is_int(obj):
            i = operator.index(obj)
            size = plan.shape[dim]
            if not -size <= i < size:
                raise IndexError(
                    f"index {i} is out of bounds for dimension {real_dim} with size {size}")
            plan.views.append((dim, i))
            del plan.shape[dim]
            plan.numpy_key.append(i)
            has_int = True
        elif isinstance(obj, slice):
            s = _check_slice(obj)
            if not _full_slice(s, plan.shape[dim]):
                plan.views.append((dim, s))
                plan.shape[dim] = len(range(*s.indices(plan.shape[dim])))
            plan.numpy_key.append(s)
            dim += 1
        elif obj is Ellipsis:
            skipped = ndim - specified
            plan.numpy_key.extend([slice(None)] * skipped)
            dim += skipped
        elif obj is None or isinstance(obj, bool):
            plan.views.append((dim, None))
            plan.shape.insert(dim, 1)
            plan.numpy_key.append(None)
            if isinstance(obj, bool):
                index = _dtype.to_device(np.zeros((1 if obj else 0,), np.int64))
                plan.tensors.append((dim, Tensor._from_array(index)))
                has_int = True  # numpy can't index the new axis in the same key
            dim += 1
        else:
            plan.tensors.append((dim, obj))
            plan.numpy_key.append(obj)
            dim += obj.ndim if obj.dtype.name in ("bool", "uint8") else 1
    plan.ints_and_tensors = has_int and bool(plan.tensors)
    return plan


def _index_arrays(plan: _Index) -> tuple[list[tuple[int, np.ndarray]], tuple[int, ...]]:
    """The index tensors checked as at::index checks them (dtypes, masks, broadcasting,
    bounds), masks expanded to integer arrays: (dim, array) pairs and the result shape."""
    for _, t in plan.tensors:
        if t.dtype.name not in _INDEX_DTYPES:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    arrays: list[tuple[int, np.ndarray]] = []
    for dim, t in plan.tensors:
        a = np.asarray(t._data)
        if t.dtype.name in ("bool", "uint8"):
            if t.dtype.name == "uint8":
                warnings.warn(_UINT8_INDEX, UserWarning, stacklevel=4)
            for j in range(a.ndim):
                if dim + j >= len(plan.shape) or a.shape[j] != plan.shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(a.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {plan.shape} at index {dim + j}")
            arrays.extend(zip(range(dim, dim + a.ndim), np.nonzero(a)))
        else:
            arrays.append((dim, a.astype(np.int64)))
    try:
        broadcast = np.broadcast_shapes(*(a.shape for _, a in arrays))
    except ValueError:
        shapes = ", ".join(str(list(a.shape)) for _, a in arrays)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes "
            f"{shapes}") from None
    for dim, a in arrays:
        size = plan.shape[dim]
        bad = (a < -size) | (a >= size)
        if bad.any():
            raise IndexError(
                f"index {a[bad].flat[0]} is out of bounds for dimension {dim} with size {size}")
    dims = [d for d, _ in arrays]
    rest = [s for d, s in enumerate(plan.shape) if d not in dims]
    adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
    at = dims[0] if adjacent else 0
    return arrays, tuple(rest[:at]) + tuple(broadcast) + tuple(rest[at:])


def _advanced_key(arrays: list[tuple[int, np.ndarray]]) -> tuple[Any, ...]:
    """A numpy-style key applying integer arrays at their dims (full slices elsewhere)."""
    last = max(d for d, _ in arrays)
    key: list[Any] = [slice(None)] * (last + 1)
    for d, a in arrays:
        key[d] = Tensor._from_array(_dtype.to_device(a))
    return tuple(key)


def _getitem(self: Tensor, key: Any) -> Tensor:
    """Same as `Tensor.__getitem__`: the view ops, then the index tensors (See Note [Indexing])."""
    plan = _resolve(tuple(self.shape), key, setitem=False)
    arrays = _index_arrays(plan)[0] if plan.tensors else []
    getitem = OPS["getitem"]
    out = self
    for dim, part in plan.views:
        out = dispatch(getitem, (out, (slice(None),) * dim + (part,)), {})
    if arrays:
        out = dispatch(getitem, (out, _advanced_key(arrays)), {})
    elif not plan.views:
        out = dispatch(getitem, (out, ()), {})  # torch: at::alias, AliasBackward0
    return out


def _value_tensor(self: Tensor, value: Any) -> Tensor:
    """torch's valueToTensor: a tensor, or a Python number converted to self's dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, complex, np.integer)):
        number = value.item() if isinstance(value, np.integer) else value
        value = np.asarray(_dtype.checked_scalar(number, self.dtype), self.dtype.np)
        return Tensor._from_array(_dtype.to_device(value))
    name = type(value).__name__ if type(value).__module__ == "builtins" else (
        f"{type(value).__module__}.{type(value).__name__}")  # fmt: skip
    raise TypeError(f"can't assign a {name} to a {self.type()}")


def _strip_leading_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    # torch: at::indexing::slicePrefix1sSize
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """Same as `Tensor.__setitem__` (torch's THPVariable_setitem and at::indexing::set_item)."""
    v = _value_tensor(self, value)
    if key is False:
        return  # torch: "do nothing for false"
    plan = _resolve(tuple(self.shape), key, setitem=True)
    is_view = bool(plan.views)
    check_inplace(self, view=is_view)
    dst = tuple(plan.shape)
    if not plan.tensors:
        # at::indexing::copy_to: copy_ for equal shapes, fill_ from a 0-d value, else a view
        # of the value without leading 1s, expanded.
        if tuple(v.shape) == dst:
            name = "torch::autograd::CopyBackwards"
        elif v.ndim == 0:
            name = "FillBackward3"
        else:
            v = dispatch(OPS["view"], (v, _strip_leading_ones(tuple(v.shape))), {})
            if tuple(v.shape) != dst:
                v = dispatch(OPS["expand"], (v, dst), {})
            name = "torch::autograd::CopyBackwards"
        full_key: Any = tuple(plan.numpy_key)
    else:
        stripped = _strip_leading_ones(tuple(v.shape))
        if stripped != tuple(v.shape):
            v = dispatch(OPS["view"], (v, stripped), {})
        arrays, result_shape = _index_arrays(plan)
        mask_fill = (len(plan.tensors) == 1 and plan.tensors[0][1].dtype.name in ("bool", "uint8")
                     and v.numel() == 1)  # fmt: skip
        if not mask_fill and v.dtype is not self.dtype:
            raise RuntimeError(
                f"Index put requires the source and destination dtypes match, got "
                f"{_dtype.legacy_name(self.dtype)} for the destination and "
                f"{_dtype.legacy_name(v.dtype)} for the source.")
        if not mask_fill:
            try:
                np.broadcast_to(np.empty(tuple(v.shape), bool), result_shape)
            except ValueError:
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to "
                    f"indexing result of shape {list(result_shape)}") from None
        name = "IndexPutBackward0"
        full_key = _setitem_key(tuple(self.shape), plan, arrays)
    if is_view:
        name = "torch::autograd::CopySlices"
    if v.dtype.is_complex and not self.dtype.is_complex:
        warn_once(_errors.COMPLEX_TO_REAL, stacklevel=3)
    assign(self, dispatch(OPS["setitem"], (self, full_key, v), {}, grad_fn=name,
                          out_dtype=self.dtype))  # fmt: skip


def _setitem_key(shape: tuple[int, ...], plan: _Index, arrays: list[tuple[int, np.ndarray]]) -> Any:
    """The whole-tensor key for x[key] = v with index tensors. Where numpy would lay out the
    indexed dims differently from torch (integers or bools next to tensors), the target
    positions are computed by indexing an array of flat positions the torch way."""
    if not plan.ints_and_tensors:
        key: list[Any] = []
        for part in plan.numpy_key:
            if isinstance(part, Tensor) and part.dtype.name in ("bool", "uint8"):
                masked = np.nonzero(np.asarray(part._data))
                key.extend(Tensor._from_array(_dtype.to_device(a)) for a in masked)
            else:
                key.append(part)
        return tuple(key)
    ids: np.ndarray = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    for dim, part in plan.views:
        ids = ids[(slice(None),) * dim + (part,)]
    last = max(d for d, _ in arrays)
    index: list[Any] = [slice(None)] * (last + 1)
    for d, a in arrays:
        index[d] = a
    positions = ids[tuple(index)]
    return tuple(Tensor._from_array(_dtype.to_device(p))
                 for p in np.unravel_index(positions, shape))  # fmt: skip


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Same as `Tensor.to`: dtype and/or device (See Note [Devices] in _device.py)."""
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    target = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, target = a.dtype, a.device
        elif a is not None:
            target = a
    out = self
    if target is not None:
        jdev = _device.jax_device(target)
        if _device.torch_device(jdev) != self.device or copy:
            _device.note_placed(jdev)
            out = dispatch(OPS["to_device"], (out, jdev), {})
            copy = False
    if dtype is None or (dtype is out.dtype and not copy):
        return out
    if out.dtype.is_complex and not dtype.is_complex:
        warn_once(_errors.COMPLEX_TO_REAL, stacklevel=3)
    return dispatch(OPS["to_dtype"], (out, dtype), {})


def _cuda(self: Tensor, device: Any = None, non_blocking: bool = False, **_: Any) -> Tensor:
    """Same as `Tensor.cuda`: to CUDA device `device` (an index or a device; default 0)."""
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return _to(self, device)


def _cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """Same as `Tensor.cpu`."""
    return _to(self, "cpu")


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:  # fmt: skip
    from ._creation import tensor

    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _everywhere() -> Tensor:
    return Tensor._from_array(_dtype.to_device(np.ones((), bool)))  # See Note [Host arrays]


def _fill_(self: Tensor, value: Any) -> Tensor:
    """Same as `Tensor.fill_`: FillBackward2 for a number, FillBackward3 for a 0-d tensor."""
    check_inplace(self)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")  # fmt: skip
        name = "FillBackward3"
    else:
        value = _dtype.checked_scalar(value, self.dtype)
        name = "FillBackward2"
    return assign(self, dispatch(OPS["masked_fill"], (self, _everywhere(), value), {},
                                 grad_fn=name, out_dtype=self.dtype))  # fmt: skip


def _copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Same as `Tensor.copy_`: src's values (broadcast, cast) into self, in place."""
    check_inplace(self)
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")  # fmt: skip
    if self.dtype.is_complex is False and src.dtype.is_complex:
        warn_once(_errors.COMPLEX_TO_REAL, stacklevel=2)
        src = src.real
    return assign(self, dispatch(OPS["copy"], (self, src.to(self.dtype)), {},
                                 out_dtype=self.dtype))  # fmt: skip


def _polygamma(self: Tensor, n: int) -> Tensor:
    """Same as `Tensor.polygamma(n)`: torch.polygamma(n, self)."""
    return dispatch(OPS["polygamma"], (n, self), {})


def _polygamma_(self: Tensor, n: int) -> Tensor:
    check_inplace(self)
    return assign(self, dispatch(OPS["polygamma"], (n, self), {}, out_dtype=self.dtype))


def _squeeze_name(*dims: Any, dim: Any = None) -> str:
    dims = dims or ((dim,) if dim is not None else ())
    if not dims:
        return "SqueezeBackward3"
    return "SqueezeBackward5" if isinstance(dims[0], (tuple, list)) else "SqueezeBackward4"


# In-place view ops (x.t_(), x.unsqueeze_(0)): the tensor becomes that view of itself; a view
# stays a view of its base, so writes through it still reach the base (See Note [Views]).
# Their nodes are torch's in-place overloads' (TBackward1...).
_INPLACE_VIEWS: dict[str, tuple[str, Callable[..., str]]] = {
    "t_": ("t", lambda: "TBackward1"),
    "transpose_": ("transpose", lambda dim0, dim1: "TransposeBackward1"),
    "squeeze_": ("squeeze", _squeeze_name),
    "unsqueeze_": ("unsqueeze", lambda dim: "UnsqueezeBackward1"),
    "as_strided_": ("as_strided", lambda *a, **k: "AsStridedBackward1"),
}


def _inplace_view(name: str) -> Callable[..., Tensor]:
    op_name, node_name = _INPLACE_VIEWS[name]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self)
        if self.__dict__.get("_views"):
            raise NotImplementedError(
                f"{name}() of a tensor that has live views: its views would lose their base")
        result = dispatch(OPS[op_name], (self, *args), kwargs, grad_fn=node_name(*args, **kwargs))
        view = result._view
        self._version += 1
        self._set_value(result._value)
        if self._view is not None and view is not None:
            _views.adopt(self, view)
        return self

    return method


def bind() -> None:
    for opdef in OPS.values():
        for ns in opdef.namespaces:
            for name in (opdef.name, *opdef.aliases):
                NAMESPACES[ns][name] = _function(opdef, opdef.takes_out(ns))
        if opdef.method:
            setattr(Tensor, opdef.method, _method(opdef))
            for alias in opdef.aliases:
                setattr(Tensor, alias, _method(opdef))
        if opdef.inplace:
            setattr(Tensor, opdef.inplace, _inplace(opdef))
            for alias in opdef.aliases:
                setattr(Tensor, alias + "_", _inplace(opdef))
        for dunder in opdef.operators:
            reflected = dunder.startswith("__r") and dunder not in ("__rshift__",)
            setattr(Tensor, dunder, _reflected(opdef, dunder) if reflected else _method(opdef))
            if dunder in _INPLACE_DUNDERS:
                setattr(Tensor, _INPLACE_DUNDERS[dunder], _inplace(opdef))
    extras: dict[str, Any] = {
        "__getitem__": _getitem, "__setitem__": _setitem, "to": _to, "cuda": _cuda,
        "cpu": _cpu, "T": property(_method(OPS["T"])), "mT": property(_method(OPS["mT"])),
        "H": property(_method(OPS["H"])), "mH": property(_method(OPS["mH"])),
        "real": property(_method(OPS["real"])), "imag": property(_method(OPS["imag"])),
        "polygamma": _polygamma, "polygamma_": _polygamma_,
        **{name: _inplace_view(name) for name in _INPLACE_VIEWS},
        "new_tensor": _new_tensor, "fill_": _fill_,
        "copy_": _copy_,
        "type_as": lambda self, other: _to(self, other.dtype),
        "__rtruediv__": _rtruediv, "__rdiv__": _rtruediv, "__rfloordiv__": _rfloordiv,
    }  # fmt: skip
    for name, fn in extras.items():
        setattr(Tensor, name, fn)
