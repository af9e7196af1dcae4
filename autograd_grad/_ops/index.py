"""Indexing, scatter and gather, searching, counting and statistics."""

from __future__ import annotations

import builtins
import math
import os
import sys
import warnings
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype, _errors
from ._table import NOT_IMPLEMENTED, op
from .reduce import _RETURN_TYPES, dims
from .shape import _check_index_bounds, _scatter_positions

Array = jax.Array


def _legacy(x: Array) -> str:
    return _dtype.legacy_name(_dtype.from_np(x.dtype))


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "_value")  # a Tensor, above dispatch (prepare hooks)


def _concrete(x: Any) -> np.ndarray:
    """A Tensor's values on the host, for an op whose output shape depends on them. Inside a
    JAX transform they are not known: JAX's own error says so (TracerArrayConversionError).
    See Note [Value-dependent shapes] in _dispatch.py."""
    return np.asarray(x._data)


class Static:
    """A host array as one static argument (hashable by value, a single pytree leaf), as
    `prepare` hooks pass the values an output shape depends on."""

    __slots__ = ("_key", "array")

    def __init__(self, array: Any) -> None:
        self.array = np.ascontiguousarray(array)
        self._key = (self.array.shape, str(self.array.dtype), self.array.tobytes())

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Static) and self._key == other._key


def _values_needed(x: Array, name: str) -> np.ndarray:
    """An array's values, for an op whose output shape depends on them (nonzero, unique...).
    Such an op always runs eagerly; inside a JAX transform it cannot run at all."""
    if _errors.is_traced(x):
        raise jax.errors.ConcretizationTypeError(
            x, f"torch.{name}'s output shape depends on the input's values, which are not known "
               "inside a JAX transformation (jax.jit, jax.vmap, jax_function); compute it outside "
               "the transformation, or use a fixed-size variant (nonzero_static)")
    return np.asarray(x)


# --- take / put -------------------------------------------------------------------------------

def _flat_index(index: Array, numel: int, name: str) -> Array:
    if index.dtype != jnp.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {_legacy(index)}")
    if not _errors.is_traced(index) and index.size:
        bad = (index < -numel) | (index >= numel)
        if bool(jnp.any(bad)):
            value = int(index[bad].reshape(-1)[0])
            raise IndexError(
                f"out of range: tried to access index {value} on a tensor of {numel} elements.")
    return jnp.where(index < 0, index + numel, index)


@op("take", grad_fn="TakeBackward0")
def take(input: Array, index: Array) -> Array:
    flat = input.reshape(-1)
    idx = _flat_index(index, flat.shape[0], "take")
    if flat.shape[0] == 0:
        return jnp.zeros(index.shape, input.dtype)
    return jnp.take(flat, idx)


@op("put", out=False, grad_fn="PutBackward0", inplace="put_")
def put(input: Array, index: Array, source: Array, accumulate: bool = False) -> Array:
    if source.size != index.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.size}, index.numel() = {index.size}")
    if source.dtype != input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_legacy(input)} and source.dtype = {_legacy(source)}")
    flat = input.reshape(-1)
    idx = _flat_index(index, flat.shape[0], "put")
    if idx.size == 0:
        return input
    at = flat.at[idx.reshape(-1)]
    out = at.add(source.reshape(-1)) if accumulate else at.set(source.reshape(-1))
    return out.reshape(input.shape)


# --- index_put and advanced indexing ------------------------------------------------------------

def _mask_indices(indices: Any) -> Any:
    """index_put's indices with bool/uint8 masks replaced by their integer positions, one
    index tensor per mask dimension (at::index's expandTensors)."""
    from .._tensor import Tensor

    out: list[Any] = []
    for t in indices:
        if _is_tensor(t) and t.dtype.name in ("bool", "uint8"):
            positions = np.nonzero(_concrete(t))
            out.extend(Tensor._from_array(_dtype.to_device(p.astype(np.int64))) for p in positions)
        else:
            out.append(t)
    return tuple(out)


def _index_key(input: Array, indices: Any) -> tuple[Any, ...]:
    """at::index's key: the index tensors (integer, after `_mask_indices`) at their dims,
    full slices for None; torch's errors for bad dtypes, too many indices, out of range."""
    if len(indices) > input.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {input.ndim} (got {len(indices)})")
    key: list[Any] = []
    for d, t in enumerate(indices):
        if t is None:
            key.append(slice(None))
            continue
        if t.dtype not in (jnp.int64, jnp.int32):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        size = input.shape[d]
        if not _errors.is_traced(t) and t.size:
            bad = (t < -size) | (t >= size)
            if bool(jnp.any(bad)):
                value = int(t[bad].reshape(-1)[0])
                raise IndexError(f"index {value} is out of bounds for dimension {d} with size {size}")
        key.append(jnp.where(t < 0, t + size, t))
    return tuple(key)


def _index_put(input: Array, indices: Any, values: Array, accumulate: bool) -> Array:
    if values.dtype != input.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {_legacy(input)} "
            f"for the destination and {_legacy(values)} for the source.")
    key = _index_key(input, indices)
    target = jax.eval_shape(lambda x: x[key], jax.ShapeDtypeStruct(input.shape, input.dtype)).shape
    try:
        np.broadcast_shapes(values.shape, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}") from None
    values = jnp.broadcast_to(values, target)
    return input.at[key].add(values) if accumulate else input.at[key].set(values)


@op("index_put", out=False, grad_fn="IndexPutBackward0", inplace="index_put_")
def index_put(input: Array, indices: Any, values: Array, accumulate: bool = False) -> Array:
    for i, t in enumerate(indices):
        if t is None:  # torch's Python binding takes a list of Tensors only
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got NoneType")
    return _index_put(input, indices, values, accumulate)


def _index_put_prepare(input: Any, indices: Any, *args: Any, **kwargs: Any) -> Any:
    return (input, _mask_indices(indices), *args), kwargs


index_put.impl.prepare = _index_put_prepare  # type: ignore[attr-defined]


def _clamped_key(input: Array, indices: Any) -> tuple[Array, ...]:
    """_unsafe_masked_index's indices: clamped into range (masked-out positions may point
    anywhere), negatives wrapped."""
    key = []
    for d, t in enumerate(indices):
        size = input.shape[d]
        t = jnp.clip(t, -size, size - 1)
        key.append(jnp.where(t < 0, t + size, t))
    return tuple(key)


@op("_unsafe_masked_index", out=False, grad_fn="UnsafeMaskedIndexBackward0", method=False)
def _unsafe_masked_index(input: Array, mask: Array, indices: Any, fill: Any) -> Array:
    picked = input[_clamped_key(input, indices)]
    return jnp.where(mask, picked, _dtype.cast(fill, _dtype.from_np(input.dtype)))


@op("_unsafe_masked_index_put_accumulate",
    out=False, grad_fn="UnsafeMaskedIndexPutAccumulateBackward0",
    method=False)  # fmt: skip
def _unsafe_masked_index_put_accumulate(input: Array, mask: Array, indices: Any,
                                        values: Array) -> Array:  # fmt: skip
    key = _clamped_key(input, indices)
    masked = jnp.where(mask, values, jnp.zeros((), values.dtype))
    return input.at[key].add(jnp.broadcast_to(masked, jnp.broadcast_shapes(
        *(k.shape for k in key), mask.shape, values.shape)))


# --- index_copy / index_fill ---------------------------------------------------------------------

def _vector_index(index: Array, name: str, message: str | None = None) -> Array:
    if index.ndim > 1:
        if message is not None:
            raise RuntimeError(message)
        raise IndexError(f"{name}(): Index should have dimension 1 or 0 (got {index.ndim})")
    return index.reshape(-1)


