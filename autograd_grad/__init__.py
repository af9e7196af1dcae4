"""autograd_grad: torch-style autograd (`torch.autograd.grad` and friends) on JAX.

    import autograd_grad as torch

runs torch-style autograd code through XLA with the values, shapes, dtypes and errors
of PyTorch 2.13.
"""

from __future__ import annotations

from . import _dtype
from ._bind import NAMESPACES, bind
from ._core import (
    enable_grad as enable_grad,
    inference_mode as inference_mode,
    is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled,
    is_anomaly_enabled as is_anomaly_enabled,
    is_grad_enabled as is_grad_enabled,
    is_inference_mode_enabled as is_inference_mode_enabled,
    no_grad as no_grad,
    set_grad_enabled as set_grad_enabled,
)
from ._creation import (
    Generator as Generator,
    arange as arange,
    as_tensor as as_tensor,
    default_generator as default_generator,
    empty as empty,
    empty_like as empty_like,
    eye as eye,
    from_numpy as from_numpy,
    full as full,
    full_like as full_like,
    initial_seed as initial_seed,
    linspace as linspace,
    manual_seed as manual_seed,
    ones as ones,
    ones_like as ones_like,
    rand as rand,
    rand_like as rand_like,
    randint as randint,
    randn as randn,
    randn_like as randn_like,
    randperm as randperm,
    seed as seed,
    tensor as tensor,
    zeros as zeros,
    zeros_like as zeros_like,
)
from ._dtype import (
    bfloat16 as bfloat16,
    complex64 as complex64,
    complex128 as complex128,
    dtype as dtype,
    float16 as float16,
    float32 as float32,
    float64 as float64,
    get_default_dtype as get_default_dtype,
    int8 as int8,
    int16 as int16,
    int32 as int32,
    int64 as int64,
    promote_types as promote_types,
    set_default_dtype as set_default_dtype,
    uint8 as uint8,
)
from ._printing import set_printoptions as set_printoptions
from ._device import cuda as cuda, device as device
from ._tensor import Size as Size, Tensor as Tensor, is_tensor as is_tensor

bind()
globals().update(NAMESPACES["torch"])
globals().update(_dtype.ALIASES)
globals()["bool"] = _dtype.bool_

from . import autograd as autograd, func as func, nn as nn, optim as optim, viz as viz  # noqa: E402
from . import utils as utils  # noqa: E402
from . import fft as fft, linalg as linalg, special as special  # noqa: E402
from . import signal as signal  # noqa: E402
from ._serialization import load as load, save as save  # noqa: E402
from ._bridge import (  # noqa: E402
    from_dlpack as from_dlpack,
    from_jax as from_jax,
    from_torch as from_torch,
    jax_function as jax_function,
    to_torch as to_torch,
)
from ._engine import grad as grad  # noqa: E402
from .autograd import (  # noqa: E402 - R torch's names
    autograd_backward as autograd_backward,
    autograd_function as autograd_function,
    autograd_grad as autograd_grad,
    autograd_set_grad_mode as autograd_set_grad_mode,
    with_enable_grad as with_enable_grad,
    with_no_grad as with_no_grad,
)

__version__ = "0.1.0"


def is_floating_point(input: Tensor) -> bool:
    """Same as `torch.is_floating_point`."""
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> bool:
    """Same as `torch.is_complex`."""
    return input.dtype.is_complex


def numel(input: Tensor) -> int:
    """Same as `torch.numel`."""
    return input.numel()


def result_type(tensor1: object, tensor2: object) -> dtype:
    """Same as `torch.result_type`."""
    operands = [t._data if isinstance(t, Tensor) else t for t in (tensor1, tensor2)]
    return _dtype.result_type(*operands)
