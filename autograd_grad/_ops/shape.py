"""Shape, view, joining and indexing ops."""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype, _errors
from ._table import BINARY, NOT_IMPLEMENTED, OpDef, OpInfoTest, op

Array = jax.Array


# --- torch's Python-level behaviour around ops ---------------------------------

def wrapper(fn: Any) -> Any:
    """Give an implementation torch's Python-level wrapper (See Note [Op wrappers] in
    _dispatch.py): `fn(run, *args, **kwargs)` sees the call's Tensors and may return an
    argument itself, or call `run` (the op) once or per tensor."""

    def mark(impl: Any) -> Any:
        impl.wrapper = fn
        return impl

    return mark


def _size_args(size: Any) -> tuple[int, ...]:
    """torch accepts view(2, 3) and view((2, 3))."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def infer_size(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """A shape with one -1 resolved, with torch's errors (aten InferSize.h)."""
    if sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known != 0:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


@op("reshape", out=False, view="reshape", grad_fn="ViewBackward0", saves=False)
def reshape(input: Array, *shape: Any) -> Array:
    return jnp.reshape(input, infer_size(_size_args(shape), input.size))


def _view_dtype(input: Array, d: _dtype.dtype) -> Array:
    """x.view(dtype): the same bytes read as `d`; the last dim scales with the element size."""
    src = _dtype.from_np(input.dtype)
    if d is src:
        return input
    if d.is_complex or src.is_complex or _dtype.bool_ in (d, src):
        raise NotImplementedError(f"view({d}) of a {src} tensor is not supported")
    names = f"{_dtype.legacy_name(src)} as {_dtype.legacy_name(d)} (different element sizes)"
    a, b = src.itemsize, d.itemsize
    if a != b and input.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 to view {names}")
    if a == b:
        return jax.lax.bitcast_convert_type(input, d.np)
    if a > b:
        out = jax.lax.bitcast_convert_type(input, d.np)
        return out.reshape(input.shape[:-1] + (input.shape[-1] * (a // b),))
    n, ratio = input.shape[-1], b // a
    if n % ratio:
        raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view {names}, but got {n}")
    return jax.lax.bitcast_convert_type(input.reshape(input.shape[:-1] + (n // ratio, ratio)), d.np)


def _view_wrapper(run: Any, input: Any, *shape: Any) -> Any:
    # torch: a view as another dtype is not differentiable (no grad_fn, no requires_grad).
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return run(input.detach(), *shape)
    return run(input, *shape)


@op("view", view="reshape", grad_fn="ViewBackward0", saves=False, namespaces=())
@wrapper(_view_wrapper)
def view(input: Array, *shape: Any) -> Array:
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    return jnp.reshape(input, infer_size(_size_args(shape), input.size))


def _flatten_wrapper(run: Any, input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    # torch: flatten(x, d, d) of a tensor with dims is x itself.
    rank = input.ndim
    if rank and -rank <= start_dim < rank and -rank <= end_dim < rank and (
            start_dim % rank == end_dim % rank):  # fmt: skip
        return input
    return run(input, start_dim, end_dim)


@op("flatten", out=False, view="reshape", grad_fn="ViewBackward0", saves=False)
@wrapper(_flatten_wrapper)
def flatten(input: Array, start_dim: int = 0, end_dim: int = -1) -> Array:
    if input.ndim == 0:
        return input.reshape(1)
    s = _errors.wrap_dim(start_dim, input.ndim)
    e = _errors.wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return input.reshape(input.shape[:s] + (math.prod(input.shape[s:e + 1]),) + input.shape[e + 1:])


@op("permute", out=False, view=True, grad_fn="PermuteBackward0", saves=False)
def permute(input: Array, *dims: Any) -> Array:
    axes = tuple(_errors.wrap_dim(d, input.ndim) for d in _size_args(dims))
    if len(axes) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(axes)}")
    return jnp.transpose(input, axes)


@op("transpose", out=False, view=True, grad_fn="TransposeBackward0", saves=False,
    aliases=("swapaxes", "swapdims"))
def transpose(input: Array, dim0: int, dim1: int) -> Array:
    if input.ndim == 0:
        return input
    return jnp.swapaxes(input, _errors.wrap_dim(dim0, input.ndim), _errors.wrap_dim(dim1, input.ndim))


@op("t", out=False, view=True, grad_fn="TBackward0", saves=False)
def t(input: Array) -> Array:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T


@op("squeeze",
    out=False, view=True, grad_fn=lambda input, dim=None: "SqueezeBackward0" if dim is None else (
    "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"), saves=False)  # fmt: skip
def squeeze(input: Array, dim: Any = None) -> Array:
    if input.ndim == 0:
        return input
    if dim is None:
        return jnp.squeeze(input)
    axes = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(a for a in (_errors.wrap_dim(d, input.ndim) for d in axes) if input.shape[a] == 1)
    return jnp.squeeze(input, axes)


@op("unsqueeze", out=False, view=True, grad_fn="UnsqueezeBackward0", saves=False)
def unsqueeze(input: Array, dim: int) -> Array:
    return jnp.expand_dims(input, _errors.wrap_dim(dim, input.ndim + 1))


@op("expand", view=True, grad_fn="ExpandBackward0", saves=False, namespaces=())
def expand(input: Array, *sizes: Any) -> Array:
    size = _size_args(sizes)
    if len(size) < input.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(size)}): the number of "
            "sizes provided (" + str(len(size)) + ") must be greater or equal to the number of "
            f"dimensions in the tensor ({input.ndim})")
    lead = len(size) - input.ndim
    target = []
    for i, s in enumerate(size):
        have = input.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            s = have
        if have != 1 and have != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(size)}.  Tensor sizes: "
                f"{list(input.shape)}")
        target.append(s)
    return jnp.broadcast_to(input, tuple(target))


@op("expand_as", view=True, grad_fn="ExpandBackward0", saves=False, namespaces=())
def expand_as(input: Array, other: Array) -> Array:
    return expand.impl(input, tuple(other.shape))


@op("broadcast_to", out=False, grad_fn="ExpandBackward0", saves=False)
def broadcast_to(input: Array, size: Any) -> Array:
    return expand.impl(input, tuple(size))


@op("cat", grad_fn="CatBackward0", saves=False, promote=BINARY, method=False,
    aliases=("concat", "concatenate"))  # fmt: skip
def cat(tensors: Any, dim: int = 0) -> Array:
    if len(tensors) == 0:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    d = _dtype.result_type(*tensors)
    # torch: 1-d empty tensors are skipped (legacy behaviour).
    parts = [_dtype.cast(x, d) for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)]
    if not parts:
        return _dtype.cast(tensors[0], d)
    ref = parts[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = _errors.wrap_dim(dim, ref.ndim)
    for i, x in enumerate(parts):
        if x.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim}")
        for a in range(ref.ndim):
            if a != axis and x.shape[a] != ref.shape[a]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{ref.shape[a]} but got size {x.shape[a]} for tensor number {i} in the list.")
    return jnp.concatenate(parts, axis=axis)