@op("index_copy", grad_fn="IndexCopyBackward0", inplace="index_copy_")
def index_copy(input: Array, dim: int, index: Array, source: Array) -> Array:
    if index.dtype != jnp.int64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {_legacy(index)}")
    idx = _vector_index(index, "index_copy_")
    axis = _errors.wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        if source.size != 1 or idx.size != 1:
            raise IndexError(
                f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                f"source.size(dim) ({source.size})")
        _check_copy_bounds(idx, 1, 0)
        return source.reshape(()).astype(input.dtype)
    src = source if source.ndim else source.reshape(1)
    n_src = src.shape[axis] if src.ndim == input.ndim else 1
    if idx.size != n_src:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({n_src})")
    for d in range(input.ndim):
        if d != axis and (src.ndim != input.ndim or src.shape[d] != input.shape[d]):
            have = src.shape[d] if d < src.ndim else 1
            at = d - (d > axis)  # the dim's place in the slice
            raise RuntimeError(
                "index_copy_(): Source/destination tensor must have same slice shapes. "
                f"Destination slice shape: {input.shape[d]} at dimension {at} and source slice "
                f"shape: {have} at dimension {at}.")
    if source.dtype != input.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_legacy(input)} and (source) {_legacy(source)}")
    _check_copy_bounds(idx, input.shape[axis], axis)
    key = (slice(None),) * axis + (idx,)
    return input.at[key].set(src.reshape(input.shape[:axis] + (idx.size,) + input.shape[axis + 1:]))


def _check_copy_bounds(index: Array, size: int, axis: int) -> None:
    if _errors.is_traced(index) or index.size == 0:
        return
    bad = (index < 0) | (index >= size)
    if bool(jnp.any(bad)):
        value = int(index[bad].reshape(-1)[0])
        raise IndexError(
            f"index_copy_(): index {value} is out of bounds for dimension {axis} with size {size}")


def _index_mask(shape: tuple[int, ...], axis: int, index: Array) -> Array:
    """A bool array of `shape`, True at the positions `index` picks along `axis`."""
    size = shape[axis] if shape else 1
    hit = jnp.zeros((size,), bool).at[jnp.where(index < 0, index + size, index)].set(True)
    if not shape:
        return hit.reshape(())
    return hit.reshape((1,) * axis + (size,) + (1,) * (len(shape) - axis - 1))


@op("index_fill",
    out=False, grad_fn=lambda input, dim, index, value: "IndexFillBackward1" if hasattr(
    value, "shape") else "IndexFillBackward0", inplace="index_fill_")  # fmt: skip
def index_fill(input: Array, dim: int, index: Array, value: Any) -> Array:
    if index.dtype != jnp.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if hasattr(value, "ndim") and value.ndim != 0:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s).")
    idx = _vector_index(index, "index_fill_", "Index has to be a vector/scalar")
    axis = _errors.wrap_dim(dim, input.ndim)
    try:
        _check_index_bounds(idx, input.shape[axis] if input.ndim else 1, axis)
    except RuntimeError as e:  # torch: an IndexError here
        raise IndexError(str(e)) from None
    fill = _dtype.cast(value, _dtype.from_np(input.dtype))
    return jnp.where(_index_mask(input.shape, axis, idx), fill, input)


# --- masked_scatter / masked_select ---------------------------------------------------------------

@op("masked_scatter", out=False, grad_fn="MaskedScatterBackward0", inplace="masked_scatter_")
def masked_scatter(input: Array, mask: Array, source: Array) -> Array:
    if mask.dtype != jnp.bool_:
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {_legacy(mask)}")
    if source.dtype != input.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_legacy(input)} and {_legacy(source)}")
    shape = _errors.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = jnp.broadcast_to(mask, shape).reshape(-1)
    x = jnp.broadcast_to(input, shape).reshape(-1)
    if not _errors.is_traced(mask) and int(jnp.sum(m)) > source.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if source.size == 0:
        return x.reshape(shape)
    k = jnp.clip(jnp.cumsum(m) - 1, 0, source.size - 1)
    picked = jnp.take(source.reshape(-1), k)
    return jnp.where(m, picked, x).reshape(shape)


@op("masked_select", grad_fn="MaskedSelectBackward0")
def masked_select(input: Array, mask: Array, *, _positions: Any = None) -> Array:
    """`_positions`: the broadcast mask's True positions (flat), from `prepare`."""
    if mask.dtype != jnp.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _errors.broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    if _positions is None:  # called directly on arrays
        _positions = Static(np.flatnonzero(_values_needed(jnp.broadcast_to(mask, shape),
                                                          "masked_select")))
    flat = jnp.broadcast_to(input, shape).reshape(-1)
    return jnp.take(flat, _dtype.to_device(_positions.array.astype(np.int64)))


def _masked_select_prepare(input: Any, mask: Any, **kwargs: Any) -> Any:
    if _is_tensor(mask) and _is_tensor(input) and mask.dtype.name == "bool":
        shape = _errors.broadcast_shapes(tuple(mask.shape), tuple(input.shape))
        kwargs["_positions"] = Static(np.flatnonzero(np.broadcast_to(_concrete(mask), shape)))
    return (input, mask), kwargs


masked_select.impl.prepare = _masked_select_prepare  # type: ignore[attr-defined]


# --- *_scatter: the inverses of views ----------------------------------------------------------

def _check_slice_shape(src: Array, slice_shape: tuple[int, ...]) -> None:
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(slice_shape)}")


@op("select_scatter", out=False, grad_fn="SelectScatterBackward0", saves=False)
def select_scatter(input: Array, src: Array, dim: int, index: int) -> Array:
    axis = _errors.wrap_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {axis}")
    _check_slice_shape(src, input.shape[:axis] + input.shape[axis + 1:])
    key = (slice(None),) * axis + (index % size,)
    return input.at[key].set(src.astype(input.dtype))


@op("slice_scatter", grad_fn="SliceScatterBackward0", saves=False)
def slice_scatter(input: Array, src: Array, dim: int = 0, start: Any = None, end: Any = None,
                  step: int = 1) -> Array:  # fmt: skip
    axis = _errors.wrap_dim(dim, input.ndim)
    s = slice(start, end, step)
    n = len(range(*s.indices(input.shape[axis])))
    _check_slice_shape(src, input.shape[:axis] + (n,) + input.shape[axis + 1:])
    key = (slice(None),) * axis + (s,)
    return input.at[key].set(src.astype(input.dtype))


