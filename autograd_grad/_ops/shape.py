"""Shape, view, joining and indexing ops."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import _dtype, _errors
from ._table import BINARY, NOT_IMPLEMENTED, OpInfoTest, op

Array = jax.Array


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


@op("reshape", grad_fn="ViewBackward0", saves=False)
def reshape(input: Array, *shape: Any) -> Array:
    return jnp.reshape(input, infer_size(_size_args(shape), input.size))


@op("view", grad_fn="ViewBackward0", saves=False, namespaces=())
def view(input: Array, *shape: Any) -> Array:
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    return jnp.reshape(input, infer_size(_size_args(shape), input.size))


@op("flatten", grad_fn="ViewBackward0", saves=False, opinfo=OpInfoTest(xfail={
    "grad_fn": "torch.flatten returns the input Tensor itself when start_dim == end_dim (no "
               "grad_fn on a leaf); dispatch always makes a new node (ViewBackward0)"}))  # fmt: skip
def flatten(input: Array, start_dim: int = 0, end_dim: int = -1) -> Array:
    if input.ndim == 0:
        return input.reshape(1)
    s = _errors.wrap_dim(start_dim, input.ndim)
    e = _errors.wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return input.reshape(input.shape[:s] + (math.prod(input.shape[s:e + 1]),) + input.shape[e + 1:])


@op("permute", grad_fn="PermuteBackward0", saves=False)
def permute(input: Array, *dims: Any) -> Array:
    axes = tuple(_errors.wrap_dim(d, input.ndim) for d in _size_args(dims))
    if len(axes) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(axes)}")
    return jnp.transpose(input, axes)


@op("transpose", grad_fn="TransposeBackward0", saves=False, aliases=("swapaxes", "swapdims"))
def transpose(input: Array, dim0: int, dim1: int) -> Array:
    if input.ndim == 0:
        return input
    return jnp.swapaxes(input, _errors.wrap_dim(dim0, input.ndim), _errors.wrap_dim(dim1, input.ndim))


@op("t", grad_fn="TBackward0", saves=False)
def t(input: Array) -> Array:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T


@op("squeeze", grad_fn=lambda input, dim=None: "SqueezeBackward0" if dim is None else (
    "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"), saves=False)  # fmt: skip
def squeeze(input: Array, dim: Any = None) -> Array:
    if input.ndim == 0:
        return input
    if dim is None:
        return jnp.squeeze(input)
    axes = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(a for a in (_errors.wrap_dim(d, input.ndim) for d in axes) if input.shape[a] == 1)
    return jnp.squeeze(input, axes)


@op("unsqueeze", grad_fn="UnsqueezeBackward0", saves=False)
def unsqueeze(input: Array, dim: int) -> Array:
    return jnp.expand_dims(input, _errors.wrap_dim(dim, input.ndim + 1))


@op("expand", grad_fn="ExpandBackward0", saves=False, namespaces=())
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


@op("expand_as", grad_fn="ExpandBackward0", saves=False, namespaces=())
def expand_as(input: Array, other: Array) -> Array:
    return expand.impl(input, tuple(other.shape))


@op("broadcast_to", grad_fn="ExpandBackward0", saves=False)
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


@op("split", grad_fn=lambda input, split_size_or_sections, dim=0: "SplitBackward0" if isinstance(
    split_size_or_sections, int) else "SplitWithSizesBackward0", saves=False, multi_output=True)  # fmt: skip
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


@op("chunk", grad_fn="SplitBackward0", saves=False, multi_output=True)
def chunk(input: Array, chunks: int, dim: int = 0) -> tuple[Array, ...]:
    n = input.shape[_errors.wrap_dim(dim, input.ndim)]
    return split.impl(input, max(1, -(-n // chunks)) if n else 1, dim)


@op("unbind", grad_fn="UnbindBackward0", saves=False, multi_output=True)
def unbind(input: Array, dim: int = 0) -> tuple[Array, ...]:
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
    return jnp.tile(x, reps)


@op("flip", grad_fn="FlipBackward0", saves=False)
def flip(input: Array, dims: Any) -> Array:
    axes = tuple(_errors.wrap_dim(d, input.ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    return jnp.flip(input, axes) if input.ndim else input


@op("narrow", grad_fn="SliceBackward0", saves=False)
def narrow(input: Array, dim: int, start: Any, length: int) -> Array:
    axis = _errors.wrap_dim(dim, input.ndim)
    if isinstance(start, jax.core.Tracer):
        # narrow.Tensor: a 0-d start tensor is an operand, traced inside a vjp; its value was
        # checked when the op ran.
        start = jnp.where(start < 0, start + input.shape[axis], start)
        return jax.lax.dynamic_slice_in_dim(input, start, length, axis=axis)
    start = int(start)
    start = start % input.shape[axis] if start < 0 else start
    return jax.lax.slice_in_dim(input, start, start + length, axis=axis)


@op("tril", grad_fn="TrilBackward0", saves=False, inplace="tril_")
def tril(input: Array, diagonal: int = 0) -> Array:
    return jnp.tril(input, diagonal)


@op("triu", grad_fn="TriuBackward0", saves=False, inplace="triu_")
def triu(input: Array, diagonal: int = 0) -> Array:
    return jnp.triu(input, diagonal)


@op("diagonal", grad_fn="DiagonalBackward0", saves=False)
def diagonal(input: Array, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Array:
    return jnp.diagonal(input, offset, _errors.wrap_dim(dim1, input.ndim), _errors.wrap_dim(dim2, input.ndim))


@op("trace", grad_fn="TraceBackward0", saves=False)
def trace(input: Array) -> Array:
    if input.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input.ndim))
    out = jnp.trace(input)
    return out.astype(jnp.int64) if jnp.issubdtype(input.dtype, jnp.integer) else out


@op("clone", grad_fn="CloneBackward0", saves=False)
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


@op("masked_fill", grad_fn=lambda input, mask, value: "MaskedFillBackward1" if hasattr(
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


@op("getitem", grad_fn=index_name, saves=_index_saves, method="__getitem__", namespaces=())
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


# --- torch's Python-level behaviour around ops ---------------------------------

def wrapper(fn: Any) -> Any:
    """Give an implementation torch's Python-level wrapper (See Note [Op wrappers] in
    _dispatch.py): `fn(run, *args, **kwargs)` sees the call's Tensors and may return an
    argument itself, or call `run` (the op) once or per tensor."""

    def mark(impl: Any) -> Any:
        impl.wrapper = fn
        return impl

    return mark


def _sequence(tensors: tuple[Any, ...]) -> Any:
    """f(x, y) and f([x, y]) alike: the tensors of a varargs call."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def _warn_complex_to_real() -> None:
    from .._tensor import warn_once  # torch's TORCH_WARN_ONCE registry

    warn_once(_errors.COMPLEX_TO_REAL, stacklevel=4)


