"""Convolutions: `nn.functional.conv{1,2,3}d` and `conv_transpose{1,2,3}d` on
`jax.lax.conv_general_dilated`. Their gradients (any order) come from JAX's own transpose
rules: no hand-written backward formulas."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from ._table import OpInfoTest, op

Array = jax.Array
F = ("nn.functional",)
_SPATIAL = {1: "H", 2: "HW", 3: "DHW"}


def _tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           "values to match the convolution dimensions, but got "
                           f"{name}={list(value)}")  # fmt: skip
    return value


def _batched(input: Array, n: int, error: str) -> tuple[Array, bool]:
    """torch accepts an unbatched input (C, *spatial) and returns an unbatched result; other
    ranks get `error` (torch's message, which differs between convolutions and pooling)."""
    if input.ndim == n + 1:
        return input[None], True
    if input.ndim != n + 2:
        raise RuntimeError(error)
    return input, False


def _conv_input(input: Array, n: int, name: str) -> tuple[Array, bool]:
    return _batched(input, n, f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                              f"{name}, but got input of size: {list(input.shape)}")  # fmt: skip


def _operands(input: Array, weight: Array, bias: Array | None, n: int,
              name: str) -> tuple[Array, Array, bool]:  # fmt: skip
    """A convolution's input (batched) and weight in their promoted dtype."""
    x, unbatched = _conv_input(input, n, name)
    d = _dtype.result_type(x, weight, bias)  # None (no bias) takes no part
    return _dtype.cast(x, d), _dtype.cast(weight, d), unbatched


def _finish(out: Array, bias: Array | None, n: int, unbatched: bool) -> Array:
    """The bias added over the channels, and an unbatched input's batch dimension dropped."""
    if bias is not None:
        out = out + _dtype.cast(bias, _dtype.from_np(out.dtype)).reshape((1, -1) + (1,) * n)
    return out[0] if unbatched else out


def _conv(n: int, input: Array, weight: Array, bias: Array | None, stride: Any, padding: Any,
          dilation: Any, groups: int) -> Array:  # fmt: skip
    x, w, unbatched = _operands(input, weight, bias, n, f"conv{n}d")
    strides = _tuple(stride, n, "stride")
    dilations = _tuple(dilation, n, "dilation")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input"
            f"{list(input.shape)} to have {w.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead")  # fmt: skip
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * n
        elif padding == "same":
            if any(s != 1 for s in strides):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, dil in zip(w.shape[2:], dilations):
                total = dil * (k - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = [(p, p) for p in _tuple(padding, n, "padding")]
    spatial = _SPATIAL[n]
    numbers = ("NC" + spatial, "OI" + spatial, "NC" + spatial)
    out = jax.lax.conv_general_dilated(
        x, w, window_strides=strides, padding=pads, rhs_dilation=dilations,
        dimension_numbers=numbers, feature_group_count=groups,
        precision=jax.lax.Precision.HIGHEST)  # fmt: skip
    return _finish(out, bias, n, unbatched)


def _conv_transpose(n: int, input: Array, weight: Array, bias: Array | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int,
                    dilation: Any) -> Array:  # fmt: skip
    """The gradient of conv w.r.t. its input, as torch defines conv_transpose: weight is
    (in_channels, out_channels / groups, *kernel)."""
    x, w, unbatched = _operands(input, weight, bias, n, f"conv_transpose{n}d")
    strides = _tuple(stride, n, "stride")
    pads = _tuple(padding, n, "padding")
    out_pads = _tuple(output_padding, n, "output_padding")
    dilations = _tuple(dilation, n, "dilation")
    c_in, c_out_g = w.shape[0], w.shape[1]
    kernel = w.shape[2:]
    # (in, out/g, k...) -> (out, in/g, k...) flipped: a regular conv over the dilated input.
    w = w.reshape((groups, c_in // groups, c_out_g) + kernel)
    w = jnp.swapaxes(w, 1, 2).reshape((groups * c_out_g, c_in // groups) + kernel)
    w = jnp.flip(w, axis=tuple(range(2, 2 + n)))
    conv_pads = [(dil * (k - 1) - p, dil * (k - 1) - p + op)
                 for k, p, op, dil in zip(kernel, pads, out_pads, dilations)]  # fmt: skip
    spatial = _SPATIAL[n]
    out = jax.lax.conv_general_dilated(
        x, w, window_strides=(1,) * n, padding=conv_pads, lhs_dilation=strides,
        rhs_dilation=dilations, dimension_numbers=("NC" + spatial, "OI" + spatial,
                                                   "NC" + spatial),
        feature_group_count=groups, precision=jax.lax.Precision.HIGHEST)  # fmt: skip
    return _finish(out, bias, n, unbatched)


def _register(n: int) -> None:
    def conv(input: Array, weight: Array, bias: Array | None = None, stride: Any = 1,
             padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Array:  # fmt: skip
        return _conv(n, input, weight, bias, stride, padding, dilation, groups)

    def conv_transpose(input: Array, weight: Array, bias: Array | None = None, stride: Any = 1,
                       padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                       dilation: Any = 1) -> Array:  # fmt: skip
        return _conv_transpose(n, input, weight, bias, stride, padding, output_padding, groups,
                               dilation)  # fmt: skip

    def name(input: Any, *args: Any, **kwargs: Any) -> str:
        # torch runs an unbatched input as unsqueeze, convolution, squeeze.
        return "SqueezeBackward1" if input.ndim == n + 1 else "ConvolutionBackward0"

    conv.__name__ = f"conv{n}d"
    conv_transpose.__name__ = f"conv_transpose{n}d"
    for fn, opinfo_name in ((conv, f"nn.functional.conv{n}d"),
                            (conv_transpose, f"nn.functional.conv_transpose{n}d")):  # fmt: skip
        op(fn.__name__, grad_fn=name, namespaces=("torch", *F), method=False,
           opinfo=OpInfoTest(name=opinfo_name, rtol=1e-3, atol=1e-3))(fn)  # fmt: skip


for _n in (1, 2, 3):
    _register(_n)


# --- pooling ----------------------------------------------------------------------------------

def _pool_geometry(input: Array, n: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool) -> tuple[Any, ...]:  # fmt: skip
    """Window, strides, dilation and (low, high) padding per spatial dim, torch's output size
    (ceil_mode adds right padding, but a window must start inside input + left padding)."""
    kernel = _tuple(kernel_size, n, "kernel_size")
    strides = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(stride, n, "stride")  # fmt: skip
    pads = _tuple(padding, n, "padding")
    dilations = _tuple(dilation, n, "dilation")
    for k, p in zip(kernel, pads):
        if p > k // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation=1")  # fmt: skip
    pairs = []
    for size, k, s, p, d in zip(input.shape[-n:], kernel, strides, pads, dilations):
        span = d * (k - 1) + 1
        out = (size + 2 * p - span + ((s - 1) if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        high = max((out - 1) * s + span - size - p, p)
        pairs.append((p, high))
    return kernel, strides, dilations, pairs


def _pool_input(input: Array, n: int, name: str) -> tuple[Array, bool]:
    return _batched(input, n, f"{name}: Expected {n + 1}D or {n + 2}D input tensor, but got "
                              f"{list(input.shape)}")  # fmt: skip


def _windows(x: Array, n: int, kernel: tuple[int, ...], strides: tuple[int, ...],
             dilations: tuple[int, ...], xp: Any = jnp) -> Array:  # fmt: skip
    """Every pooling window of an (already padded) input, gathered: (N, C, *out, prod(k)).
    A gather is exact and differentiable to any order (reduce_window's transpose is not)."""
    index: list[Any] = [slice(None), slice(None)]
    out_shape = []
    for i, (size, k, s, d) in enumerate(zip(x.shape[2:], kernel, strides, dilations)):
        out = (size - d * (k - 1) - 1) // s + 1
        out_shape.append(out)
        positions = (np.arange(out) * s)[:, None] + np.arange(k)[None, :] * d  # static
        shape = [1] * (2 * n)
        shape[2 * i], shape[2 * i + 1] = out, k
        index.append(positions.reshape(shape))
    gathered = x[tuple(index)]  # (N, C, out1, k1, out2, k2, ...)
    order = [0, 1] + [2 + 2 * i for i in range(n)] + [3 + 2 * i for i in range(n)]
    gathered = xp.transpose(gathered, order)
    return gathered.reshape(gathered.shape[:2 + n] + (math.prod(kernel),))


def _max_pool(n: int, input: Array, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, with_indices: bool) -> Any:  # fmt: skip
    x, unbatched = _pool_input(input, n, f"max_pool{n}d")
    kernel, strides, dilations, pairs = _pool_geometry(x, n, kernel_size, stride, padding,
                                                       dilation, ceil_mode)  # fmt: skip
    floating = jnp.issubdtype(x.dtype, jnp.floating)
    low = -jnp.inf if floating else jnp.iinfo(x.dtype).min
    padded = jnp.pad(x, ((0, 0), (0, 0), *pairs), constant_values=low)
    windows = _windows(padded, n, kernel, strides, dilations)
    # The first maximum of each window (NaN wins, as in torch): its gradient goes to that
    # one element, torch's rule at ties.
    keys = jnp.where(jnp.isnan(windows), jnp.inf, windows) if floating else windows
    first = jnp.argmax(keys, axis=-1, keepdims=True)
    values = jnp.take_along_axis(windows, first, axis=-1)[..., 0]
    if not with_indices:
        return values[0] if unbatched else values
    # Each padded position's flat index in the unpadded input (static, from the shapes).
    coords = np.unravel_index(np.arange(math.prod(padded.shape[2:])), padded.shape[2:])
    flat = np.zeros(math.prod(padded.shape[2:]), dtype=np.int64)
    for c, (low_pad, _), size in zip(coords, pairs, x.shape[2:]):
        flat = flat * size + (c - low_pad)
    flat = jnp.broadcast_to(jnp.asarray(flat.reshape(padded.shape[2:])), padded.shape)
    index_windows = _windows(flat, n, kernel, strides, dilations)
    indices = jnp.take_along_axis(index_windows, first, axis=-1)[..., 0]
    if unbatched:
        return values[0], indices[0]
    return values, indices


def _avg_pool(n: int, input: Array, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Array:  # fmt: skip
    x, unbatched = _pool_input(input, n, f"avg_pool{n}d")
    kernel, strides, dilations, pairs = _pool_geometry(x, n, kernel_size, stride, padding, 1,
                                                       ceil_mode)  # fmt: skip
    padded = jnp.pad(x, ((0, 0), (0, 0), *pairs))
    floating = jnp.issubdtype(x.dtype, jnp.inexact)
    total = _windows(padded if floating else padded.astype(jnp.float64), n, kernel, strides,
                     dilations).sum(-1)  # fmt: skip
    if divisor_override:
        count: Any = divisor_override
    else:
        # torch divides by the window's size clipped to input + padding (count_include_pad)
        # or to the input alone: a static count, from the shapes.
        inside = np.zeros(x.shape[2:] if not count_include_pad else tuple(
            size + 2 * low for size, (low, _) in zip(x.shape[2:], pairs)))  # fmt: skip
        inside[...] = 1
        extra = pairs if not count_include_pad else [(0, high - low) for low, high in pairs]
        ones = np.pad(inside, extra)[None, None]
        count = _windows(ones, n, kernel, strides, dilations, xp=np).sum(-1)[0, 0]
    out = total / jnp.asarray(count, total.dtype)
    if not floating:
        out = jnp.trunc(out).astype(x.dtype)
    return out[0] if unbatched else out


def _register_pools(n: int) -> None:
    def pool_name(kind: str) -> Any:
        def name(input: Any, *args: Any, **kwargs: Any) -> str:
            return "SqueezeBackward1" if n == 1 else (
                f"MaxPool{n}DWithIndicesBackward0" if kind == "max" else f"AvgPool{n}DBackward0")

        return name

    def max_pool(input: Array, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, ceil_mode: bool = False) -> Array:  # fmt: skip
        return _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, False)

    def max_pool_with_indices(input: Array, kernel_size: Any, stride: Any = None,
                              padding: Any = 0, dilation: Any = 1,
                              ceil_mode: bool = False) -> tuple[Array, Array]:  # fmt: skip
        return _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, True)

    def avg_pool(input: Array, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Any = None) -> Array:  # fmt: skip
        return _avg_pool(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)  # fmt: skip

    max_pool.__name__ = f"max_pool{n}d"
    max_pool_with_indices.__name__ = f"max_pool{n}d_with_indices"
    avg_pool.__name__ = f"avg_pool{n}d"
    op(f"max_pool{n}d", grad_fn=pool_name("max"), namespaces=(), method=False,
       opinfo=OpInfoTest(name=f"nn.functional.max_pool{n}d", rtol=1e-3, atol=1e-3))(max_pool)  # fmt: skip
    op(f"max_pool{n}d_with_indices", grad_fn=pool_name("max"), namespaces=(), method=False,
       multi_output=True, opinfo=None)(max_pool_with_indices)  # fmt: skip
    op(f"avg_pool{n}d", grad_fn=pool_name("avg"), namespaces=F, method=False,
       out=F if n > 1 else True,  # torch._C._nn.avg_pool2d/3d take out=
       opinfo=OpInfoTest(rtol=1e-3, atol=1e-3))(avg_pool)  # fmt: skip


for _n in (1, 2, 3):
    _register_pools(_n)


# --- padding ----------------------------------------------------------------------------------

def _pad_name(input: Any, pad: Any, mode: str = "constant", value: Any = None) -> str:
    n = len(pad) // 2
    return {"constant": "ConstantPadNdBackward0", "reflect": f"ReflectionPad{n}DBackward0",
            "replicate": f"ReplicationPad{n}DBackward0",
            "circular": "torch::autograd::CopySlices"}.get(mode, "ConstantPadNdBackward0")  # fmt: skip


@op("pad", grad_fn=_pad_name, namespaces=F, method=False,
    opinfo=OpInfoTest(name="nn.functional.pad"))  # fmt: skip
def pad(input: Array, pad: Any, mode: str = "constant", value: Any = None) -> Array:
    """`nn.functional.pad` by index maps, one per padded dimension (the last first, as torch
    lists them): out[j] = in[map(j - left)], with the constant outside the input for
    "constant" mode; negative padding crops."""
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")  # fmt: skip
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    out = input
    fill = 0 if value is None else value
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        left, right = int(pad[2 * k]), int(pad[2 * k + 1])
        size = input.shape[axis]
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {axis} of input "
                f"{list(input.shape)}")  # fmt: skip
        j = np.arange(size + left + right) - left
        if mode == "constant":
            index, inside = np.clip(j, 0, max(size - 1, 0)), (j >= 0) & (j < size)
        elif mode == "replicate":
            index, inside = np.clip(j, 0, size - 1), None
        elif mode == "reflect":
            period = 2 * (size - 1)
            folded = np.abs(j) % period if period else np.zeros_like(j)
            index, inside = np.where(folded > size - 1, period - folded, folded), None
        else:
            index, inside = j % size, None
        if size == 0:
            shape = list(out.shape)
            shape[axis] = len(j)
            out = jnp.full(shape, fill, out.dtype)
            continue
        taken = jnp.take(out, jnp.asarray(index), axis=axis)
        if inside is not None and not inside.all():
            shape = [1] * out.ndim
            shape[axis] = len(j)
            taken = jnp.where(jnp.asarray(inside).reshape(shape), taken,
                              jnp.asarray(fill).astype(out.dtype))  # fmt: skip
        out = taken
    return out


# --- adaptive pooling -------------------------------------------------------------------------

def _output_size(output_size: Any, shape: tuple[int, ...], n: int, name: str) -> tuple[int, ...]:
    """An adaptive pool's output size per spatial dim (None keeps the input's size)."""
    sizes = (output_size,) * n if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)  # fmt: skip
    if len(sizes) == 1 and n > 1:
        sizes = sizes * n
    if len(sizes) != n:
        if n == 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got "
                               f"{len(sizes)})")  # fmt: skip
        if name.startswith("adaptive_avg"):
            raise RuntimeError(f"{name}: output_size must be {n}")
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {n}")
    return tuple(shape[-n + i] if s is None else int(s) for i, s in enumerate(sizes))


def _adaptive_windows(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive windows [floor(i * size / out), ceil((i + 1) * size / out)), padded to
    the longest: indices (out, K), clipped into the input, and which of them are inside."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    k = int((end - start).max()) if out else 1
    index = start[:, None] + np.arange(k)[None, :]
    inside = index < end[:, None]
    return np.minimum(index, max(size - 1, 0)), inside


def _adaptive_input(input: Array, n: int, name: str) -> tuple[Array, bool]:
    if n == 1:
        error = (f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for "
                 f"argument #1 'self' (while checking arguments for {name})")  # fmt: skip
    else:
        got = "got: " if name.startswith("adaptive_max") else "got "
        error = f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but {got}{list(input.shape)}"
    x, unbatched = _batched(input, n, error)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        # torch: 1-d pooling runs the 2-d kernel; the 3-d average kernel names itself _cpu
        kernel = name.replace("1d", "2d") + ("_cpu" if name == "adaptive_avg_pool3d" else "")
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_dtype.legacy_name(_dtype.from_np(x.dtype))}'")  # fmt: skip
    for axis in range(1, x.ndim):
        if x.shape[axis] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {axis - unbatched} being "
                "empty")  # fmt: skip
    return x, unbatched


def _adaptive_avg(n: int, input: Array, output_size: Any) -> Array:
    name = f"adaptive_avg_pool{n}d"
    x, unbatched = _adaptive_input(input, n, name)
    out = _output_size(output_size, x.shape, n, name)
    count = np.ones((), np.int64)
    for d, o in enumerate(out):
        axis = 2 + d
        index, inside = _adaptive_windows(x.shape[axis], o)
        taken = jnp.take(x, jnp.asarray(index), axis=axis)  # (..., o, K, ...)
        mask = inside.reshape(inside.shape + (1,) * (x.ndim - axis - 1))
        x = jnp.where(jnp.asarray(mask), taken, jnp.zeros((), x.dtype)).sum(axis + 1)
        count = count[..., None] * inside.sum(1)
    x = x / jnp.asarray(count, x.dtype)  # torch: the window's sum over its size
    return x[0] if unbatched else x


def _adaptive_max(n: int, input: Array, output_size: Any) -> tuple[Array, Array]:
    name = f"adaptive_max_pool{n}d"
    x, unbatched = _adaptive_input(input, n, name)
    out = _output_size(output_size, x.shape, n, name)
    sizes = x.shape[2:]
    index: list[Any] = [slice(None), slice(None)]
    inside = np.ones((1,) * (2 * n), bool)
    flat = np.zeros((1,) * (2 * n), np.int64)
    for d, (size, o) in enumerate(zip(sizes, out)):
        idx, ok = _adaptive_windows(size, o)
        shape = [1] * (2 * n)
        shape[2 * d], shape[2 * d + 1] = idx.shape
        index.append(idx.reshape(shape))
        inside = inside & ok.reshape(shape)
        flat = flat * size + idx.reshape(shape)
    gathered = x[tuple(index)]  # (N, C, o1, K1, o2, K2, ...)
    order = [0, 1] + [2 + 2 * i for i in range(n)] + [3 + 2 * i for i in range(n)]
    windows = jnp.transpose(gathered, order)
    windows = windows.reshape(windows.shape[:2 + n] + (math.prod(gathered.shape[3::2]),))
    inner = [2 * i for i in range(n)] + [2 * i + 1 for i in range(n)]
    inside = np.transpose(np.broadcast_to(inside, gathered.shape[2:]), inner).reshape(
        tuple(out) + (-1,))  # fmt: skip
    flat = np.transpose(np.broadcast_to(flat, gathered.shape[2:]), inner).reshape(
        tuple(out) + (-1,))  # fmt: skip
    floating = jnp.issubdtype(x.dtype, jnp.floating)
    low = -jnp.inf if floating else jnp.iinfo(x.dtype).min
    keys = jnp.where(jnp.isnan(windows), jnp.inf, windows) if floating else windows
    keys = jnp.where(jnp.asarray(inside), keys, low)
    # The first maximum of each window, torch's scan order: the gradient goes to it alone.
    first = jnp.argmax(keys, axis=-1, keepdims=True)
    values = jnp.take_along_axis(windows, first, axis=-1)[..., 0]
    indices = jnp.take_along_axis(jnp.broadcast_to(jnp.asarray(flat), windows.shape), first,
                                  axis=-1)[..., 0]  # fmt: skip
    if unbatched:
        return values[0], indices[0]
    return values, indices


def _register_adaptive(n: int) -> None:
    def avg_name(input: Any, output_size: Any) -> str:
        if n == 1:  # torch: unsqueeze, adaptive_avg_pool2d, squeeze
            return "SqueezeBackward1"
        out = _output_size(output_size, tuple(input.shape), n, "")
        # torch: an output of ones is the mean over the spatial dims
        return "MeanBackward1" if all(o == 1 for o in out) else f"AdaptiveAvgPool{n}DBackward0"

    def avg_saves(input: Any, output_size: Any) -> bool:
        return avg_name(input, output_size) != "MeanBackward1"

    def max_name(input: Any, *args: Any, **kwargs: Any) -> str:
        return "SqueezeBackward1" if n == 1 else f"AdaptiveMaxPool{n}DBackward0"

    def adaptive_avg_pool(input: Array, output_size: Any) -> Array:
        return _adaptive_avg(n, input, output_size)

    def adaptive_max_pool(input: Array, output_size: Any, return_indices: bool = False) -> Any:
        values, indices = _adaptive_max(n, input, output_size)
        return (values, indices) if return_indices else (values,)

    def result(*tensors: Any) -> Any:
        return tensors[0] if len(tensors) == 1 else tuple(tensors)

    adaptive_avg_pool.__name__ = f"adaptive_avg_pool{n}d"
    adaptive_max_pool.__name__ = f"adaptive_max_pool{n}d"
    adaptive_max_pool.result_type = result  # type: ignore[attr-defined]
    op(f"adaptive_avg_pool{n}d", grad_fn=avg_name, saves=avg_saves, method=False,
       namespaces=("torch", *F) if n == 1 else F)(adaptive_avg_pool)  # fmt: skip
    op(f"adaptive_max_pool{n}d", grad_fn=max_name, namespaces=F, method=False,
       multi_output=True)(adaptive_max_pool)  # fmt: skip


for _n in (1, 2, 3):
    _register_adaptive(_n)


# --- shuffles and im2col ----------------------------------------------------------------------

@op("pixel_shuffle", grad_fn="PixelShuffleBackward0", saves=False, method=False,
    namespaces=("torch", *F))  # fmt: skip
def pixel_shuffle(input: Array, upscale_factor: int) -> Array:
    if input.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")  # fmt: skip
    if upscale_factor <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got "
                           f"{upscale_factor}")  # fmt: skip
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")  # fmt: skip
    b = len(batch)
    x = input.reshape((*batch, c // (r * r), r, r, h, w))
    x = jnp.transpose(x, (*range(b), b, b + 3, b + 1, b + 4, b + 2))
    return x.reshape((*batch, c // (r * r), h * r, w * r))


@op("pixel_unshuffle", grad_fn="PixelUnshuffleBackward0", saves=False, method=False,
    namespaces=("torch", *F))  # fmt: skip
def pixel_unshuffle(input: Array, downscale_factor: int) -> Array:
    if input.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")  # fmt: skip
    if downscale_factor <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got "
                           f"{downscale_factor}")  # fmt: skip
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r != 0:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")  # fmt: skip
    if w % r != 0:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")  # fmt: skip
    b = len(batch)
    x = input.reshape((*batch, c, h // r, r, w // r, r))
    x = jnp.transpose(x, (*range(b), b, b + 2, b + 4, b + 1, b + 3))
    return x.reshape((*batch, c * r * r, h // r, w // r))


@op("channel_shuffle", grad_fn="ChannelShuffleBackward0", saves=False, method=False,
    namespaces=("torch", *F))  # fmt: skip
def channel_shuffle(input: Array, groups: int) -> Array:
    if input.ndim <= 2:
        raise RuntimeError("channel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")  # fmt: skip
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")  # fmt: skip
    c = input.shape[1]
    if c % groups != 0:
        raise RuntimeError("Number of channels must be divisible by groups. Got "
                           f"{c} channels and {groups} groups.")  # fmt: skip
    x = input.reshape((input.shape[0], groups, c // groups) + input.shape[2:])
    return jnp.swapaxes(x, 1, 2).reshape(input.shape)


@op("unfold", grad_fn="Im2ColBackward0", namespaces=F, method=False)
def unfold(input: Array, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Array:  # fmt: skip
    """im2col: every (C, *kernel) window as a column, (N, C * prod(kernel), L)."""
    if input.ndim not in (3, 4):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")  # fmt: skip
    x, unbatched = (input[None], True) if input.ndim == 3 else (input, False)
    kernel = _tuple(kernel_size, 2, "kernel_size")
    dilations = _tuple(dilation, 2, "dilation")
    pads = _tuple(padding, 2, "padding")
    strides = _tuple(stride, 2, "stride")
    padded = jnp.pad(x, ((0, 0), (0, 0), *((p, p) for p in pads)))
    blocks = [(size - d * (k - 1) - 1) // s + 1
              for size, k, d, s in zip(padded.shape[2:], kernel, dilations, strides)]  # fmt: skip
    if any(b < 1 for b in blocks):
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size="
            f"({kernel[0]}, {kernel[1]}), dilation=({dilations[0]}, {dilations[1]}), "
            f"padding=({pads[0]}, {pads[1]}), calculated shape of the array of sliding blocks "
            f"as ({blocks[0]}, {blocks[1]}), but its components must be at least one.")  # fmt: skip
    windows = _windows(padded, 2, kernel, strides, dilations)  # (N, C, oh, ow, kh * kw)
    n, c, oh, ow, k = windows.shape
    out = jnp.transpose(windows, (0, 1, 4, 2, 3)).reshape((n, c * k, oh * ow))
    return out[0] if unbatched else out


@op("local_response_norm", grad_fn="DivBackward0", namespaces=F, method=False)
def local_response_norm(input: Array, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Array:  # fmt: skip
    """torch's composite: input / (k + alpha * avg over `size` channels of input^2)^beta, the
    channel window zero-padded by size // 2 before and (size - 1) // 2 after."""
    if input.ndim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")  # fmt: skip
    if input.size == 0:
        return input
    square = input * input
    padded = jnp.pad(square, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (input.ndim - 2))
    c = input.shape[1]
    total = sum(padded[:, i:i + c] for i in range(size))
    if jnp.issubdtype(input.dtype, jnp.inexact):
        div = total / jnp.asarray(size, input.dtype)
    else:  # torch: avg_pool of an integer tensor truncates
        div = jnp.trunc(total / size).astype(input.dtype)
    d = _dtype.to_float(_dtype.from_np(input.dtype)).np
    div = (div.astype(d) * jnp.asarray(alpha, d) + jnp.asarray(k, d)) ** jnp.asarray(beta, d)
    return input.astype(d) / div


# --- interpolation ----------------------------------------------------------------------------

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def _interp_plan(shape: tuple[int, ...], size: Any, scale_factor: Any, mode: str,
                 align_corners: Any, recompute_scale_factor: Any,
                 antialias: bool) -> tuple[str, tuple[int, ...], Any, bool]:  # fmt: skip
    """`nn.functional.interpolate`'s checks and choices (torch/nn/functional.py, in its order):
    the kernel, the output size, the scales the kernel sees (None: from the sizes), and
    align_corners."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")  # fmt: skip
    elif align_corners is None:
        align_corners = False
    dim = len(shape) - 2
    spatial = list(shape[2:])
    scales = None
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")  # fmt: skip
            out: Any = [int(s) for s in size]
        else:
            out = [int(size)] * dim
    elif scale_factor is not None:
        out = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and scale_factor in (s1, s2, ...,sK) format.")  # fmt: skip
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out = [int(s * f) for s, f in zip(spatial, scales)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic") and len(shape) == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")  # fmt: skip
    if mode not in _MODES or dim not in (1, 2, 3):
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{len(shape)}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
            f"lanczos | area | nearest-exact (got {mode})")  # fmt: skip
    if mode in ("linear", "bilinear", "trilinear") and mode != _LINEAR[dim]:
        need = {"linear": 3, "bilinear": 4, "trilinear": 5}[mode]
        raise NotImplementedError(f"Got {len(shape)}D input, but {mode} mode needs {need}D input")
    if mode == "bicubic" and dim != 2:
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{len(shape)}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
            f"lanczos | area | nearest-exact (got {mode})")  # fmt: skip
    if out is None:  # torch: compute_output_size, floor(size * scale) in double
        out = [int(s * f) for s, f in zip(spatial, scales)]
    kind = "linear" if mode in _LINEAR.values() else mode
    if antialias:
        kind = "linear-aa" if mode == "bilinear" else "cubic-aa"
    elif mode == "bicubic":
        kind = "cubic"
    return kind, tuple(out), scales, bool(align_corners)


def _interp_name(kind: str, n: int, out: tuple[int, ...]) -> str:
    if kind == "area":
        if n == 1:
            return "SqueezeBackward1"
        return "MeanBackward1" if all(o == 1 for o in out) else f"AdaptiveAvgPool{n}DBackward0"
    return {"nearest": f"UpsampleNearest{n}DBackward0",
            "nearest-exact": f"UpsampleNearestExact{n}DBackward0",
            "linear": {1: "UpsampleLinear1DBackward0", 2: "UpsampleBilinear2DBackward0",
                       3: "UpsampleTrilinear3DBackward0"}[n],
            "cubic": "UpsampleBicubic2DBackward0", "linear-aa": "UpsampleBilinear2DAaBackward0",
            "cubic-aa": "UpsampleBicubic2DAaBackward0"}[kind]  # fmt: skip


def _scale(t: Any, size: int, out: int, align_corners: bool, scale: float | None) -> Any:
    """torch's area_pixel_compute_scale in the kernel's precision `t` (UpSample.h)."""
    if align_corners:
        return t(size - 1) / t(out - 1) if out > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(size) / t(out)


def _cubic1(x: Any, a: float) -> Any:
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x: Any, a: float) -> Any:
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _interp_weights(kind: str, size: int, out: int, align_corners: bool, scale: float | None,
                    t: Any) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """One spatial dim's source indices (out, K) and weights (out, K) in precision `t`, as
    torch's CPU kernels compute them (UpSample.h, UpSampleKernel.cpp); None: a plain copy."""
    d = np.arange(out)
    if kind in ("nearest", "nearest-exact"):
        f = _scale(np.float32, size, out, False, scale)
        if kind == "nearest-exact":
            src = np.floor(((d + 0.5) * np.float64(f)).astype(np.float32))
        elif out == size:
            src = d
        elif out == 2 * size:
            src = d >> 1
        else:
            src = np.floor(d.astype(np.float32) * f)
        return np.minimum(src.astype(np.int64), size - 1)[:, None], None
    s = _scale(t, size, out, align_corners, scale)
    if kind == "linear":
        if out == size:
            return d[:, None], None
        real = s * d.astype(t) if align_corners else np.maximum(
            s * (d.astype(t) + t(0.5)) - t(0.5), t(0))  # fmt: skip
        i0 = np.minimum(np.floor(real).astype(np.int64), size - 1)
        l1 = np.clip(real - i0.astype(t), t(0), t(1)).astype(t)
        i1 = i0 + (i0 < size - 1)
        return np.stack([i0, i1], 1), np.stack([t(1) - l1, l1], 1)
    if kind == "cubic":
        real = s * d.astype(t) if align_corners else s * (d.astype(t) + t(0.5)) - t(0.5)
        i0 = np.minimum(np.floor(real).astype(np.int64), size - 1)
        x = np.clip(real - i0.astype(t), t(0), t(1)).astype(t)
        a = -0.75
        w = np.stack([_cubic2(x + t(1), a), _cubic1(x, a), _cubic1(t(1) - x, a),
                      _cubic2(t(2) - x, a)], 1).astype(t)  # fmt: skip
        index = np.clip(i0[:, None] - 1 + np.arange(4)[None, :], 0, size - 1)
        return index, w
    return _filter_weights(kind == "cubic-aa", size, out, s, True, 0.0, t)


def _filter_weights(cubic: bool, size: int, out: int, s: Any, antialias: bool, delta: float,
                    t: Any) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """torch's filter weights (HelperInterpBase::_compute_indices_min_size_weights_aa): a
    triangle or cubic filter (a = -0.5 antialiased, as PIL; -0.75 otherwise) of support
    interp_size / 2, widened by the scale when antialiasing a shrink; normalised to sum 1.
    `delta` is 0.5 for torch's uint8 kernels with align_corners."""
    interp = 4 if cubic else 2
    a = -0.5 if antialias else -0.75
    support = t(interp * 0.5) * s if s >= 1 and antialias else t(interp * 0.5)
    k = math.ceil(support) * 2 + 1
    invscale = t(1.0) / s if s >= 1 and antialias else t(1.0)
    index = np.zeros((out, k), np.int64)
    weights = np.zeros((out, k), t)
    for i in range(out):
        center = s * t(i + 0.5 - delta)
        lo = max(int(center - support + t(0.5 + delta)), 0)
        n = min(max(min(int(center + support + t(0.5 + delta)), size) - lo, 0), k)
        x = np.abs((np.arange(n) + lo - center + t(0.5 - delta)).astype(t) * invscale).astype(t)
        if cubic:
            w = np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0)).astype(t)
        else:
            w = np.where(x < 1, t(1) - x, t(0)).astype(t)
        total = w.sum(dtype=t)
        if total != 0:
            w = (w / total).astype(t)
        index[i, :n] = lo + np.arange(n)
        weights[i, :n] = w
    return index, weights


def _resample_uint8(x: Array, kind: str, out: tuple[int, ...], scales: Any,
                    align_corners: bool) -> Array:  # fmt: skip
    """torch's uint8 bilinear/bicubic (UpSampleKernel.cpp, PIL's algorithm): filter weights
    in int16 fixed point, the last dim first, each pass rounded back to uint8."""
    antialias = kind.endswith("-aa")
    cubic = kind.startswith("cubic")
    delta = 0.5 if align_corners and not antialias else 0.0
    y = x.astype(np.int64)
    for i in reversed(range(x.ndim - 2)):
        axis = 2 + i
        size = x.shape[axis]
        if size == out[i]:
            continue
        s = _scale(np.float64, size, out[i], align_corners, None if scales is None else scales[i])
        index, w = _filter_weights(cubic, size, out[i], s, antialias, delta, np.float64)
        w_max = w.max()
        precision = 0
        while precision < 22 and int(0.5 + w_max * (1 << (precision + 1))) < (1 << 15):
            precision += 1
        fixed = np.where(w < 0, np.trunc(-0.5 + w * (1 << precision)),
                         np.trunc(0.5 + w * (1 << precision))).astype(np.int64)  # fmt: skip
        taken = jnp.take(y, jnp.asarray(index), axis=axis)
        f = fixed.reshape(fixed.shape + (1,) * (x.ndim - 1 - axis))
        total = (taken * jnp.asarray(f)).sum(axis + 1) + (1 << (precision - 1))
        y = jnp.clip(total >> precision, 0, 255)
    return y.astype(x.dtype)


def _resample(x: Array, kind: str, out: tuple[int, ...], scales: Any,
              align_corners: bool) -> Array:  # fmt: skip
    """Separable resampling: each spatial dim in turn, out[o] = sum_k w[o, k] x[index[o, k]]
    (a gather: its transpose is torch's backward, a scatter-add of the weighted grads)."""
    n = x.ndim - 2
    floating = jnp.issubdtype(x.dtype, jnp.inexact)
    t = np.float64 if x.dtype == np.float64 else np.float32
    if not floating and not kind.startswith("nearest"):
        if kind == "linear" and n != 2:
            raise NotImplementedError(
                "\"compute_indices_weights_linear\" not implemented for "
                f"'{_dtype.legacy_name(_dtype.from_np(x.dtype))}'")  # fmt: skip
        return _resample_uint8(x, kind, out, scales, align_corners)
    y = x
    for i in range(n):
        axis = 2 + i
        size = x.shape[axis]
        if size <= 0 or out[i] <= 0:
            raise RuntimeError(
                "Input and output sizes should be greater than 0, but got input "
                f"({', '.join(f'{c}: {s}' for c, s in zip('DHW'[3 - n:], x.shape[2:]))}) "
                f"output ({', '.join(f'{c}: {s}' for c, s in zip('DHW'[3 - n:], out))})")  # fmt: skip
        scale = None if scales is None else scales[i]
        index, weights = _interp_weights(kind, size, out[i], align_corners, scale, t)
        if weights is None:
            y = jnp.take(y, jnp.asarray(index[:, 0]), axis=axis)
            continue
        taken = jnp.take(y, jnp.asarray(index), axis=axis)  # (..., out, K, ...)
        w = weights.reshape(weights.shape + (1,) * (n - 1 - i))
        y = (taken * jnp.asarray(w, y.dtype)).sum(axis + 1)
    return y


def _interp_args(size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: Any = None, recompute_scale_factor: Any = None,
                 antialias: bool = False) -> tuple[Any, ...]:  # fmt: skip
    return size, scale_factor, mode, align_corners, recompute_scale_factor, antialias


def _interpolate_name(input: Any, *args: Any, **kwargs: Any) -> str:
    kind, out, _, _ = _interp_plan(tuple(input.shape), *_interp_args(*args, **kwargs))
    return _interp_name(kind, input.ndim - 2, out)


@op("interpolate", grad_fn=_interpolate_name, namespaces=F, method=False,
    opinfo=OpInfoTest(xfail={"nn.functional.interpolate.bicubic/forward:uint8": (
        "torch's uint8 bicubic kernel (not antialiased) rounds by a rule not reproduced here: "
        "off by up to 14 at half the points; the float and antialiased uint8 kernels match")}))
def interpolate(input: Array, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: Any = None, recompute_scale_factor: Any = None,
                antialias: bool = False) -> Array:  # fmt: skip
    """Same as `nn.functional.interpolate`: torch's index and weight rules per mode, as
    gathers; "area" is adaptive average pooling."""
    kind, out, scales, corners = _interp_plan(tuple(input.shape), size, scale_factor, mode,
                                              align_corners, recompute_scale_factor, antialias)  # fmt: skip
    if kind == "area":
        return _adaptive_avg(input.ndim - 2, input, out)
    return _resample(input, kind, out, scales, corners)


def _upsample_name(mode: str) -> Any:
    def name(input: Any, size: Any = None, scale_factor: Any = None) -> str:
        corners = True if mode == "bilinear" else None
        kind, out, _, _ = _interp_plan(tuple(input.shape), size, scale_factor, mode, corners,
                                       None, False)  # fmt: skip
        return _interp_name(kind, input.ndim - 2, out)

    return name


@op("upsample_nearest", grad_fn=_upsample_name("nearest"), namespaces=F, method=False)
def upsample_nearest(input: Array, size: Any = None, scale_factor: Any = None) -> Array:
    return interpolate.impl(input, size, scale_factor, mode="nearest")


@op("upsample_bilinear", grad_fn=_upsample_name("bilinear"), namespaces=F, method=False)
def upsample_bilinear(input: Array, size: Any = None, scale_factor: Any = None) -> Array:
    return interpolate.impl(input, size, scale_factor, mode="bilinear", align_corners=True)


def _aa_name(input: Any, *args: Any, **kwargs: Any) -> str:
    return "UpsampleBilinear2DAaBackward0"


@op("_upsample_bilinear2d_aa", grad_fn=_aa_name, method=False)
def _upsample_bilinear2d_aa(input: Array, output_size: Any, align_corners: bool,
                            scale_factors: Any = None, scales_h: Any = None,
                            scales_w: Any = None) -> Array:  # fmt: skip
    if output_size is None:
        output_size = [int(s * f) for s, f in zip(input.shape[2:], scale_factors)]
        scales = list(scale_factors)
    elif scale_factors is not None:
        raise RuntimeError("Must specify exactly one of output_size and scale_factors")
    else:
        scales = None if scales_h is None and scales_w is None else [scales_h, scales_w]
    if input.ndim != 4:
        raise RuntimeError("It is expected input_size equals to 4, but got size "
                           f"{input.ndim}")  # fmt: skip
    return _resample(input, "linear-aa", tuple(output_size), scales, align_corners)


# --- max_unpool -------------------------------------------------------------------------------

@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _unpool_scatter(x: Array, indices: Array, size: int) -> Array:
    """(N, C, L) values written at their flat indices into (N, C, size) zeros."""
    n, c = x.shape[:2]
    rows = jnp.arange(n)[:, None, None]
    cols = jnp.arange(c)[None, :, None]
    return jnp.zeros((n, c, size), x.dtype).at[rows, cols, indices].set(x)


@_unpool_scatter.defjvp
def _unpool_scatter_jvp(size: int, primals: Any, tangents: Any) -> tuple[Array, Array]:
    # torch: max_unpool's backward gathers grad_output at the indices (derivatives.yaml
    # "max_unpool2d"), so every position naming an output gets its gradient, even where
    # several name the same one (a set keeps one); the tangent map is that gather's transpose.
    x, indices = primals
    dx = tangents[0]
    n, c = x.shape[:2]
    rows = jnp.arange(n)[:, None, None]
    cols = jnp.arange(c)[None, :, None]
    out = _unpool_scatter(x, indices, size)
    return out, jnp.zeros((n, c, size), dx.dtype).at[rows, cols, indices].add(dx)


def _max_unpool(n: int, input: Array, indices: Array, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Array:  # fmt: skip
    kernel = _tuple(kernel_size, n, "kernel_size")
    strides = kernel if stride is None else _tuple(stride, n, "stride")
    pads = _tuple(padding, n, "padding")
    default = [(input.shape[input.ndim - n + d] - 1) * strides[d] + kernel[d] - 2 * pads[d]
               for d in range(n)]  # fmt: skip
    if output_size is None:
        out = default
    else:
        given = output_size[2:] if len(output_size) == n + 2 else output_size
        out = list(given)
        if len(out) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(out)}'")  # fmt: skip
        for d in range(n):
            low, high = default[d] - strides[d], default[d] + strides[d]
            if not low < out[d] < high:
                raise ValueError(f'invalid output_size "{given}" (dim {d} must be between '
                                 f"{low} and {high})")  # fmt: skip
    if indices.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{_dtype.legacy_name(_dtype.from_np(indices.dtype))}")  # fmt: skip
    if input.shape != indices.shape:
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")  # fmt: skip
    unbatched = input.ndim == n + 1
    x, idx = (input[None], indices[None]) if unbatched else (input, indices)
    batch = x.shape[:2]
    length = math.prod(x.shape[2:])
    flat = _unpool_scatter(x.reshape(batch + (length,)), idx.reshape(batch + (length,)),
                           math.prod(out))  # fmt: skip
    result = flat.reshape(batch + tuple(out))
    return result[0] if unbatched else result


def _register_unpool(n: int) -> None:
    def max_unpool(input: Array, indices: Array, kernel_size: Any, stride: Any = None,
                   padding: Any = 0, output_size: Any = None) -> Array:  # fmt: skip
        return _max_unpool(n, input, indices, kernel_size, stride, padding, output_size)

    def name(input: Any, *args: Any, **kwargs: Any) -> str:
        return "SqueezeBackward1" if n == 1 else f"MaxUnpool{n}DBackward0"

    max_unpool.__name__ = f"max_unpool{n}d"
    op(f"max_unpool{n}d", grad_fn=name, namespaces=F, method=False)(max_unpool)


for _n in (1, 2, 3):
    _register_unpool(_n)


# --- grid sampling ----------------------------------------------------------------------------

def _clip_coordinates(x: Array, size: int) -> Array:
    # torch: clip_coordinates_set_grad, whose gradient is 0 at and beyond both bounds (a
    # min/max pair would give 1/2 at the bounds).
    return jnp.where(x <= 0, jnp.zeros((), x.dtype),
                     jnp.where(x >= size - 1, jnp.asarray(size - 1, x.dtype), x))  # fmt: skip


def _reflect_coordinates(x: Array, twice_low: int, twice_high: int) -> Array:
    if twice_low == twice_high:
        return jnp.zeros_like(x)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    shifted = x - low
    # torch: reflect_coordinates_set_grad takes the gradient +1 at the centre itself.
    shifted = jnp.where(shifted < 0, -shifted, shifted)
    extra = jnp.fmod(shifted, span)
    flips = jnp.floor(shifted / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + low, span - extra + low)


def _source_coordinates(x: Array, size: int, padding_mode: int, align_corners: bool) -> Array:
    """torch's compute_coordinates (GridSampler.h): border clips, reflection folds then clips."""
    if padding_mode == 1:
        x = _clip_coordinates(x, size)
    elif padding_mode == 2:
        if align_corners:
            x = _reflect_coordinates(x, 0, 2 * (size - 1))
        else:
            x = _reflect_coordinates(x, -1, 2 * size - 1)
        x = _clip_coordinates(x, size)
    return x


def _unnormalize(coord: Array, size: int, align_corners: bool) -> Array:
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _gather_points(x: Array, points: list[Array]) -> Array:
    """x (N, C, *S) at integer points (one (N, *G) array per spatial dim, any values): (N, C,
    *G), zero where a point lies outside."""
    sizes = x.shape[2:]
    inside = None
    flat = None
    for p, size in zip(points, sizes):
        ok = (p >= 0) & (p < size)
        inside = ok if inside is None else inside & ok
        q = jnp.clip(p, 0, size - 1)
        flat = q if flat is None else flat * size + q
    assert flat is not None and inside is not None
    n, c = x.shape[:2]
    grid_shape = flat.shape[1:]
    values = jnp.take_along_axis(x.reshape((n, c, math.prod(sizes))),
                                 flat.reshape((n, 1, -1)).astype(np.int64), axis=2)  # fmt: skip
    values = values.reshape((n, c) + grid_shape)
    return jnp.where(inside[:, None], values, jnp.zeros((), x.dtype))


def _grid_sample(input: Array, grid: Array, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Array:  # fmt: skip
    n = input.ndim - 2
    d = _dtype.result_type(input, grid)
    x, g = _dtype.cast(input, d), _dtype.cast(grid, d)
    sizes = x.shape[2:]
    # grid's last dim is (x, y[, z]): the last spatial dim first.
    coords = [_unnormalize(g[..., n - 1 - i], sizes[i], align_corners) for i in range(n)]
    if interpolation_mode == 2:  # bicubic: padding applies to each of the 4x4 taps
        base = [jnp.floor(c) for c in coords]
        frac = [c - b for c, b in zip(coords, base)]
        out = None
        weights = []
        for t in frac:
            a = -0.75
            weights.append([_cubic2(t + 1, a), _cubic1(t, a), _cubic1(1 - t, a),
                            _cubic2(2 - t, a)])  # fmt: skip
        for taps in np.ndindex(*(4,) * n):
            points = []
            w = None
            for i, k in enumerate(taps):
                p = _source_coordinates(base[i] - 1 + k, sizes[i], padding_mode, align_corners)
                points.append(p.astype(np.int64))
                w = weights[i][k] if w is None else w * weights[i][k]
            term = _gather_points(x, points) * w[:, None]
            out = term if out is None else out + term
        return out
    coords = [_source_coordinates(c, s, padding_mode, align_corners)
              for c, s in zip(coords, sizes)]  # fmt: skip
    if interpolation_mode == 1:  # nearest: round half to even, as nearbyint
        return _gather_points(x, [jnp.round(c).astype(np.int64) for c in coords])
    low = [jnp.floor(c) for c in coords]
    out = None
    for corner in np.ndindex(*(2,) * n):
        points = []
        w = None
        for i, bit in enumerate(corner):
            # torch: the weight of a corner is the distance to the opposite corner
            wi = coords[i] - low[i] if bit else low[i] + 1 - coords[i]
            points.append((low[i] + bit).astype(np.int64))
            w = wi if w is None else w * wi
        term = _gather_points(x, points) * w[:, None]
        out = term if out is None else out + term
    return out


def _check_grid(input: Array, grid: Array, n: int, interpolation_mode: int) -> None:
    if input.ndim != n + 2 or grid.ndim != n + 2:
        raise RuntimeError(f"grid_sampler(): expected {n + 2}D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")  # fmt: skip
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")  # fmt: skip
    if grid.shape[-1] != n:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {n} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")  # fmt: skip
    if n == 3 and interpolation_mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


@op("grid_sampler_2d", out=False, grad_fn="GridSampler2DBackward0", method=False)
def grid_sampler_2d(input: Array, grid: Array, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Array:  # fmt: skip
    _check_grid(input, grid, 2, interpolation_mode)
    return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners)


@op("grid_sampler_3d", out=False, grad_fn="GridSampler3DBackward0", method=False)
def grid_sampler_3d(input: Array, grid: Array, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Array:  # fmt: skip
    _check_grid(input, grid, 3, interpolation_mode)
    return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners)


def _grid_sample_name(input: Any, *args: Any, **kwargs: Any) -> str:
    return "GridSampler3DBackward0" if input.ndim == 5 else "GridSampler2DBackward0"


@op("grid_sample", grad_fn=_grid_sample_name, namespaces=F, method=False)
def grid_sample(input: Array, grid: Array, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: Any = None) -> Array:  # fmt: skip
    """Same as `nn.functional.grid_sample`: torch's grid_sampler_2d/3d (GridSampler.h)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")  # fmt: skip
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")  # fmt: skip
    interpolation = {"bilinear": 0, "nearest": 1, "bicubic": 2}[mode]
    padding = {"zeros": 0, "border": 1, "reflection": 2}[padding_mode]
    n = input.ndim - 2
    _check_grid(input, grid, n if n in (2, 3) else 2, interpolation)
    return _grid_sample(input, grid, interpolation, padding, bool(align_corners))