@op("diagonal_scatter", out=False, grad_fn="DiagonalScatterBackward0", saves=False)
def diagonal_scatter(input: Array, src: Array, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Array:  # fmt: skip
    a1, a2 = _errors.wrap_dim(dim1, input.ndim), _errors.wrap_dim(dim2, input.ndim)
    moved = jnp.moveaxis(input, (a1, a2), (-2, -1))
    rows, cols = moved.shape[-2], moved.shape[-1]
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    _check_slice_shape(src, moved.shape[:-2] + (n,))
    i = jnp.arange(n) + max(-offset, 0)
    j = jnp.arange(n) + max(offset, 0)
    moved = moved.at[..., i, j].set(src.astype(input.dtype))
    return jnp.moveaxis(moved, (-2, -1), (a1, a2))


@op("as_strided_scatter", out=False, grad_fn="AsStridedScatterBackward0", saves=False)
def as_strided_scatter(input: Array, src: Array, size: Any, stride: Any,
                       storage_offset: Any = None) -> Array:  # fmt: skip
    size, stride = tuple(size), tuple(stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    _check_slice_shape(src, size)
    positions = np.full(size, offset, np.int64)
    for d, (n, st) in enumerate(zip(size, stride)):
        positions = positions + (np.arange(n) * st).reshape((n,) + (1,) * (len(size) - d - 1))
    need = 1 + offset + sum((n - 1) * st for n, st in zip(size, stride)) if all(size) else 0
    if need > max(input.size, 1) or (input.size == 0 and need):
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {input.dtype.itemsize} requiring a storage size of "
            f"{need * input.dtype.itemsize} are out of bounds for storage of size "
            f"{input.size * input.dtype.itemsize}")
    if positions.size == 0:
        return input
    return _strided_scatter(jnp.asarray(positions.reshape(-1)), input, src.astype(input.dtype))


# Note [as_strided_scatter's input gradient]: torch's as_strided_scatter_backward gives the input
# the gradient at the positions src overwrote (and zeros elsewhere): grad's slice is copied into
# a zero buffer's slice. Its values are matched here, as a custom tangent rule.
@jax.custom_jvp
def _strided_scatter(positions: Array, input: Array, src: Array) -> Array:
    flat = input.reshape(-1).at[positions].set(src.reshape(-1))
    return flat.reshape(input.shape)


@_strided_scatter.defjvp
def _strided_scatter_jvp(primals: Any, tangents: Any) -> Any:
    positions, input, src = primals
    _, t_input, t_src = tangents
    hit = jnp.zeros((input.size,), bool).at[positions].set(True).reshape(input.shape)
    t_out = jnp.where(hit, t_input, jnp.zeros_like(t_input))
    t_out = t_out + jnp.zeros((input.size,), input.dtype).at[positions].add(
        t_src.reshape(-1)).reshape(input.shape)
    return _strided_scatter(positions, input, src), t_out


# --- scatter_reduce / index_reduce ------------------------------------------------------------
# Note [Scattered reductions]: scatter_reduce and index_reduce reduce `src` into `input` at
# coordinates `pos` (one integer array per dim, src's shape). The values come from XLA's
# scatters; the derivatives are torch's scatter_reduce_backward / index_reduce_backward
# (FunctionsManual.cpp), written as the tangent rule whose transpose they are, so that the
# first and second derivatives are torch's: amax/amin split the gradient evenly among the
# elements equal to the result (counting `input` even where include_self=False excludes it,
# as torch does), prod divides the result by each element, with the exclusive product for a
# single zero, mean divides by the count.

def _extreme(dtype: Any, largest: bool) -> Any:
    if jnp.issubdtype(dtype, jnp.floating):
        return jnp.inf if largest else -jnp.inf
    if dtype == jnp.bool_:
        return largest
    info = jnp.iinfo(dtype)
    return info.max if largest else info.min


def _scattered(input: Array, pos: tuple[Array, ...]) -> Array:
    return jnp.zeros(input.shape, bool).at[pos].set(True)


def _count(input: Array, pos: tuple[Array, ...], include_self: bool) -> Array:
    start = jnp.ones if include_self else jnp.zeros
    n = start(input.shape, input.dtype).at[pos].add(jnp.ones(pos[0].shape, input.dtype))
    return jnp.where(n == 0, jnp.ones_like(n), n)


def _scatter_reduce_forward(input: Array, pos: tuple[Array, ...], src: Array, reduce: str,
                           include_self: bool) -> Array:  # fmt: skip
    if reduce in ("sum", "mean"):
        base = input if include_self else input.at[pos].set(0)
        total = base.at[pos].add(src)
        if reduce == "sum":
            return total
        n = _count(input, pos, include_self)
        if jnp.issubdtype(input.dtype, jnp.inexact):
            return total / n
        return jnp.floor_divide(total, n)
    if reduce == "prod":
        base = input if include_self else input.at[pos].set(1)
        return base.at[pos].multiply(src)
    base = input if include_self else input.at[pos].set(_extreme(input.dtype, reduce == "amin"))
    return base.at[pos].max(src) if reduce == "amax" else base.at[pos].min(src)


_scatter_reduce_values = jax.custom_jvp(_scatter_reduce_forward, nondiff_argnums=(3, 4))


@_scatter_reduce_values.defjvp
def _scatter_reduce_jvp(reduce: str, include_self: bool, primals: Any, tangents: Any) -> Any:
    input, pos, src = primals
    t_input, _, t_src = tangents
    result = _scatter_reduce_values(input, pos, src, reduce, include_self)
    keep = jnp.ones(input.shape, bool) if include_self else ~_scattered(input, pos)
    zero = jnp.zeros((), input.dtype)

    def into(t: Array) -> Array:  # the transpose of gathering at pos
        return jnp.zeros(input.shape, input.dtype).at[pos].add(t)

    if reduce == "sum":
        t_out = jnp.where(keep, t_input, zero) + into(t_src)
    elif reduce == "mean":
        t_out = (jnp.where(keep, t_input, zero) + into(t_src)) / _count(input, pos, include_self)
    elif reduce == "prod":
        masked_self = jnp.where(input == 0, jnp.ones_like(input), input)
        self_factor = _scatter_reduce_values(masked_self, pos, src, reduce, include_self) / masked_self
        src_zero = src == 0
        zeros_at = jnp.zeros(input.shape, jnp.int64).at[pos].add(src_zero.astype(jnp.int64))
        single = src_zero & (zeros_at[pos] == 1)
        masked_src = jnp.where(single, jnp.ones_like(src), src)
        single_result = _scatter_reduce_values(input, pos, masked_src, reduce, include_self)
        src_factor = jnp.where(single, single_result[pos],
                               result[pos] / jnp.where(src_zero, jnp.ones_like(src), src))
        t_out = jnp.where(keep, t_input * self_factor, zero) + into(t_src * src_factor)
    else:
        self_is = (input == result).astype(input.dtype)
        src_is = (src == result[pos]).astype(input.dtype)
        n = self_is + into(src_is)
        t_out = (jnp.where(keep, t_input * self_is, zero) + into(t_src * src_is)) / n
    return result, t_out


_SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")


@op("scatter_reduce", grad_fn="ScatterReduceBackward0", inplace="scatter_reduce_")
def scatter_reduce(input: Array, dim: int, index: Array, src: Array, reduce: str, *,
                   include_self: bool = True) -> Array:  # fmt: skip
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch takes these too
    if reduce not in _SCATTER_REDUCES:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if index.size and index.dtype not in (jnp.int64, jnp.int32):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    axis = _errors.wrap_dim(dim, input.ndim)
    if index.size == 0:
        return input
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    x, i, s = (a.reshape(1) if a.ndim == 0 else a for a in (input, index, src))
    for d in range(x.ndim):
        if (d != axis and i.shape[d] > x.shape[d]) or i.shape[d] > s.shape[d]:
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {axis} and to be no larger size than "
                f"src {list(src.shape)}")
    if not _errors.is_traced(i):  # torch: negative indices are out of bounds too
        bad = (i < 0) | (i >= x.shape[axis])
        if bool(jnp.any(bad)):
            raise RuntimeError(f"index {int(i[bad].reshape(-1)[0])} is out of bounds for dimension "
                               f"{axis} with size {x.shape[axis]}")  # fmt: skip
    pos = _scatter_positions(i.astype(jnp.int64), axis)
    s = s[tuple(slice(0, n) for n in i.shape)]
    return _scatter_reduce_values(x, pos, s, reduce, include_self).reshape(input.shape)