@op("stack", grad_fn="StackBackward0", saves=False, method=False)
def stack(tensors: Any, dim: int = 0) -> Array:
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(x.shape)} at entry {i}")
    d = _dtype.result_type(*tensors)
    return jnp.stack([_dtype.cast(x, d) for x in tensors], axis=_errors.wrap_dim(dim, tensors[0].ndim + 1))


@op("split", out=False, view=True, grad_fn=lambda input, split_size_or_sections, dim=0: (
    "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"),
    saves=False, multi_output=True)  # fmt: skip
def split(input: Array, split_size_or_sections: Any, dim: int = 0) -> tuple[Array, ...]:
    axis = _errors.wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {axis}), but got split_sizes={sizes}")
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    return tuple(jax.lax.slice_in_dim(input, o, o + s, axis=axis) for o, s in zip(offsets, sizes))


@op("chunk", out=False, view=True, grad_fn="SplitBackward0", saves=False, multi_output=True)
def chunk(input: Array, chunks: int, dim: int = 0) -> tuple[Array, ...]:
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_errors.wrap_dim(dim, input.ndim)]
    return split.impl(input, max(1, -(-n // chunks)) if n else 1, dim)


@op("unbind", out=False, view=True, grad_fn="UnbindBackward0", saves=False, multi_output=True)
def unbind(input: Array, dim: int = 0) -> tuple[Array, ...]:
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = _errors.wrap_dim(dim, input.ndim)
    return tuple(jnp.take(input, i, axis=axis) for i in range(input.shape[axis]))


@op("repeat", grad_fn="RepeatBackward0", saves=False, namespaces=())
def repeat(input: Array, *sizes: Any) -> Array:
    reps = _size_args(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor")
    x = input.reshape((1,) * (len(reps) - input.ndim) + input.shape)
    if any(r < 0 for r in reps):
        shape = [n * r for n, r in zip(x.shape, reps)]
        bad = next(n for n in shape if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {shape}")
    return jnp.tile(x, reps)


@op("flip", out=False, grad_fn="FlipBackward0", saves=False)
def flip(input: Array, dims: Any) -> Array:
    axes = tuple(_errors.wrap_dim(d, input.ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    return jnp.flip(input, axes) if input.ndim else input


@op("narrow", out=False, view=True, grad_fn="SliceBackward0", saves=False)
def narrow(input: Array, dim: int, start: Any, length: int) -> Array:
    axis = _errors.wrap_dim(dim, input.ndim)
    if isinstance(start, jax.core.Tracer):
        # narrow.Tensor: a 0-d start tensor is an operand, traced inside a vjp; its value was
        # checked when the op ran.
        start = jnp.where(start < 0, start + input.shape[axis], start)
        return jax.lax.dynamic_slice_in_dim(input, start, length, axis=axis)
    axis, start = _narrow_start(input, dim, int(start), length)
    return jax.lax.slice_in_dim(input, start, start + length, axis=axis)


@op("tril", grad_fn="TrilBackward0", saves=False, inplace="tril_")
def tril(input: Array, diagonal: int = 0) -> Array:
    return jnp.tril(input, diagonal)


@op("triu", grad_fn="TriuBackward0", saves=False, inplace="triu_")
def triu(input: Array, diagonal: int = 0) -> Array:
    return jnp.triu(input, diagonal)


@op("diagonal", out=False, view=True, grad_fn="DiagonalBackward0", saves=False)
def diagonal(input: Array, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Array:
    d1, d2 = _errors.wrap_dim(dim1, input.ndim), _errors.wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return jnp.diagonal(input, offset, d1, d2)


@op("trace", out=False, grad_fn="TraceBackward0", saves=False)
def trace(input: Array) -> Array:
    if input.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input.ndim))
    out = jnp.trace(input)
    return out.astype(jnp.int64) if jnp.issubdtype(input.dtype, jnp.integer) else out


@op("clone", out=False, grad_fn="CloneBackward0", saves=False)
def clone(input: Array, *, memory_format: Any = None) -> Array:
    return jnp.array(input, copy=True)


@op("to_dtype", grad_fn="ToCopyBackward0", saves=False, method=False, namespaces=(), opinfo=None)
def to_dtype(input: Array, dtype: Any) -> Array:
    if jnp.issubdtype(input.dtype, jnp.complexfloating) and not dtype.is_complex:
        return jnp.real(input).astype(dtype.np)
    return input.astype(dtype.np)


@op("to_device", grad_fn="ToCopyBackward0", saves=False, method=False, namespaces=(),
    opinfo=None)  # fmt: skip
def to_device(input: Array, device: Any) -> Array:
    """`input` on a JAX device (See Note [Devices] in _device.py); its vjp puts the gradient
    back where the input was."""
    return jax.device_put(input, device)


@op("copy", grad_fn="torch::autograd::CopyBackwards", saves=False, method=False, namespaces=(), opinfo=None)
def copy(self: Array, src: Array) -> Array:
    """`Tensor.copy_`'s value: `src` broadcast to self's shape (the gradient goes to src;
    self's old value gets none, as torch's CopyBackwards gives zeros)."""
    return jnp.broadcast_to(src, self.shape)


# --- gather / scatter / masks -------------------------------------------------

def _index_dtype_check(index: Array, name: str) -> Array:
    """The index as int64; torch checks its dtype only when it is not empty."""
    if index.size and index.dtype != jnp.int64 and index.dtype != jnp.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index.astype(jnp.int64)


@op("gather", grad_fn="GatherBackward0")
def gather(input: Array, dim: int, index: Array, *, sparse_grad: bool = False) -> Array:
    index = _index_dtype_check(index, "gather")
    axis = _errors.wrap_dim(dim, input.ndim)
    if index.size == 0:  # torch checks shapes only for a non-empty index
        return jnp.zeros(index.shape, input.dtype)
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if input.ndim == 0:
        return input.reshape(index.shape)
    # torch allows index smaller than input in the non-gathered dims.
    sliced = input[tuple(slice(0, s) if a != axis else slice(None) for a, s in enumerate(index.shape))]
    return jnp.take_along_axis(sliced, index, axis=axis)


@op("index_select", grad_fn="IndexSelectBackward0")
def index_select(input: Array, dim: int, index: Array) -> Array:
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0:
        return input  # torch: a scalar input gives a scalar, whatever the index's shape
    return jnp.take(input, index.reshape(-1), axis=_errors.wrap_dim(dim, input.ndim))


@op("masked_fill", out=False, grad_fn=lambda input, mask, value: "MaskedFillBackward1" if hasattr(
    value, "shape") else "MaskedFillBackward0", inplace="masked_fill_")  # fmt: skip
def masked_fill(input: Array, mask: Array, value: Any) -> Array:
    if mask.dtype != jnp.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_dtype.from_np(mask.dtype)}")
    if hasattr(value, "ndim") and value.ndim != 0:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s).")
    _errors.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return jnp.where(mask, _dtype.cast(value, _dtype.from_np(input.dtype)), input)


def _check_index_bounds(index: Array, size: int, axis: int) -> None:
    """torch's out-of-bounds error for index values (checked when the op runs; inside a vjp
    the index is traced and was checked already)."""
    if _errors.is_traced(index) or index.size == 0:
        return
    bad = (index < -size) | (index >= size)
    if bool(jnp.any(bad)):
        value = int(index[bad].reshape(-1)[0])
        raise RuntimeError(f"index {value} is out of bounds for dimension {axis} with size {size}")


def _scatter_positions(index: Array, axis: int) -> tuple[Array, ...]:
    """Full coordinates for scatter: `index` along `axis`, the position itself elsewhere."""
    grids = list(jnp.meshgrid(*(jnp.arange(n) for n in index.shape), indexing="ij"))
    grids[axis] = index
    return tuple(grids)


def _scatter(input: Array, dim: int, index: Array, src: Any, mode: str) -> Array:
    index = _index_dtype_check(index, "scatter")
    if input.ndim == 0:
        _errors.wrap_dim(dim, 0)
        if index.size == 0:
            return input
        _check_index_bounds(index, 1, 0)
        if hasattr(src, "shape"):
            value = src.reshape(())
        else:
            value = _dtype.cast(src, _dtype.from_np(input.dtype))
        out = {"set": value, "add": input + value, "multiply": input * value}[mode]
        return out.astype(input.dtype)
    axis = _errors.wrap_dim(dim, input.ndim)
    if max(index.ndim, 1) != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if index.size == 0:
        return input
    _check_index_bounds(index, input.shape[axis], axis)
    if hasattr(src, "shape"):
        src = src[tuple(slice(0, n) for n in index.shape)].astype(input.dtype)
    else:
        src = jnp.full(index.shape, src, input.dtype)
    at = input.at[_scatter_positions(index, axis)]
    return {"set": at.set, "add": at.add, "multiply": at.multiply}[mode](src)


def _scatter_name(input: Any, dim: int, index: Any, src: Any, *, reduce: str | None = None) -> str:
    if reduce is not None:
        return NOT_IMPLEMENTED  # torch: scatter with reduce= has no derivative
    return "ScatterBackward0" if hasattr(src, "shape") else "ScatterBackward1"


@op("scatter", grad_fn=_scatter_name, inplace="scatter_")
def scatter(input: Array, dim: int, index: Array, src: Any, *, reduce: str | None = None) -> Array:
    """`src` is a tensor or a number (torch's scatter.value); `reduce` is "add" or "multiply"."""
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    return _scatter(input, dim, index, src, "set" if reduce is None else reduce)


@op("scatter_add", grad_fn="ScatterAddBackward0", inplace="scatter_add_")
def scatter_add(input: Array, dim: int, index: Array, src: Array) -> Array:
    return _scatter(input, dim, index, src, "add")


@op("index_add", grad_fn="IndexAddBackward0", inplace="index_add_")
def index_add(input: Array, dim: int, index: Array, source: Array, *, alpha: Any = 1) -> Array:
    index = _index_dtype_check(index, "index_add")
    if index.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    axis = _errors.wrap_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    _check_index_bounds(index, size, axis)
    source = source.astype(input.dtype)
    added = source if alpha == 1 else source * _dtype.cast(alpha, _dtype.from_np(input.dtype))
    if input.ndim == 0:
        return input + jnp.sum(added) if index.size else input
    key = (slice(None),) * axis + (index.reshape(-1),)
    shape = input.shape[:axis] + (index.size,) + input.shape[axis + 1:]
    return input.at[key].add(added.reshape(shape))


@op("take_along_dim", grad_fn="GatherBackward0")  # torch: a gather of the broadcast operands
def take_along_dim(input: Array, indices: Array, dim: Any = None) -> Array:
    if dim is None:
        return jnp.take(input.reshape(-1), indices.reshape(-1))
    return jnp.take_along_axis(input, indices, axis=_errors.wrap_dim(dim, input.ndim))


# --- indexing ----------------------------------------------------------------

def index_name(input: Any, key: Any) -> str:
    """torch names x[key]'s node after the last op its indexing applied (See test_index_names)."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(hasattr(p, "shape") or isinstance(p, list) for p in parts):
        return "IndexBackward0"
    name = "AliasBackward0"
    for p in parts:
        if p is None:
            name = "UnsqueezeBackward0"
        elif isinstance(p, slice):
            name = "SliceBackward0"
        elif p is not Ellipsis:
            name = "SelectBackward0"
    return name


def _check_key(input: Array, key: tuple[Any, ...]) -> None:
    """torch's IndexError for out-of-range integer indices (JAX would clamp)."""
    specified = sum(1 for p in key if p is not None and p is not Ellipsis)
    if specified > input.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {input.ndim}")
    axis = 0
    for p in key:
        if p is Ellipsis:
            axis += input.ndim - specified
            continue
        if p is None:
            continue
        if isinstance(p, int) and not isinstance(p, bool):
            size = input.shape[axis]
            if not -size <= p < size:
                raise IndexError(
                    f"index {p} is out of bounds for dimension {axis} with size {size}")
        axis += 1


def _index_saves(input: Any, key: Any) -> bool:
    # torch: only advanced indexing (IndexBackward0) keeps tensors (the indices) for backward.
    return index_name(input, key) == "IndexBackward0"


@op("getitem", view=True, grad_fn=index_name, saves=_index_saves, method="__getitem__", namespaces=())
def getitem(input: Array, key: Any) -> Array:
    parts = key if isinstance(key, tuple) else (key,)
    _check_key(input, parts)
    return input[key]


@op("setitem", grad_fn="torch::autograd::CopySlices", saves=False, method=False, namespaces=(), opinfo=None)
def setitem(input: Array, key: Any, value: Any) -> Array:
    parts = key if isinstance(key, tuple) else (key,)
    _check_key(input, parts)
    value = _dtype.cast(value, _dtype.from_np(input.dtype))
    return input.at[key].set(value)


def _sequence(tensors: tuple[Any, ...]) -> Any:
    """f(x, y) and f([x, y]) alike: the tensors of a varargs call."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def _warn_complex_to_real() -> None:
    from .._tensor import warn_once  # torch's TORCH_WARN_ONCE registry

    warn_once(_errors.COMPLEX_TO_REAL, stacklevel=5)


# --- dtype conversions ---------------------------------------------------------

def _new_layout(memory_format: Any) -> bool:
    """Values here have no strides (they are contiguous): only a channels-last layout asks
    torch for a copy of a contiguous tensor."""
    return str(memory_format) in ("torch.channels_last", "torch.channels_last_3d")


def _cast_op(name: str, d: _dtype.dtype) -> None:
    def cast_wrapper(run: Any, input: Any, memory_format: Any = None) -> Any:
        # torch: x.float() of a float tensor is x itself (Tensor.to without a copy), unless
        # it asks for another layout.
        if input.dtype is d and not _new_layout(memory_format):
            return input
        if input.dtype.is_complex and not d.is_complex:
            _warn_complex_to_real()
        return run(input)

    def impl(input: Array, memory_format: Any = None) -> Array:
        return _dtype.cast(input, d)

    impl.__name__ = name
    impl.__doc__ = f"Same as `Tensor.{name}`: a copy as {d}."
    op(name, grad_fn="ToCopyBackward0", saves=False, namespaces=())(wrapper(cast_wrapper)(impl))


for _name, _d in (("float", _dtype.float32), ("double", _dtype.float64),
                  ("half", _dtype.float16), ("bfloat16", _dtype.bfloat16),
                  ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                  ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool_),
                  ("cfloat", _dtype.complex64), ("cdouble", _dtype.complex128)):  # fmt: skip
    _cast_op(_name, _d)


def _contiguous_wrapper(run: Any, input: Any, memory_format: Any = None) -> Any:
    # torch: a contiguous tensor is returned itself (a copy, CloneBackward0, for another layout).
    return run(input) if _new_layout(memory_format) else input


@op("contiguous", grad_fn="CloneBackward0", saves=False, namespaces=())
@wrapper(_contiguous_wrapper)
def contiguous(input: Array, memory_format: Any = None) -> Array:
    return jnp.array(input, copy=True)


def _other_shape(run: Any, input: Any, other: Any) -> Any:
    # torch's x.view_as(y) is x.view(y.size()): y is no operand (no edge, no gradient).
    return run(input, tuple(other.shape))


@op("view_as", view="reshape", grad_fn="ViewBackward0", saves=False, namespaces=())
@wrapper(_other_shape)
def view_as(input: Array, other: Any) -> Array:
    """`other`: the other tensor's shape (See _other_shape)."""
    return view.impl(input, tuple(other))


@op("reshape_as", grad_fn="ViewBackward0", saves=False, namespaces=())
@wrapper(_other_shape)
def reshape_as(input: Array, other: Any) -> Array:
    return reshape.impl(input, tuple(other))


# --- transposes (Tensor.T, .mT, .H, .mH: properties bound in _bind.py) --------

def _matrix_property_wrapper(run: Any, input: Any) -> Any:
    return input if input.ndim == 0 else run(input)  # torch: a 0-d tensor is its own mT


@op("T", view=True, grad_fn="PermuteBackward0", saves=False, method=False, namespaces=())
def numpy_T(input: Array) -> Array:
    return jnp.transpose(input)


@op("mT", view=True, grad_fn="TransposeBackward0", saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def matrix_T(input: Array) -> Array:
    if input.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")  # fmt: skip
    return jnp.swapaxes(input, -2, -1)


def _adjoint_name(input: Any) -> str:
    # torch: x.mH is x.mT.conj(), whose last node is ConjBackward0 for complex x.
    return "ConjBackward0" if input.dtype.is_complex else "TransposeBackward0"


@op("H", grad_fn=_adjoint_name, saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def numpy_H(input: Array) -> Array:
    if input.ndim != 2:
        hint = ". For batches of matrices, consider using tensor.mH" if input.ndim > 2 else "."
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{input.ndim}-D tensor{hint}")  # fmt: skip
    return jnp.conj(input.T)


@op("mH", grad_fn=_adjoint_name, saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def matrix_H(input: Array) -> Array:
    if input.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")  # fmt: skip
    return jnp.conj(jnp.swapaxes(input, -2, -1))


# --- more views and their copies ------------------------------------------------

@op("select", out=False, view=True, grad_fn="SelectBackward0", saves=False)
def select(input: Array, dim: int, index: int) -> Array:
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = _errors.wrap_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {axis}")  # fmt: skip
    return jax.lax.index_in_dim(input, index % size, axis, keepdims=False)


def _dims(dims: Any) -> tuple[int, ...]:
    return (dims,) if isinstance(dims, int) else tuple(dims)


def _select_prepare(input: Any, dim: int, index: Any) -> Any:
    # torch reads a tensor index's value (select.int takes any __index__ object).
    return (input, dim, operator.index(index)), {}


select.impl.prepare = _select_prepare  # See Note [Value-dependent shapes]


@op("movedim", out=False, view=True, grad_fn="PermuteBackward0", saves=False, aliases=("moveaxis",))
def movedim(input: Array, source: Any, destination: Any) -> Array:
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    s = tuple(_errors.wrap_dim(d, input.ndim) for d in src)
    d = tuple(_errors.wrap_dim(d, input.ndim) for d in dst)
    if len(set(s)) != len(s):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(d)) != len(d):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    return jnp.moveaxis(input, s, d) if input.ndim else input


@op("ravel", out=False, view="reshape", grad_fn="ViewBackward0", saves=False)
def ravel(input: Array) -> Array:
    return jnp.ravel(input)


@op("unflatten", out=False, view="reshape", grad_fn="ViewBackward0", saves=False)
def unflatten(input: Array, dim: int, sizes: Any) -> Array:
    axis = _errors.wrap_dim(dim, input.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[axis] if input.ndim else 1
    if -1 not in sizes and math.prod(sizes) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {axis} ({n}) in the input tensor")  # fmt: skip
    try:
        shape = infer_size(sizes, n)
    except RuntimeError as e:
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return input.reshape(input.shape[:axis] + shape + input.shape[axis + 1:])


@op("tile", out=False, grad_fn="RepeatBackward0", saves=False)
def tile(input: Array, *dims: Any) -> Array:
    reps = _size_args(dims)
    reps = (1,) * (input.ndim - len(reps)) + reps  # torch: missing leading reps are 1
    return repeat.impl(input, reps)


@op("fliplr", out=False, grad_fn="FlipBackward0", saves=False)
def fliplr(input: Array) -> Array:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return jnp.flip(input, 1)


@op("flipud", out=False, grad_fn="FlipBackward0", saves=False)
def flipud(input: Array) -> Array:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return jnp.flip(input, 0)


@op("rot90", out=False, grad_fn="Rot90Backward0", saves=False)
def rot90(input: Array, k: int = 1, dims: Any = (0, 1)) -> Array:
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    axes = (_errors.wrap_dim(dims[0], input.ndim), _errors.wrap_dim(dims[1], input.ndim))
    if axes[0] == axes[1]:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")  # fmt: skip
    return jnp.rot90(input, k, axes)


@op("roll", out=False, grad_fn="RollBackward0", saves=False)
def roll(input: Array, shifts: Any, dims: Any = None) -> Array:
    shifts = _dims(shifts)
    dims = () if dims is None else _dims(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return jnp.roll(input.reshape(-1), shifts[0]).reshape(input.shape) if input.size else input
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")  # fmt: skip
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    axes = tuple(_errors.wrap_dim(d, input.ndim) for d in dims)
    return jnp.roll(input, shifts, axes) if input.size else input


def _narrow_start(input: Array, dim: int, start: int, length: int) -> tuple[int, int]:
    """The axis and the non-negative start of narrow(input, dim, start, length), checked."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = _errors.wrap_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")  # fmt: skip
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return axis, start


@op("narrow_copy", grad_fn="NarrowCopyBackward0", saves=False)
def narrow_copy(input: Array, dim: int, start: int, length: int) -> Array:
    axis, start = _narrow_start(input, dim, start, length)
    return jax.lax.slice_in_dim(input, start, start + length, axis=axis)


def _diag_embed(input: Array, offset: int, dim1: int, dim2: int) -> Array:
    nd = input.ndim + 1
    d1, d2 = _errors.wrap_dim(dim1, nd), _errors.wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = input.shape[-1]
    n = m + abs(offset)
    out = jnp.zeros(input.shape[:-1] + (n, n), input.dtype)
    i = jnp.arange(m)
    out = out.at[..., i + max(-offset, 0), i + max(offset, 0)].set(input)
    return jnp.moveaxis(out, (-2, -1), (d1, d2))


@op("diag_embed", out=False, grad_fn="DiagEmbedBackward0", saves=False)
def diag_embed(input: Array, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Array:
    return _diag_embed(input, offset, dim1, dim2)


@op("diag", grad_fn=lambda input, diagonal=0: "DiagEmbedBackward0" if input.ndim == 1 else (
    "DiagonalBackward0_copy"), saves=False)  # fmt: skip
def diag(input: Array, diagonal: int = 0) -> Array:
    """torch.diag: a 1-D input's diag_embed, a 2-D input's diagonal_copy."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    if input.ndim == 1:
        return _diag_embed(input, diagonal, 0, 1)
    return jnp.diagonal(input, diagonal)


@op("diagflat", out=False, grad_fn="DiagEmbedBackward0", saves=False)
def diagflat(input: Array, offset: int = 0) -> Array:
    return _diag_embed(input.reshape(-1), offset, 0, 1)


@op("diagonal_copy", grad_fn="DiagonalBackward0_copy", saves=False, method=False)
def diagonal_copy(input: Array, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Array:
    return diagonal.impl(input, offset, dim1, dim2)


@op("linalg_diagonal", out=False, view=True, grad_fn="DiagonalBackward0", saves=False, method=False,
    namespaces=("linalg",), aliases=("diagonal",), opinfo=OpInfoTest(name="linalg.diagonal"))
def linalg_diagonal(A: Array, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Array:
    return diagonal.impl(A, offset, dim1, dim2)


def _atleast(n: int) -> OpDef:
    """torch.atleast_{n}d: a tensor with fewer than n dims gets new ones (ViewBackward0 from a
    0-d tensor, else UnsqueezeBackward0); others are returned themselves, as in torch."""

    def atleast_wrapper(run: Any, *tensors: Any) -> Any:
        if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
            return tensors[0] if tensors[0].ndim >= n else run(tensors[0])
        return tuple(t if t.ndim >= n else run(t) for t in _sequence(tensors))

    def impl(input: Array) -> Array:
        if input.ndim >= n:
            return input
        if input.ndim == 0:
            return input.reshape((1,) * n)
        if input.ndim == 1:
            return input.reshape((1, input.shape[0], 1)[:n])
        return input[..., None]  # n == 3, a 2-d input

    def name(input: Any) -> str:
        return "ViewBackward0" if input.ndim == 0 else "UnsqueezeBackward0"

    impl.__name__ = f"atleast_{n}d"
    impl.__doc__ = f"Same as `torch.atleast_{n}d` on one tensor."
    return op(impl.__name__, grad_fn=name, saves=False, method=False, out=False)(
        wrapper(atleast_wrapper)(impl))


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def _broadcast_tensors_wrapper(run: Any, *tensors: Any) -> Any:
    tensors = _sequence(tensors)
    shape: tuple[int, ...] = ()
    for t in tensors:
        shape = _errors.broadcast_shapes(shape, tuple(t.shape))
    if all(tuple(t.shape) == shape for t in tensors):
        return tuple(tensors)
    # torch expands each tensor on its own: one already of the broadcast shape is itself.
    outs = run(*tensors)
    return tuple(t if tuple(t.shape) == shape else o for t, o in zip(tensors, outs))


@op("broadcast_tensors",
    out=False, grad_fn="ExpandBackward0", saves=False, method=False, multi_output=True)
@wrapper(_broadcast_tensors_wrapper)
def broadcast_tensors(*tensors: Array) -> tuple[Array, ...]:
    shape = jnp.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(jnp.broadcast_to(t, shape) for t in tensors)


_MESHGRID_WARNING = (
    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")


def _meshgrid_wrapper(run: Any, *tensors: Any, indexing: str | None = None) -> Any:
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=3)
    return run(*_sequence(tensors), indexing=indexing)


@op("meshgrid", out=False, grad_fn="ExpandBackward0", saves=False, method=False, multi_output=True)
@wrapper(_meshgrid_wrapper)
def meshgrid(*tensors: Array, indexing: str | None = None) -> tuple[Array, ...]:
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: <tensor>")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in (None, "ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")  # fmt: skip
    return tuple(jnp.meshgrid(*(t.reshape(-1) for t in tensors), indexing=indexing or "ij"))


def _vector_check(t: Array) -> None:
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def _cartesian_prod_wrapper(run: Any, *tensors: Any) -> Any:
    if len(tensors) == 1 and tensors[0].ndim == 1:
        return tensors[0]  # torch: the tensor itself
    return run(*tensors)


@op("cartesian_prod", out=False, grad_fn="StackBackward0", saves=False, method=False)
@wrapper(_cartesian_prod_wrapper)
def cartesian_prod(*tensors: Array) -> Array:
    for t in tensors:
        _vector_check(t)
    d = _dtype.result_type(*tensors)
    grids = jnp.meshgrid(*(_dtype.cast(t, d) for t in tensors), indexing="ij")
    return jnp.stack([g.reshape(-1) for g in grids], axis=1)


def _combinations_wrapper(run: Any, input: Any, r: int = 2, with_replacement: bool = False) -> Any:
    if r == 0:  # torch: an empty tensor, outside the graph
        return run(input.detach(), r, with_replacement)
    return run(input, r, with_replacement)


@op("combinations", out=False, grad_fn="StackBackward0", saves=False, method=False)
@wrapper(_combinations_wrapper)
def combinations(input: Array, r: int = 2, with_replacement: bool = False) -> Array:
    _vector_check(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return jnp.zeros((0,), input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return jnp.stack([jnp.take(input, index[:, j]) for j in range(r)], axis=1)


def _stack_parts(name: str, tensors: Any) -> list[Array]:
    if len(tensors) == 0:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


@op("hstack", grad_fn="CatBackward0", saves=False, method=False)
def hstack(tensors: Any) -> Array:
    parts = [jnp.atleast_1d(t) for t in _stack_parts("hstack", tensors)]
    return cat.impl(parts, 0 if parts[0].ndim == 1 else 1)


@op("vstack", grad_fn="CatBackward0", saves=False, method=False, aliases=("row_stack",))
def vstack(tensors: Any) -> Array:
    return cat.impl([jnp.atleast_2d(t) for t in _stack_parts("vstack", tensors)], 0)


@op("dstack", grad_fn="CatBackward0", saves=False, method=False)
def dstack(tensors: Any) -> Array:
    parts = [atleast_3d.impl(t) for t in _stack_parts("dstack", tensors)]
    return cat.impl(parts, 2)


@op("column_stack", grad_fn="CatBackward0", saves=False, method=False)
def column_stack(tensors: Any) -> Array:
    parts = _stack_parts("column_stack", tensors)
    return cat.impl([t.reshape(t.size, 1) if t.ndim <= 1 else t for t in parts], 1)


@op("block_diag", out=False, grad_fn="BlockDiagBackward0", saves=False, method=False)
def block_diag(*tensors: Array) -> Array:
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")  # fmt: skip
    d = _dtype.result_type(*tensors) if tensors else _dtype.get_default_dtype()
    blocks = [t.reshape((1,) * (2 - t.ndim) + t.shape) for t in tensors]
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = jnp.zeros((rows, cols) if blocks else (1, 0), d.np)
    r = c = 0
    for b in blocks:
        out = out.at[r:r + b.shape[0], c:c + b.shape[1]].set(_dtype.cast(b, d))
        r, c = r + b.shape[0], c + b.shape[1]
    return out


# --- splits ---------------------------------------------------------------------

def _slice_bounds(start: int, stop: int, n: int) -> tuple[int, int]:
    """at::slice's bounds: negative ones count from the end, then clamped, stop >= start."""
    start = min(max(start + n if start < 0 else start, 0), n)
    stop = min(max(stop + n if stop < 0 else stop, 0), n)
    return start, max(start, stop)


def _tensor_split_prepare(input: Any, indices_or_sections: Any, dim: int = 0) -> Any:
    # torch: tensor_split.tensor_indices_or_sections reads the tensor's values (on the CPU).
    if hasattr(indices_or_sections, "tolist"):
        t = indices_or_sections
        if t.dtype.name != "int64":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {_dtype.legacy_name(t.dtype)}")  # fmt: skip
        if t.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{t.ndim} dims")  # fmt: skip
        indices_or_sections = t.tolist()
    return (input, indices_or_sections, dim), {}


@op("tensor_split", out=False, view=True, grad_fn="SliceBackward0", saves=False, multi_output=True)
def tensor_split(input: Array, indices_or_sections: Any, dim: int = 0) -> tuple[Array, ...]:
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")  # fmt: skip
    axis = _errors.wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        points = [sum(sizes[:i]) for i in range(1, sections)]
    else:
        points = [int(i) for i in indices_or_sections]
    bounds = [_slice_bounds(a, b, n) for a, b in zip([0, *points], [*points, n])]
    return tuple(jax.lax.slice_in_dim(input, a, b, axis=axis) for a, b in bounds)


tensor_split.impl.prepare = _tensor_split_prepare  # See Note [Value-dependent shapes]


def _arg_type(x: Any) -> str:
    return "Tensor" if hasattr(x, "shape") else type(x).__name__


def _split_along(name: str, min_dims: int, axis_of: Any) -> None:
    def impl(input: Array, indices_or_sections: Any) -> tuple[Array, ...]:
        if input.ndim < min_dims:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                f"tensor with {input.ndim} dimensions!")
        if not isinstance(indices_or_sections, (int, list, tuple)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                            f"{_arg_type(indices_or_sections)}), but expected one of:\n"
                            " * (Tensor input, int sections)\n"
                            " * (Tensor input, tuple of ints indices)")  # fmt: skip
        axis = axis_of(input.ndim)
        if isinstance(indices_or_sections, int):
            n = input.shape[axis]
            if indices_or_sections == 0 or n % indices_or_sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {axis}, but the size of the "
                    f"dimension {n} is not divisible by the split_size {indices_or_sections}!")
        return tensor_split.impl(input, indices_or_sections, axis)

    impl.__name__ = name
    impl.__doc__ = f"Same as `torch.{name}`."
    op(name, view=True, grad_fn="SliceBackward0", saves=False, multi_output=True, out=False)(impl)


_split_along("hsplit", 1, lambda ndim: 1 if ndim > 1 else 0)
_split_along("vsplit", 2, lambda ndim: 0)
_split_along("dsplit", 3, lambda ndim: 2)


@op("split_with_sizes",
    out=False, view=True, grad_fn="SplitWithSizesBackward0", saves=False, multi_output=True)
def split_with_sizes(input: Array, split_sizes: Any, dim: int = 0) -> tuple[Array, ...]:
    return split.impl(input, list(split_sizes), dim)


@op("split_with_sizes_copy", grad_fn="SplitWithSizesBackward0_copy", saves=False, method=False,
    multi_output=True)  # fmt: skip
def split_with_sizes_copy(input: Array, split_sizes: Any, dim: int = 0) -> tuple[Array, ...]:
    return split.impl(input, list(split_sizes), dim)


@op("unsafe_split", out=False, grad_fn="UnsafeSplitBackward0", saves=False, multi_output=True)
def unsafe_split(input: Array, split_size: int, dim: int = 0) -> tuple[Array, ...]:
    return split.impl(input, split_size, dim)


@op("unsafe_chunk", out=False, grad_fn="UnsafeSplitBackward0", saves=False, multi_output=True)
def unsafe_chunk(input: Array, chunks: int, dim: int = 0) -> tuple[Array, ...]:
    return chunk.impl(input, chunks, dim)


@op("unbind_copy", grad_fn="UnbindBackward0_copy", saves=False, method=False, multi_output=True)
def unbind_copy(input: Array, dim: int = 0) -> tuple[Array, ...]:
    return unbind.impl(input, dim)


@op("_chunk_cat", grad_fn=NOT_IMPLEMENTED, saves=False, method=False)
def chunk_cat(tensors: Any, dim: int, num_chunks: int) -> Array:
    """Each tensor cut into `num_chunks` chunks along `dim` (zero-padded to equal size), each
    chunk flattened from `dim` on, and the tensors' chunks concatenated."""
    if len(tensors) == 0:
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    axis = _errors.wrap_dim(dim, tensors[0].ndim)
    parts = []
    for t in tensors:
        n = t.shape[axis]
        size = -(-n // num_chunks)
        pad = [(0, 0)] * t.ndim
        pad[axis] = (0, size * num_chunks - n)
        padded = jnp.pad(t, pad)
        parts.append(padded.reshape(t.shape[:axis] + (num_chunks, -1)))
    return jnp.concatenate(parts, axis=axis + 1)


# --- unfold, as_strided and the view-op copies ------------------------------------

def _unfold(input: Array, dimension: int, size: int, step: int) -> Array:
    axis = _errors.wrap_dim(dimension, input.ndim)
    n = input.shape[axis] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if input.ndim == 0:
        return input.reshape(1)
    count = (n - size) // step + 1
    index = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    windows = jnp.take(input, index, axis=axis)
    windows = windows.reshape(input.shape[:axis] + (count, size) + input.shape[axis + 1:])
    return jnp.moveaxis(windows, axis + 1, -1)


# "unfold" in the table is nn.functional.unfold (im2col); this is Tensor.unfold.
@op("tensor_unfold", view=True, grad_fn="UnfoldBackward0", saves=False, method="unfold", namespaces=(),
    opinfo=OpInfoTest(name="unfold"))  # fmt: skip
def tensor_unfold(input: Array, dimension: int, size: int, step: int) -> Array:
    return _unfold(input, dimension, size, step)


@op("unfold_copy", grad_fn="UnfoldBackward0_copy", saves=False, method=False)
def unfold_copy(input: Array, dimension: int, size: int, step: int) -> Array:
    return _unfold(input, dimension, size, step)


def _as_strided(input: Array, size: Any, stride: Any, storage_offset: int | None) -> Array:
    """The elements at `storage_offset + sum(i * stride)` of the input's (contiguous) storage."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")  # fmt: skip
    offset = storage_offset or 0
    if math.prod(size):
        needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if needed > input.size:
            item = input.dtype.itemsize
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                f"and itemsize {item} requiring a storage size of {needed * item} are out of "
                f"bounds for storage of size {input.size * item}")
    index = np.full(size, offset, np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        index = index + (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - k - 1))
    return jnp.take(input.reshape(-1), index) if index.size else jnp.zeros(size, input.dtype)


@op("as_strided", out=False, view=True, grad_fn="AsStridedBackward0", saves=False)
def as_strided(input: Array, size: Any, stride: Any, storage_offset: int | None = None) -> Array:
    return _as_strided(input, size, stride, storage_offset)


@op("as_strided_copy", grad_fn="AsStridedBackward0_copy", saves=False, method=False)
def as_strided_copy(input: Array, size: Any, stride: Any,
                    storage_offset: int | None = None) -> Array:  # fmt: skip
    return _as_strided(input, size, stride, storage_offset)


@op("alias_copy", grad_fn="AliasBackward0_copy", saves=False, method=False)
def alias_copy(input: Array) -> Array:
    return jnp.array(input, copy=True)


@op("expand_copy", grad_fn="ExpandBackward0_copy", saves=False, method=False)
def expand_copy(input: Array, size: Any, *, implicit: bool = False) -> Array:
    return expand.impl(input, tuple(size))


@op("permute_copy", grad_fn="PermuteBackward0_copy", saves=False, method=False)
def permute_copy(input: Array, dims: Any) -> Array:
    return permute.impl(input, tuple(dims))


@op("squeeze_copy", grad_fn=lambda input, dim=None: "SqueezeBackward0_copy" if dim is None else (
    "SqueezeBackward1_copy" if isinstance(dim, int) else "SqueezeBackward2_copy"), saves=False,
    method=False)  # fmt: skip
def squeeze_copy(input: Array, dim: Any = None) -> Array:
    return squeeze.impl(input, dim)


@op("t_copy", grad_fn="TBackward0_copy", saves=False, method=False)
def t_copy(input: Array) -> Array:
    return t.impl(input)


@op("transpose_copy", grad_fn="TransposeBackward0_copy", saves=False, method=False)
def transpose_copy(input: Array, dim0: int, dim1: int) -> Array:
    return transpose.impl(input, dim0, dim1)


@op("unsqueeze_copy", grad_fn="UnsqueezeBackward0_copy", saves=False, method=False)
def unsqueeze_copy(input: Array, dim: int) -> Array:
    return unsqueeze.impl(input, dim)


@op("view_copy", grad_fn="ViewBackward0_copy", saves=False, method=False)
@wrapper(_view_wrapper)
def view_copy(input: Array, size: Any) -> Array:
    return view.impl(input, size)


# --- sums and fills ---------------------------------------------------------------

def _sum_to_size_wrapper(run: Any, input: Any, *size: Any) -> Any:
    # torch: at::sum_to returns its input for an equal shape, but sums to a 0-d shape first.
    shape = _size_args(size)
    return input if shape and tuple(input.shape) == shape else run(input, *size)


def _sum_to_size_name(input: Any, *size: Any) -> str:
    shape = _size_args(size)
    if not shape:
        return "SumBackward0"  # torch: at::sum_to of a 0-d shape is a full sum
    return "ViewBackward0" if len(shape) < input.ndim else "SumBackward1"


@op("sum_to_size", grad_fn=_sum_to_size_name, saves=False, namespaces=())
@wrapper(_sum_to_size_wrapper)
def sum_to_size(input: Array, *size: Any) -> Array:
    shape = _size_args(size)
    lead = input.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(shape, input.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(input.shape)}}}.")  # fmt: skip
    axes = tuple(range(lead)) + tuple(lead + i for i, (s, n) in enumerate(
        zip(shape, input.shape[lead:])) if s == 1 and n != 1)  # fmt: skip
    return jnp.sum(input, axis=axes, keepdims=True).reshape(shape) if axes else input


@op("fill",
    out=False, grad_fn=lambda input, value: "FillBackward1" if hasattr(value, "shape") else (
    "FillBackward0"), saves=False, method=False)  # fmt: skip
def fill(input: Array, value: Any) -> Array:
    d = _dtype.from_np(input.dtype)
    if hasattr(value, "shape"):
        if value.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")  # fmt: skip
        return jnp.broadcast_to(_dtype.cast(value, d), input.shape)
    return jnp.full(input.shape, _dtype.checked_scalar(value, d), input.dtype)


def _zero_function(run: Any, input: Any) -> Any:
    # torch.zero_(x) is x.zero_(): the in-place method (the op below, run in place).
    return input.zero_()


@op("zero_", grad_fn="ZeroBackward0", saves=False, method=False, inplace="zero_")
@wrapper(_zero_function)
def zero_(input: Array) -> Array:
    """Zeros of the input's shape and dtype (NaN and inf become 0 too)."""
    return jnp.zeros_like(input)