# --- dtype conversions ---------------------------------------------------------

def _cast_op(name: str, d: _dtype.dtype) -> None:
    def cast_wrapper(run: Any, input: Any, memory_format: Any = None) -> Any:
        # torch: x.float() of a float tensor is x itself (Tensor.to without a copy).
        if input.dtype is d:
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
    # torch: a contiguous tensor is returned itself; values here have no strides, so only a
    # channels-last layout (a copy, CloneBackward0) makes a new tensor.
    if str(memory_format) in ("torch.channels_last", "torch.channels_last_3d"):
        return run(input)
    return input


@op("contiguous", grad_fn="CloneBackward0", saves=False, namespaces=())
@wrapper(_contiguous_wrapper)
def contiguous(input: Array, memory_format: Any = None) -> Array:
    return jnp.array(input, copy=True)


def _other_shape(run: Any, input: Any, other: Any) -> Any:
    # torch's x.view_as(y) is x.view(y.size()): y is no operand (no edge, no gradient).
    return run(input, tuple(other.shape))


@op("view_as", grad_fn="ViewBackward0", saves=False, namespaces=())
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


@op("T", grad_fn="PermuteBackward0", saves=False, method=False, namespaces=())
def numpy_T(input: Array) -> Array:  # noqa: N802
    return jnp.transpose(input)


@op("mT", grad_fn="TransposeBackward0", saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def matrix_T(input: Array) -> Array:  # noqa: N802
    if input.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")  # fmt: skip
    return jnp.swapaxes(input, -2, -1)


def _adjoint_name(input: Any) -> str:
    # torch: x.mH is x.mT.conj(), whose last node is ConjBackward0 for complex x.
    return "ConjBackward0" if input.dtype.is_complex else "TransposeBackward0"


@op("H", grad_fn=_adjoint_name, saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def numpy_H(input: Array) -> Array:  # noqa: N802
    if input.ndim != 2:
        hint = ". For batches of matrices, consider using tensor.mH" if input.ndim > 2 else "."
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{input.ndim}-D tensor{hint}")  # fmt: skip
    return jnp.conj(input.T)


@op("mH", grad_fn=_adjoint_name, saves=False, method=False, namespaces=())
@wrapper(_matrix_property_wrapper)
def matrix_H(input: Array) -> Array:  # noqa: N802
    if input.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")  # fmt: skip
    return jnp.conj(jnp.swapaxes(input, -2, -1))