_INDEX_REDUCES = ("prod", "mean", "amax", "amin")
_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """torch's TORCH_WARN_ONCE, attributed to the caller's line: the first frame outside this
    library and JAX (the op may run inside jax.eval_shape on its first sight)."""
    if message in _WARNED:
        return
    _WARNED.add(message)
    inside = (os.sep + "autograd_grad" + os.sep, os.sep + "jax" + os.sep, os.sep + "jaxlib" + os.sep)
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and any(part in frame.f_code.co_filename for part in inside):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


@op("index_reduce", grad_fn="IndexReduceBackward0", inplace="index_reduce_")
def index_reduce(input: Array, dim: int, index: Array, source: Array, reduce: str, *,
                 include_self: bool = True) -> Array:  # fmt: skip
    _warn_once("index_reduce() is in beta and the API may change at any time.")
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}.")
    axis = _errors.wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index.dtype not in (jnp.int64, jnp.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index")
    x = input.reshape(1) if input.ndim == 0 else input
    s = source.reshape(1) if source.ndim == 0 else source
    idx = index.reshape(-1).astype(jnp.int64)
    n_src = s.shape[axis] if s.ndim > axis else 1
    if idx.size != n_src:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim): ({n_src}), for dim: {axis}")
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({_legacy(input)}) and source ({_legacy(source)}) must have "
            "the same scalar type")
    if s.ndim != x.ndim or any(s.shape[d] != x.shape[d] for d in range(x.ndim) if d != axis):
        raise RuntimeError(
            "index_reduce_(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {list(x.shape)} and source slice shape: {list(s.shape)}")
    if not _errors.is_traced(idx) and idx.size and bool(
            jnp.any((idx < 0) | (idx >= x.shape[axis]))):  # fmt: skip
        raise IndexError("index out of range in self")
    grid = list(jnp.meshgrid(*(jnp.arange(n) for n in s.shape), indexing="ij"))
    grid[axis] = jnp.broadcast_to(idx.reshape((1,) * axis + (-1,) + (1,) * (s.ndim - axis - 1)),
                                  s.shape)
    return _scatter_reduce_values(x, tuple(grid), s, reduce, include_self).reshape(input.shape)


# --- statistics -------------------------------------------------------------------------------

_AMINMAX_TYPE = namedtuple("aminmax", ["min", "max"])
_AMINMAX_TYPE.__module__ = "torch.return_types"


@op("aminmax", grad_fn="AminmaxBackward0", multi_output=True)
def aminmax(input: Array, *, dim: Any = None, keepdim: bool = False) -> Any:
    if dim is None:
        if input.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                "no identity.")
        axes = None
        shape = (1,) * input.ndim if keepdim else ()
        lo, hi = jnp.min(input), jnp.max(input)
        return lo.reshape(shape), hi.reshape(shape)
    axis = _errors.wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input, input
    if input.shape[axis] == 0:
        raise IndexError(
            f"aminmax: Expected reduction dim {axis} to have non-zero size.")
    axes = axis
    return jnp.min(input, axis=axes, keepdims=keepdim), jnp.max(input, axis=axes, keepdims=keepdim)


aminmax.impl.result_type = lambda lo, hi: _AMINMAX_TYPE(lo, hi)  # type: ignore[attr-defined]


def _std_var_mean(input: Array, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
                  name: str) -> tuple[Array, Array]:  # fmt: skip
    from .reduce import _var

    if not (jnp.issubdtype(input.dtype, jnp.inexact)):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    variance = _var(input, dim, unbiased, keepdim, correction)
    mean = jnp.mean(input, axis=dims(dim, input.ndim), keepdims=keepdim)
    return variance, mean


