"""Convolutions: `nn.functional.conv{1,2,3}d` and `conv_transpose{1,2,3}d` on
`jax.lax.conv_general_dilated`. Their gradients (any order) come from JAX's own transpose
rules: no hand-written backward formulas."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

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


def _batched(input: Array, n: int, name: str) -> tuple[Array, bool]:
    """torch accepts an unbatched input (C, *spatial) and returns an unbatched result."""
    if input.ndim == n + 1:
        return input[None], True
    if input.ndim != n + 2:
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")  # fmt: skip
    return input, False


def _conv(n: int, input: Array, weight: Array, bias: Array | None, stride: Any, padding: Any,
          dilation: Any, groups: int) -> Array:  # fmt: skip
    name = f"conv{n}d"
    x, unbatched = _batched(input, n, name)
    d = _dtype.result_type(x, weight) if bias is None else _dtype.result_type(x, weight, bias)
    x, w = _dtype.cast(x, d), _dtype.cast(weight, d)
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
    if bias is not None:
        out = out + _dtype.cast(bias, d).reshape((1, -1) + (1,) * n)
    return out[0] if unbatched else out


def _conv_transpose(n: int, input: Array, weight: Array, bias: Array | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int,
                    dilation: Any) -> Array:  # fmt: skip
    """The gradient of conv w.r.t. its input, as torch defines conv_transpose: weight is
    (in_channels, out_channels / groups, *kernel)."""
    name = f"conv_transpose{n}d"
    x, unbatched = _batched(input, n, name)
    d = _dtype.result_type(x, weight) if bias is None else _dtype.result_type(x, weight, bias)
    x, w = _dtype.cast(x, d), _dtype.cast(weight, d)
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
    if bias is not None:
        out = out + _dtype.cast(bias, d).reshape((1, -1) + (1,) * n)
    return out[0] if unbatched else out


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
