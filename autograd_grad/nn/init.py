"""Same as `torch.nn.init`: in-place initialisations (under no_grad), on our RNG.

The formulas (fans, gains, bounds) are torch's; the random streams are JAX's, so seeded
results are reproducible here but not equal to torch's.
"""

from __future__ import annotations

import math
from typing import Any

from .._core import Value, no_grad
from .._tensor import Tensor

__all__ = ["calculate_gain", "constant_", "eye_", "kaiming_normal_", "kaiming_uniform_",
           "normal_", "ones_", "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_",
           "zeros_"]  # fmt: skip


def _fill(tensor: Tensor, new: Tensor) -> Tensor:
    """`tensor` holding `new`'s values, in place (a leaf stays the same leaf)."""
    with no_grad():
        array = new.to(tensor.dtype)._value.data
        tensor._set_value(Value(array, requires_grad=tensor.requires_grad))
        tensor._version += 1
    return tensor


def _rand(tensor: Tensor, generator: Any = None) -> Tensor:
    from .._creation import rand

    return rand(*tensor.shape, generator=generator, dtype=tensor.dtype)


def _randn(tensor: Tensor, generator: Any = None) -> Tensor:
    from .._creation import randn

    return randn(*tensor.shape, generator=generator, dtype=tensor.dtype)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Same as `torch.nn.init.calculate_gain`."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")  # fmt: skip
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Same as `torch.nn.init.uniform_`."""
    return _fill(tensor, _rand(tensor, generator) * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Same as `torch.nn.init.normal_`."""
    return _fill(tensor, _randn(tensor, generator) * std + mean)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:  # fmt: skip
    """Same as `torch.nn.init.trunc_normal_` (N(mean, std) conditioned on [a, b])."""
    import jax

    from .._creation import default_generator

    key = (generator or default_generator).next_key()
    lo, hi = (a - mean) / std, (b - mean) / std
    values = jax.random.truncated_normal(key, lo, hi, tuple(tensor.shape), tensor.dtype.np)
    return _fill(tensor, Tensor._from_array(values) * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Same as `torch.nn.init.constant_`."""
    from .._creation import full_like

    return _fill(tensor, full_like(tensor, val))


def ones_(tensor: Tensor) -> Tensor:
    """Same as `torch.nn.init.ones_`."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Same as `torch.nn.init.zeros_`."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Same as `torch.nn.init.eye_`."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from .._creation import eye

    return _fill(tensor, eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Same as `torch.nn.init.xavier_uniform_`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Same as `torch.nn.init.xavier_normal_`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:  # fmt: skip
    """Same as `torch.nn.init.kaiming_uniform_`."""
    fan = _fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:  # fmt: skip
    """Same as `torch.nn.init.kaiming_normal_`."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)