@op("var_mean", out=False, grad_fn="VarMeanBackward0", multi_output=True, method=False)
def var_mean(input: Array, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> Any:  # fmt: skip
    return _std_var_mean(input, dim, unbiased, keepdim, correction, "var_mean")


@op("std_mean", out=False, grad_fn="StdMeanBackward0", multi_output=True, method=False)
def std_mean(input: Array, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> Any:  # fmt: skip
    variance, mean = _std_var_mean(input, dim, unbiased, keepdim, correction, "std_mean")
    # torch: std_backward masks the gradient where the std is 0 (sqrt's derivative is inf).
    safe = jnp.where(variance == 0, jnp.ones_like(variance), variance)
    return jnp.where(variance == 0, jnp.zeros_like(variance), jnp.sqrt(safe)), mean


@op("nanmean", grad_fn="DivBackward0")
def nanmean(input: Array, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Array:
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_legacy(input)}")
    x = input if dtype is None else input.astype(dtype.np)
    axes = dims(dim, x.ndim)
    total = jnp.nansum(x, axis=axes, keepdims=keepdim)
    count = jnp.sum(~jnp.isnan(x), axis=axes, keepdims=keepdim)
    return total / count.astype(total.dtype)




@op("mode", grad_fn="ModeBackward0", multi_output=True)
def mode(input: Array, dim: int = -1, keepdim: bool = False) -> Any:
    if input.ndim == 0:
        _errors.wrap_dim(dim, 0)
        return input, jnp.zeros((), jnp.int64)
    axis = _errors.wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if n == 0:
        raise IndexError(
            f"mode(): Expected reduction dim {axis} to have non-zero size.")
    x = jnp.moveaxis(jax.lax.stop_gradient(input), axis, -1)
    rows = x.reshape(-1, n)
    s = jnp.sort(rows, axis=-1)
    new = jnp.concatenate([jnp.ones((rows.shape[0], 1), bool), s[:, 1:] != s[:, :-1]], axis=-1)
    group = jnp.cumsum(new, axis=-1) - 1
    counts = jax.vmap(lambda g: jnp.zeros((n,), jnp.int64).at[g].add(1))(group)
    best = jnp.argmax(counts, axis=-1)  # the first (smallest) of the most frequent values
    first = jnp.argmax(group == best[:, None], axis=-1)
    value = jnp.take_along_axis(s, first[:, None], axis=-1)
    # torch's index is the last position holding the value
    where = jnp.where(rows == value, jnp.arange(n), -1)
    index = jnp.max(where, axis=-1).astype(jnp.int64).reshape(x.shape[:-1])
    values = jnp.take_along_axis(jnp.moveaxis(input, axis, -1), index[..., None], axis=-1)[..., 0]
    if keepdim:
        values, index = jnp.expand_dims(values, axis), jnp.expand_dims(index, axis)
    return values, index


mode.impl.result_type = lambda values, indices: _RETURN_TYPES["mode"](values, indices)  # type: ignore[attr-defined]


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Array, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Array:  # fmt: skip
    name = "nanquantile" if ignore_nan else "quantile"
    if input.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if hasattr(q, "ndim") and q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if input.dtype not in (jnp.float32, jnp.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if hasattr(q, "dtype") and q.dtype != input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}")
    if hasattr(q, "ndim"):
        if not _errors.is_traced(q) and q.size and bool(jnp.any((q < 0) | (q > 1))):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        qs = q.reshape(-1)
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qs = jnp.asarray([q], input.dtype)
    if dim is None:
        x = input.reshape(-1)
        out_shape: tuple[int, ...] = (1,) * input.ndim if keepdim else ()
    else:
        axis = _errors.wrap_dim(dim, input.ndim)
        x = jnp.moveaxis(input, axis, -1) if input.ndim else input.reshape(1)
        if keepdim:
            out_shape = (input.shape[:axis] + (1,) + input.shape[axis + 1:])[:input.ndim]
        else:
            out_shape = input.shape[:axis] + input.shape[axis + 1:]
    s = jnp.sort(x, axis=-1)
    nan = jnp.isnan(s)
    qb = qs.reshape((-1,) + (1,) * s.ndim)  # (nq, ..., 1)
    if ignore_nan:
        valid = jnp.sum(~nan, axis=-1, keepdims=True).astype(s.dtype)
        ranks = qb * (valid - 1)
        ranks = jnp.where(ranks < 0, jnp.zeros_like(ranks), ranks)
    else:
        last = s.shape[-1] - 1
        ranks = jnp.where(jnp.any(nan, axis=-1, keepdims=True), jnp.asarray(last, s.dtype),
                          qb * last)
    if interpolation == "lower":
        ranks = jnp.floor(ranks)
    elif interpolation == "higher":
        ranks = jnp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = jnp.round(ranks)
    sb = jnp.broadcast_to(s, ranks.shape[:1] + s.shape)
    below_i = ranks.astype(jnp.int64)
    below = jnp.take_along_axis(sb, below_i, axis=-1)
    if interpolation in ("linear", "midpoint"):
        weight = jnp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below_i
        above = jnp.take_along_axis(sb, jnp.ceil(ranks).astype(jnp.int64), axis=-1)
        # torch's lerp: from the nearer end
        below = jnp.where(weight < 0.5, below + weight * (above - below),
                          above - (above - below) * (1 - weight))
    out = below[..., 0]  # (nq, reduced...)
    if hasattr(q, "ndim") and q.ndim == 1:
        return out.reshape((qs.shape[0],) + out_shape)
    return out.reshape(out_shape)


@op("quantile", grad_fn="SqueezeBackward4")
def quantile(input: Array, q: Any, dim: Any = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Array:  # fmt: skip
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


@op("nanquantile", grad_fn="SqueezeBackward4")
def nanquantile(input: Array, q: Any, dim: Any = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Array:  # fmt: skip
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def _as_float(x: Array) -> Array:
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(_dtype.get_default_dtype().np)


def _cov(input: Array, correction: Any, fweights: Any, aweights: Any) -> Array:
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                f"{fweights.ndim} dimensions")
        if not jnp.issubdtype(fweights.dtype, jnp.integer):
            raise RuntimeError(
                f"cov(): expected fweights to have integral dtype but got fweights with "
                f"{_legacy(fweights)} dtype")
        w = fweights
    if aweights is not None:
        if aweights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                f"{aweights.ndim} dimensions")
        if not jnp.issubdtype(aweights.dtype, jnp.floating):
            raise RuntimeError(
                f"cov(): expected aweights to have floating point dtype but got aweights with "
                f"{_legacy(aweights)} dtype")
        w = aweights if w is None else w * aweights
    x = _as_float(x)
    if w is not None:
        w = w.astype(jnp.result_type(w.dtype, x.dtype)) if not jnp.issubdtype(
            w.dtype, jnp.inexact) else w  # fmt: skip
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum
    else:
        w_sum = jnp.asarray(n_obs, x.dtype)
        avg = jnp.mean(x, axis=1)
    if w is None:
        norm = w_sum - correction
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * jnp.sum(w * aweights) / w_sum
    norm = jnp.where(norm <= 0, jnp.zeros_like(norm), norm)
    centered = x - avg[:, None]
    weighted = centered if w is None else centered * w
    c = centered @ jnp.conj(weighted).T
    return jnp.squeeze(c / norm.astype(c.dtype))


@op("cov", out=False, grad_fn="SqueezeBackward0")
def cov(input: Array, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Array:
    return _cov(input, correction, fweights, aweights)


def _corrcoef_name(input: Any) -> str:
    return "DivBackward0" if input.ndim < 2 or input.shape[0] == 1 else "ClampBackward1"


@op("corrcoef", out=False, grad_fn=_corrcoef_name)
def corrcoef(input: Array) -> Array:
    c = _cov(input, 1, None, None)
    if c.ndim == 0:
        return c / c
    d = jnp.diagonal(c)
    std = jnp.sqrt(jnp.real(d) if jnp.iscomplexobj(d) else d)
    c = c / std[:, None]
    c = c / std[None, :]
    if jnp.iscomplexobj(c):
        return c
    # torch: clamp's gradient is 1 at the bounds (the diagonal is exactly 1)
    return jnp.where((c >= -1) & (c <= 1), c, jnp.clip(c, -1, 1))


def _diff_name(input: Any, n: int = 1, *args: Any, **kwargs: Any) -> str:
    return "torch::autograd::CopyBackwards" if n == 0 else "SubBackward0"


@op("diff", grad_fn=_diff_name, saves=False)
def diff(input: Array, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Array:
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = _errors.wrap_dim(dim, input.ndim)
    parts = []
    for extra in (prepend, append):
        if extra is not None and extra.ndim != input.ndim:
            raise RuntimeError(
                "diff expects prepend or append to be the same dimension as input")
    d = _dtype.result_type(*(a for a in (input, prepend, append) if a is not None))
    if prepend is not None:
        parts.append(_dtype.cast(prepend, d))
    parts.append(_dtype.cast(input, d))
    if append is not None:
        parts.append(_dtype.cast(append, d))
    x = jnp.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0]
    for _ in range(n):
        if x.shape[axis] == 0:
            break
        hi = jax.lax.slice_in_dim(x, 1, x.shape[axis], axis=axis)
        lo = jax.lax.slice_in_dim(x, 0, x.shape[axis] - 1, axis=axis)
        x = jnp.logical_xor(hi, lo) if x.dtype == jnp.bool_ else hi - lo
    return x


def _slice(x: Array, axis: int, start: int, stop: int | None = None) -> Array:
    n = x.shape[axis]
    s = slice(start, stop).indices(n)
    return jax.lax.slice_in_dim(x, s[0], max(s[0], s[1]), axis=axis)


@op("gradient", out=False, grad_fn="CatBackward0", saves=False, multi_output=True, method=False)
def gradient(input: Array, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> Any:
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    axes = tuple(range(input.ndim)) if dim is None else tuple(
        _errors.wrap_dim(d, input.ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            if dim is None:
                raise RuntimeError(
                    "torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                    f"length equal to 'self.dim() = {input.ndim}', since dim argument was not "
                    f"given, but got a list of length {len(spacing)}")
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                "dim arguments to have the same length, but got a spacing argument of length "
                f"{len(spacing)} and a dim argument of length {len(axes)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(axes)
    for a in axes:
        if input.shape[a] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1")
    x = _as_float(input)
    out = []
    for a, h in zip(axes, spacings):
        if hasattr(h, "ndim") and h.ndim == 1:
            out.append(_gradient_coordinates(x, a, _as_float(h).astype(x.dtype), edge_order))
            continue
        if hasattr(h, "ndim"):
            h = h.astype(x.dtype)
        center = (_slice(x, a, 2) - _slice(x, a, 0, -2)) / h
        if edge_order == 1:
            first = (_slice(x, a, 1, 2) - _slice(x, a, 0, 1)) / h
            last = (_slice(x, a, -1) - _slice(x, a, -2, -1)) / h
        else:
            first = (-1.5 * _slice(x, a, 0, 1) + 2 * _slice(x, a, 1, 2)
                     - 0.5 * _slice(x, a, 2, 3)) / h  # fmt: skip
            last = (0.5 * _slice(x, a, -3, -2) - 2 * _slice(x, a, -2, -1)
                    + 1.5 * _slice(x, a, -1)) / h  # fmt: skip
        out.append(jnp.concatenate([first, center / 2, last], axis=a))
    return tuple(out)


def _gradient_coordinates(x: Array, a: int, coords: Array, edge_order: int) -> Array:
    shape = [1] * x.ndim
    shape[a] = -1
    dx = coords[1:] - coords[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    ca = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    cb = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    cc = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = ca * _slice(x, a, 0, -2) + cb * _slice(x, a, 1, -1) + cc * _slice(x, a, 2)
    if edge_order == 1:
        first = (_slice(x, a, 1, 2) - _slice(x, a, 0, 1)) / dx[0]
        last = (_slice(x, a, -1) - _slice(x, a, -2, -1)) / dx[-1]
    else:
        ca = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        cb = (dx[0] + dx[1]) / (dx[0] * dx[1])
        cc = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        first = ca * _slice(x, a, 0, 1) + cb * _slice(x, a, 1, 2) + cc * _slice(x, a, 2, 3)
        ca = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        cb = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        cc = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        last = ca * _slice(x, a, -3, -2) + cb * _slice(x, a, -2, -1) + cc * _slice(x, a, -1)
    return jnp.concatenate([first, center, last], axis=a)


def _trapezoid_x(y: Array, x: Array, axis: int, name: str) -> Array:
    """dx along `axis`, broadcast against y (torch's trapezoid(y, x))."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[axis] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + x.shape)
    n = x.shape[axis]
    return _slice(x, axis, 1, n) - _slice(x, axis, 0, n - 1)


def _x_given(y: Any, x: Any = None, *args: Any, **kwargs: Any) -> bool:
    # torch's graph for sample points x multiplies by dx (saved); a dx number saves nothing
    return hasattr(x, "shape")


def _trapezoid_name(y: Any, x: Any = None, *args: Any, **kwargs: Any) -> str:
    return "DivBackward1" if hasattr(x, "shape") else "MulBackward1"


def _trapezoid(y: Array, x: Any, dx: Any, dim: int, name: str) -> Array:
    if y.dtype == jnp.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    axis = _errors.wrap_dim(dim, y.ndim)
    if hasattr(x, "shape"):
        if x.dtype == jnp.bool_:
            raise RuntimeError(f"{name}: received a bool input for `x`, but bool is not supported")
        d = _dtype.to_float(_dtype.result_type(y, x)).np
        yf, xf = y.astype(d), x.astype(d)
        if y.shape[axis] == 0:
            return jnp.zeros(y.shape[:axis] + y.shape[axis + 1:], d)
        step = _trapezoid_x(yf, xf, axis, name)
        n = yf.shape[axis]
        pair = _slice(yf, axis, 1, n) + _slice(yf, axis, 0, n - 1)
        return jnp.sum(step * pair, axis=axis) / 2.0
    h = 1 if dx is None else (x if x is not None else dx)
    yf = _as_float(y)
    if y.shape[axis] == 0:
        return jnp.zeros(y.shape[:axis] + y.shape[axis + 1:], yf.dtype)
    ends = jnp.take(yf, 0, axis=axis) + jnp.take(yf, -1, axis=axis)
    return (jnp.sum(yf, axis=axis) - ends * 0.5) * _dtype.cast(h, _dtype.from_np(yf.dtype))


@op("trapezoid", out=False, grad_fn=_trapezoid_name, saves=_x_given, method=False)
def trapezoid(y: Array, x: Any = None, *, dx: Any = None, dim: int = -1) -> Array:
    return _trapezoid(y, x, dx, dim, "trapezoid")


@op("trapz", out=False, grad_fn=_trapezoid_name, saves=_x_given, method=False)
def trapz(y: Array, x: Any = None, *, dx: Any = None, dim: int = -1) -> Array:
    return _trapezoid(y, x, dx, dim, "trapezoid")


def _cumulative_trapezoid_name(y: Any, x: Any = None, *args: Any, **kwargs: Any) -> str:
    return "DivBackward1" if hasattr(x, "shape") else "CumsumBackward0"


@op("cumulative_trapezoid", out=False, grad_fn=_cumulative_trapezoid_name, saves=_x_given,
    method=False)
def cumulative_trapezoid(y: Array, x: Any = None, *, dx: Any = None, dim: int = -1) -> Array:
    name = "cumulative_trapezoid"
    if y.dtype == jnp.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    axis = _errors.wrap_dim(dim, y.ndim)
    n = y.shape[axis]
    if hasattr(x, "shape"):
        d = _dtype.to_float(_dtype.result_type(y, x)).np
        yf = y.astype(d)
        step = _trapezoid_x(yf, x.astype(d), axis, name)
        pair = _slice(yf, axis, 0, max(n - 1, 0)) + _slice(yf, axis, 1, n)
        return jnp.cumsum(step * pair, axis=axis) / 2.0
    yf = _as_float(y)
    h = _dtype.cast(1 if dx is None else dx, _dtype.from_np(yf.dtype))
    pair = _slice(yf, axis, 0, max(n - 1, 0)) + _slice(yf, axis, 1, n)
    return jnp.cumsum(h / 2.0 * pair, axis=axis)


@op("renorm", grad_fn="RenormBackward0", inplace="renorm_")
def renorm(input: Array, p: Any, dim: int, maxnorm: Any) -> Array:
    from .reduce import _vector_norm

    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    axis = _errors.wrap_dim(dim, input.ndim)
    others = tuple(a for a in range(input.ndim) if a != axis)
    norm = _vector_norm(input, p, others, True)
    factor = jnp.where(norm > maxnorm, maxnorm / (norm + 1e-7), jnp.ones_like(norm))
    return input * factor.astype(input.dtype)


# --- searching and counting ---------------------------------------------------------------------

def _bisect(seq: Array, values: Array, right: bool) -> Array:
    """torch's binary search (Bucketization.cpp cus_lower_bound / cus_upper_bound): the first
    position whose boundary is >= (right: >) the value, with IEEE comparisons, so a NaN value
    goes past every boundary and NaN boundaries count as smaller."""
    n = seq.shape[-1]
    lo = jnp.zeros(values.shape, jnp.int64)
    hi = jnp.full(values.shape, n, jnp.int64)
    for _ in range(max(n, 1).bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        mid_val = jnp.take(seq, jnp.clip(mid, 0, max(n - 1, 0)))
        after = ~(mid_val > values) if right else ~(mid_val >= values)
        lo = jnp.where(active & after, mid + 1, lo)
        hi = jnp.where(active & ~after, mid, hi)
    return lo


def _search(sorted_sequence: Array, values: Array, right: bool, out_int32: bool) -> Array:
    if sorted_sequence.shape[-1:] == (0,) or sorted_sequence.size == 0:
        out = jnp.zeros(values.shape, jnp.int64)
    elif sorted_sequence.ndim <= 1:
        out = _bisect(sorted_sequence.reshape(-1), values, right)
    else:
        rows = sorted_sequence.reshape(-1, sorted_sequence.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        out = jax.vmap(lambda s, v: _bisect(s, v, right))(rows, vals).reshape(values.shape)
    return out.astype(jnp.int32 if out_int32 else jnp.int64)


@op("searchsorted", grad_fn=None, method=False)
def searchsorted(sorted_sequence: Array, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: Any = None, sorter: Any = None) -> Array:  # fmt: skip
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True")
        right = side == "right"
    values = input if hasattr(input, "shape") else jnp.asarray(
        input, _dtype.scalar_dtype(input).np)  # fmt: skip
    if sorted_sequence.ndim > 1 and (values.ndim != sorted_sequence.ndim or
                                     values.shape[:-1] != sorted_sequence.shape[:-1]):  # fmt: skip
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
            f"{list(values.shape)}")
    seq = sorted_sequence
    if sorter is not None:
        if sorter.shape != seq.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        seq = jnp.take_along_axis(seq, sorter.astype(jnp.int64), axis=-1)
    d = _dtype.result_type(seq, values).np
    return _search(seq.astype(d), values.astype(d), right, out_int32)


@op("bucketize", grad_fn=None, method=False)
def bucketize(input: Any, boundaries: Array, *, out_int32: bool = False,
              right: bool = False) -> Array:  # fmt: skip
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    values = input if hasattr(input, "shape") else jnp.asarray(
        input, _dtype.scalar_dtype(input).np)  # fmt: skip
    d = _dtype.result_type(boundaries, values).np
    return _search(boundaries.astype(d), values.astype(d), right, out_int32)


def _torch_linspace(start: Array, end: Array, steps: int, dtype: Any) -> Array:
    """torch's CPU linspace: from the start for the first half, from the end for the rest."""
    if steps == 1:
        return jnp.reshape(start, (1,)).astype(dtype)
    step = (end - start) / (steps - 1)
    i = jnp.arange(steps, dtype=dtype)
    half = steps // 2
    return jnp.where(i < half, start + step * i, end - step * (steps - 1 - i)).astype(dtype)


def _histogram_bins(x: Array, bins: Any, lo: Any, hi: Any, name: str) -> Array:
    """One dimension's bin edges: given, or `bins` equal bins over [lo, hi]."""
    if hasattr(bins, "shape"):
        return bins
    if bins <= 0:
        raise RuntimeError(f"{name}(): bins must be > 0, but got {bins} for dimension 0")
    lo = jnp.asarray(lo, x.dtype)
    hi = jnp.asarray(hi, x.dtype)
    same = lo == hi
    lo = jnp.where(same, lo - 0.5, lo)
    hi = jnp.where(same, hi + 0.5, hi)
    return _torch_linspace(lo, hi, bins + 1, x.dtype)


def _histogramdd(x: Array, bins: Any, range: Any, weight: Any, density: bool,  # noqa: A002
                 name: str) -> tuple[Array, list[Array]]:  # fmt: skip
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{_legacy(x)}\'')
    n_dims = x.shape[-1] if x.ndim else 1
    points = x.reshape(-1, n_dims)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * n_dims
    edges = []
    for d in builtins.range(n_dims):
        col = points[:, d]
        if range is not None:
            lo, hi = range[2 * d], range[2 * d + 1]
            if lo > hi:
                raise RuntimeError(
                    f"torch.histogramdd: min should not exceed max, but got min {lo:g} max "
                    f"{hi:g} for dimension {d}")
        elif col.size:
            lo, hi = jnp.min(col), jnp.max(col)
        else:
            lo, hi = 0.0, 1.0
        edges.append(_histogram_bins(x, per_dim[d], lo, hi, name).astype(x.dtype))
    inside = jnp.ones(points.shape[0], bool)
    flat = jnp.zeros(points.shape[0], jnp.int64)
    sizes = [e.shape[0] - 1 for e in edges]
    for d, e in enumerate(edges):
        col = points[:, d]
        inside = inside & (col >= e[0]) & (col <= e[-1])
        pos = jnp.searchsorted(e, col, side="right") - 1
        pos = jnp.clip(pos, 0, sizes[d] - 1)  # the last bin includes its right edge
        flat = flat * sizes[d] + pos
    w = jnp.ones(points.shape[0], x.dtype) if weight is None else weight.reshape(-1).astype(x.dtype)
    w = jnp.where(inside, w, jnp.zeros((), x.dtype))
    hist = jnp.zeros(math.prod(sizes), x.dtype).at[flat].add(w).reshape(sizes)
    if density:
        widths = jnp.ones(sizes, x.dtype)
        for d, e in enumerate(edges):
            shape = [1] * len(sizes)
            shape[d] = sizes[d]
            widths = widths * (e[1:] - e[:-1]).reshape(shape)
        hist = hist / (jnp.sum(hist) * widths)
    return hist, edges


@op("histc", grad_fn=None)
def histc(input: Array, bins: int = 100, min: Any = 0, max: Any = 0) -> Array:  # noqa: A002
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{_legacy(input)}\'')
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    x = input.reshape(-1)
    lo = jnp.asarray(min, input.dtype)
    hi = jnp.asarray(max, input.dtype)
    if min == max and x.size:
        lo, hi = jnp.min(x), jnp.max(x)
    same = lo == hi
    lo = jnp.where(same, lo - 1, lo)
    hi = jnp.where(same, hi + 1, hi)
    inside = (x >= lo) & (x <= hi)
    # torch's linear-interpolation binning (HistogramKernel.cpp), in the input's dtype
    pos = jnp.floor((x - lo) * bins / (hi - lo))
    pos = jnp.clip(jnp.where(inside, pos, 0), 0, bins - 1).astype(jnp.int64)
    return jnp.zeros(bins, input.dtype).at[pos].add(inside.astype(input.dtype))


_HISTOGRAM = namedtuple("histogram", ["hist", "bin_edges"])
_HISTOGRAM.__module__ = "torch.return_types"
_HISTOGRAMDD = namedtuple("histogramdd", ["hist", "bin_edges"])
_HISTOGRAMDD.__module__ = "torch.return_types"


@op("histogram", grad_fn=NOT_IMPLEMENTED, multi_output=True)
def histogram(input: Array, bins: Any = 100, *, range: Any = None, weight: Any = None,  # noqa: A002
              density: bool = False) -> Any:  # fmt: skip
    if hasattr(bins, "shape") and bins.ndim != 1:
        raise RuntimeError(
            f"torch.histogram(): bins tensor should have one dimension, but got {bins.ndim} "
            "dimensions")
    x = input.reshape(-1, 1)
    hist, edges = _histogramdd(x, [bins], range, weight, density, "torch.histogram")
    return hist, edges[0]


histogram.impl.result_type = lambda hist, edges: _HISTOGRAM(hist, edges)  # type: ignore[attr-defined]


@op("histogramdd", grad_fn=NOT_IMPLEMENTED, multi_output=True, method=False)
def histogramdd(input: Array, bins: Any = 10, *, range: Any = None, weight: Any = None,  # noqa: A002
                density: bool = False) -> Any:  # fmt: skip
    if input.ndim < 2 and input.ndim != 1:
        raise RuntimeError("torch.histogramdd(): input should have at least 2 dimensions")
    hist, edges = _histogramdd(input, bins, range, weight, density, "torch.histogramdd")
    return (hist, *edges)


histogramdd.impl.result_type = lambda hist, *edges: _HISTOGRAMDD(hist, tuple(edges))  # type: ignore[attr-defined]


@op("bincount", grad_fn=NOT_IMPLEMENTED)
def bincount(input: Array, weights: Any = None, minlength: int = 0) -> Array:
    if not jnp.issubdtype(input.dtype, jnp.integer):
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_legacy(input)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    values = _values_needed(input, "bincount")
    if values.size and values.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    length = max(int(values.max()) + 1 if values.size else 0, minlength)
    if weights is None:
        return jnp.zeros(length, jnp.int64).at[input].add(1)
    d = weights.dtype if weights.dtype == jnp.float32 else jnp.float64
    return jnp.zeros(length, d).at[input].add(weights.astype(d))


def _tri_indices(row: int, col: int, offset: int, dtype: Any, upper: bool) -> Array:
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")  # fmt: skip
    fn = np.triu_indices if upper else np.tril_indices
    r, c = fn(row, offset, col)
    d = np.int64 if dtype is None else dtype.np
    return _dtype.to_device(np.stack([r, c]).astype(d).reshape(2, -1))


@op("tril_indices", grad_fn=None, method=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Array:  # fmt: skip
    return _tri_indices(row, col, offset, dtype, upper=False)


@op("triu_indices", grad_fn=None, method=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Array:  # fmt: skip
    return _tri_indices(row, col, offset, dtype, upper=True)


@op("unravel_index", grad_fn=None, multi_output=True, method=False)
def unravel_index(indices: Array, shape: Any) -> Any:
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        raise TypeError(
            f"expected 'indices' to be integer dtype, but got torch.{_dtype.from_np(indices.dtype)}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    coefs = [math.prod(shape[i + 1:]) for i in builtins.range(len(shape))]
    x = indices.astype(jnp.int64)
    return tuple(jnp.floor_divide(x, c) % s for c, s in zip(coefs, shape))


# --- value-dependent shapes: nonzero, unique, repeat_interleave ---------------------------------
# These run eagerly on concrete values (See `_values_needed`); where torch differentiates the
# result (repeat_interleave with a repeats tensor), `prepare` makes the values static first.

def _nonzero_result(*tensors: Any) -> Any:
    # as_tuple=False gives one 2-d tensor; as_tuple=True one 1-d tensor per dim
    if len(tensors) == 1 and tensors[0].ndim == 2:
        return tensors[0]
    return tuple(tensors)


def _nonzero_positions(input: Array, name: str) -> tuple[np.ndarray, ...]:
    values = _values_needed(input, name)
    if values.ndim == 0:
        return (np.zeros(int(values != 0), np.int64),)
    return tuple(p.astype(np.int64) for p in np.nonzero(values))


@op("nonzero", grad_fn=None, multi_output=True)
def nonzero(input: Array, *, as_tuple: bool = False) -> Any:
    positions = _nonzero_positions(input, "nonzero")
    if as_tuple:
        return tuple(_dtype.to_device(p) for p in positions)
    if input.ndim == 0:
        return (_dtype.to_device(np.zeros((positions[0].size, 0), np.int64)),)
    return (_dtype.to_device(np.stack(positions, axis=1).reshape(-1, input.ndim)),)


nonzero.impl.result_type = _nonzero_result  # type: ignore[attr-defined]


@op("argwhere", out=False, grad_fn=None)
def argwhere(input: Array) -> Array:
    return nonzero.impl(input)[0]


@op("nonzero_static", grad_fn=None)
def nonzero_static(input: Array, *, size: int, fill_value: int = -1) -> Array:
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    if input.ndim == 0:
        return jnp.zeros((size, 0), jnp.int64)
    found = jnp.nonzero(input, size=size, fill_value=fill_value)
    return jnp.stack(found, axis=1).astype(jnp.int64)


def _unique_result(*tensors: Any) -> Any:
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


def _unique_outputs(values: np.ndarray, inverse: np.ndarray, counts: np.ndarray, dtype: Any,
                    return_inverse: bool, return_counts: bool) -> tuple[Array, ...]:  # fmt: skip
    out = [_dtype.to_device(values.astype(dtype))]
    if return_inverse:
        out.append(_dtype.to_device(inverse.astype(np.int64)))
    if return_counts:
        out.append(_dtype.to_device(counts.astype(np.int64)))
    return tuple(out)


def _unique_name(input: Any, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
                 return_counts: bool = False, dim: Any = None) -> str:  # fmt: skip
    return "Unique2Backward0" if dim is None else "UniqueDimBackward0"


@op("unique", out=False, grad_fn=_unique_name, multi_output=True,
    no_derivative="_unique2")  # fmt: skip
def unique(input: Array, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: Any = None) -> Any:  # fmt: skip
    values = _values_needed(input, "unique")
    # torch's CPU unique sorts whatever `sorted` says
    if dim is None:
        u, inv, counts = np.unique(values.reshape(-1), return_inverse=True, return_counts=True,
                                   equal_nan=False)  # torch: each NaN is its own value
        inv = inv.reshape(values.shape)
    else:
        axis = _errors.wrap_dim(dim, values.ndim)
        u, inv, counts = np.unique(values, return_inverse=True, return_counts=True, axis=axis)
        inv = inv.reshape(-1)
    return _unique_outputs(u, inv, counts, values.dtype, return_inverse, return_counts)


unique.impl.result_type = _unique_result  # type: ignore[attr-defined]


def _consecutive_name(input: Any, return_inverse: bool = False, return_counts: bool = False,
                      dim: Any = None) -> str:  # fmt: skip
    return "UniqueConsecutiveBackward0"


@op("unique_consecutive", out=False, grad_fn=_consecutive_name, multi_output=True,
    no_derivative="unique_consecutive")  # fmt: skip
def unique_consecutive(input: Array, return_inverse: bool = False, return_counts: bool = False,
                       dim: Any = None) -> Any:  # fmt: skip
    values = _values_needed(input, "unique_consecutive")
    if dim is None:
        flat = values.reshape(-1)
        if flat.size == 0:
            return _unique_outputs(flat, np.zeros(values.shape, np.int64), flat.astype(np.int64),
                                   values.dtype, return_inverse, return_counts)  # fmt: skip
        new = np.concatenate([[True], flat[1:] != flat[:-1]])
        group = np.cumsum(new) - 1
        counts = np.bincount(group)
        return _unique_outputs(flat[new], group.reshape(values.shape), counts, values.dtype,
                               return_inverse, return_counts)  # fmt: skip
    axis = _errors.wrap_dim(dim, values.ndim)
    moved = np.moveaxis(values, axis, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1)
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    group = np.cumsum(new) - 1
    counts = np.bincount(group) if n else np.zeros(0, np.int64)
    kept = np.moveaxis(moved[new], 0, axis)
    return _unique_outputs(kept, group, counts, values.dtype, return_inverse, return_counts)


unique_consecutive.impl.result_type = _unique_result  # type: ignore[attr-defined]


def _repeat_interleave_name(input: Any, repeats: Any = None, *args: Any, **kwargs: Any) -> str:
    return "ViewBackward0" if isinstance(repeats, int) else "IndexSelectBackward0"


@op("repeat_interleave", out=False, grad_fn=_repeat_interleave_name,
    saves=lambda input, repeats=None, *args, **kwargs: not isinstance(repeats, int))
def repeat_interleave(input: Array, repeats: Any = None, dim: Any = None, *,
                      output_size: Any = None) -> Array:  # fmt: skip
    """`repeats`: an int, or (from `prepare`) a `Static` of the repeats tensor's values."""
    if repeats is None:  # torch.repeat_interleave(repeats): the indices, repeated
        counts = _values_needed(input, "repeat_interleave")
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        out = np.repeat(np.arange(counts.size), counts.reshape(-1))
        return _dtype.to_device(out.astype(input.dtype))
    x = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else _errors.wrap_dim(dim, input.ndim)
    if x.ndim == 0:
        x = x.reshape(1)
    size = x.shape[axis]
    if isinstance(repeats, Static):
        counts = repeats.array
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        counts = counts.reshape(-1)
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if counts.size == 1:
            counts = np.full(size, counts[0])
        elif counts.size != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size({axis}) = {size}")
        index = np.repeat(np.arange(size), counts).astype(np.int64)
        return jnp.take(x, _dtype.to_device(index), axis=axis)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    return jnp.repeat(x, repeats, axis=axis, total_repeat_length=size * repeats)


def _repeat_interleave_prepare(input: Any, repeats: Any = None, *args: Any, **kwargs: Any) -> Any:
    if _is_tensor(repeats):
        repeats = Static(_concrete(repeats))
    return (input, repeats, *args), kwargs


repeat_interleave.impl.prepare = _repeat_interleave_prepare  # type: ignore[attr-defined]
