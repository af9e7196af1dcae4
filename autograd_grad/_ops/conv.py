"""Convolutions: `nn.functional.conv{1,2,3}d` and `conv_transpose{1,2,3}d` on
`jax.lax.conv_general_dilated`. Their gradients (any order) come from JAX's own transpose
rules: no hand-written backward formulas."""

from __future__ import annotations

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
        raise RuntimeError(f"{name}: internal error: output_size.size() must be {n}")
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
    x, unbatched = _batched(input, n, f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got "
                                      f"{list(input.shape)}")  # fmt: skip
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
    for size, k, d in zip(padded.shape[2:], kernel, dilations):
        if size < d * (k - 1) + 1:
            raise RuntimeError(
                f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size "
                f"({kernel[0]}, {kernel[1]}), dilation ({dilations[0]}, {dilations[1]}), "
                f"padding ({pads[0]}, {pads[1]}), calculated shape of the array of sliding "
                "blocks as (0, 0), but its components must be at least one.")  # fmt: skip
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
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")  # fmt: skip
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
