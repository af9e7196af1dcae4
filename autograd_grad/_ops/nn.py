"""torch.nn.functional ops."""

from __future__ import annotations

import builtins
import inspect
import math
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from .. import _dtype, _errors
from ._table import BINARY, FLOAT, OpInfoTest, op

Array = jax.Array
F = ("nn.functional",)


@op("gelu", out=("nn.functional",), grad_fn="GeluBackward0", namespaces=F, method=False)
def gelu(input: Array, approximate: str = "none") -> Array:
    return jax.nn.gelu(input, approximate=approximate == "tanh")


@op("silu", grad_fn="SiluBackward0", namespaces=F, method=False)
def silu(input: Array, inplace: bool = False) -> Array:
    return jax.nn.silu(input)


@op("softplus", out=("nn.functional",), grad_fn="SoftplusBackward0", namespaces=F, method=False)
def softplus(input: Array, beta: float = 1.0, threshold: float = 20.0) -> Array:
    scaled = input * beta
    # torch: linear above the threshold (softplus_backward uses the same switch).
    safe = jnp.where(scaled > threshold, jnp.zeros_like(scaled), scaled)
    return jnp.where(scaled > threshold, input, jnp.log1p(jnp.exp(safe)) / beta)


@op("leaky_relu", grad_fn="LeakyReluBackward0", namespaces=F, method=False)
def leaky_relu(input: Array, negative_slope: float = 0.01, inplace: bool = False) -> Array:
    return jnp.where(input > 0, input, input * negative_slope)


@op("elu", grad_fn="EluBackward0", namespaces=F, method=False)
def elu(input: Array, alpha: float = 1.0, inplace: bool = False) -> Array:
    safe = jnp.where(input > 0, jnp.zeros_like(input), input)
    return jnp.where(input > 0, input, alpha * jnp.expm1(safe))


def _softmax_dtype(input: Array, dtype: Any) -> Array:
    return input if dtype is None else input.astype(dtype.np)


@op("softmax", grad_fn="SoftmaxBackward0", namespaces=("torch", "nn.functional", "special"))
def softmax(input: Array, dim: Any = None, dtype: Any = None, _stacklevel: int = 3) -> Array:
    x = _softmax_dtype(input, dtype)
    axis = 0 if (dim is None and x.ndim in (0, 1, 3)) else (1 if dim is None else dim)
    return jax.nn.softmax(x, axis=axis if x.ndim else None)


@op("log_softmax", grad_fn="LogSoftmaxBackward0", namespaces=("torch", "nn.functional", "special"))
def log_softmax(input: Array, dim: Any = None, dtype: Any = None, _stacklevel: int = 3) -> Array:
    x = _softmax_dtype(input, dtype)
    axis = 0 if (dim is None and x.ndim in (0, 1, 3)) else (1 if dim is None else dim)
    return jax.nn.log_softmax(x, axis=axis if x.ndim else None)


def _linear_name(input: Any, weight: Any, bias: Any = None) -> str:
    # torch: aten/native/Linear.cpp. With a bias: addmm for 2-d input, a flattened addmm
    # viewed back for a 1-d bias, else matmul then add_. Without: matmul(input, weight.t()).
    if bias is not None:
        if input.ndim == 2:
            return "AddmmBackward0"
        return "ViewBackward0" if bias.ndim == 1 else "AddBackward0"
    if weight.ndim == 1:
        return {1: "DotBackward0", 2: "MvBackward0"}.get(input.ndim, "UnsafeViewBackward0")
    return {1: "SqueezeBackward4", 2: "MmBackward0"}.get(input.ndim, "UnsafeViewBackward0")


@op("linear", out=("nn.functional",), grad_fn=_linear_name, namespaces=F, method=False)
def linear(input: Array, weight: Array, bias: Array | None = None) -> Array:
    if input.shape[-1] != weight.shape[-1]:
        a = input.reshape(-1, input.shape[-1])
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{weight.shape[-1]}x{weight.shape[0] if weight.ndim == 2 else 1})")
    out = input @ weight.T
    return out if bias is None else out + bias


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """torch.nn._reduction.legacy_get_string: the deprecated size_average/reduce pair wins.
    (torch also warns; an implementation is replayed by every backward, so it cannot.)"""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else ("sum" if reduce else "none")


def _reduce(loss: Array, reduction: str) -> Array:
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


@op("mse_loss", grad_fn="MseLossBackward0", namespaces=F, method=False)
def mse_loss(input: Array, target: Array, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _dtype.promote(input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def _nll(logp: Array, target: Array, weight: Array | None, ignore_index: int, reduction: str) -> Array:
    """Negative log likelihood over class dim 1 (or 0 for unbatched input)."""
    class_axis = 1 if logp.ndim >= 2 else 0
    n_classes = logp.shape[class_axis]
    valid = target != ignore_index
    safe_target = jnp.where(valid, target, 0)
    picked = jnp.take_along_axis(logp, jnp.expand_dims(safe_target, class_axis), axis=class_axis)
    picked = jnp.squeeze(picked, class_axis)
    w = jnp.ones((n_classes,), logp.dtype) if weight is None else weight
    wt = jnp.where(valid, w[safe_target], jnp.zeros((), logp.dtype))
    loss = -picked * wt
    if reduction == "mean":
        return jnp.sum(loss) / jnp.sum(wt)
    return _reduce(loss, reduction)


def _check_target(input: Array, target: Array) -> None:
    if jnp.issubdtype(target.dtype, jnp.floating):
        return
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if input.ndim >= 2 and target.shape[0] != input.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]}).")
    del n_classes  # out-of-range targets are data-dependent: not checked (torch raises on CPU)


def _nll_node(ndim: int, reduction: str) -> str:
    # torch: nll_loss_nd uses nll_loss up to 2-d input, nll_loss2d beyond; 3-d and >4-d input
    # is reshaped to 4-d, and viewed back when reduction="none".
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and ndim != 4 else "NllLoss2DBackward0"


def _nll_loss_name(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                   ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> str:  # fmt: skip
    return _nll_node(input.ndim, _legacy_reduction(size_average, reduce, reduction))


@op("nll_loss", grad_fn=_nll_loss_name, namespaces=F, method=False)
def nll_loss(input: Array, target: Array, weight: Array | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_target(input, target)
    return _nll(input, target, weight, ignore_index, reduction)


def _cross_entropy_name(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                        ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                        label_smoothing: float = 0.0) -> str:  # fmt: skip
    # torch: cross_entropy_loss_prob_target ends in a division by the batch size ("mean") or a
    # negation; with class indices, nll_loss, plus the smoothing term when there is one.
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.dtype.is_floating_point:
        return "DivBackward1" if reduction == "mean" else "NegBackward0"
    return "AddBackward0" if label_smoothing > 0 else _nll_node(input.ndim, reduction)


@op("cross_entropy", grad_fn=_cross_entropy_name, namespaces=F, method=False)
def cross_entropy(input: Array, target: Array, weight: Array | None = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    class_axis = 1 if input.ndim >= 2 else 0
    logp = jax.nn.log_softmax(input, axis=class_axis)
    if jnp.issubdtype(target.dtype, jnp.floating):  # class probabilities
        n = input.shape[class_axis]
        probs = target * (1 - label_smoothing) + label_smoothing / n
        w = 1.0 if weight is None else weight.reshape((n,) + (1,) * (input.ndim - class_axis - 1))
        loss = -jnp.sum(logp * probs * w, axis=class_axis)
        if reduction == "mean":
            return jnp.sum(loss) / (loss.size / 1 if loss.ndim else 1)
        return _reduce(loss, reduction)
    _check_target(input, target)
    loss = _nll(logp, target, weight, ignore_index, reduction)
    if label_smoothing > 0:
        n = input.shape[class_axis]
        w = jnp.ones((n,), logp.dtype) if weight is None else weight
        wshape = (n,) + (1,) * (input.ndim - class_axis - 1)
        valid = target != ignore_index
        smooth = -jnp.sum(logp * w.reshape(wshape), axis=class_axis) * valid
        if reduction == "mean":
            wt = jnp.where(valid, w[jnp.where(valid, target, 0)], 0)
            smooth = jnp.sum(smooth) / jnp.sum(wt)
        else:
            smooth = _reduce(smooth, reduction)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / n)
    return loss


@op("binary_cross_entropy_with_logits", grad_fn="BinaryCrossEntropyWithLogitsBackward0",
    namespaces=F, method=False)  # fmt: skip
def binary_cross_entropy_with_logits(input: Array, target: Array, weight: Array | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Array | None = None) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size (torch.Size({list(target.shape)})) must be the same as input size "
            f"(torch.Size({list(input.shape)}))")
    log_sig = jax.nn.log_sigmoid(input)
    log_one_minus = jax.nn.log_sigmoid(-input)
    if pos_weight is not None:
        loss = -(pos_weight * target * log_sig + (1 - target) * log_one_minus)
    else:
        loss = -(target * log_sig + (1 - target) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@op("binary_cross_entropy", grad_fn="BinaryCrossEntropyBackward0", namespaces=F, method=False,
    opinfo=OpInfoTest(gradgrad=True))  # fmt: skip
def binary_cross_entropy(input: Array, target: Array, weight: Array | None = None,
                         size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    # torch clamps the log at -100.
    loss = -(target * jnp.maximum(jnp.log(input), -100.0)
             + (1 - target) * jnp.maximum(jnp.log1p(-input), -100.0))  # fmt: skip
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# --- more activations -----------------------------------------------------------------------
# torch's piecewise activations pass the gradient only strictly inside their linear pieces
# (hardtanh_backward: min < x < max); a constant branch in `where` gives exactly that.

def _hardtanh(x: Array, lo: float, hi: float) -> Array:
    lo_, hi_ = jnp.asarray(lo, x.dtype), jnp.asarray(hi, x.dtype)
    return jnp.where(x <= lo_, lo_, jnp.where(x >= hi_, hi_, x))


@op("hardtanh", grad_fn="HardtanhBackward0", namespaces=F, method=False)
def hardtanh(input: Array, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Array:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val)


@op("relu6", grad_fn="HardtanhBackward0", namespaces=F, method=False)
def relu6(input: Array, inplace: bool = False) -> Array:
    return _hardtanh(input, 0.0, 6.0)


@op("hardsigmoid", grad_fn="HardsigmoidBackward0", namespaces=F, method=False)
def hardsigmoid(input: Array, inplace: bool = False) -> Array:
    zero, one = jnp.zeros_like(input), jnp.ones_like(input)
    return jnp.where(input <= -3, zero, jnp.where(input >= 3, one, input / 6 + 0.5))


@op("hardswish", grad_fn="HardswishBackward0", namespaces=F, method=False)
def hardswish(input: Array, inplace: bool = False) -> Array:
    # torch: hardswish_backward is 0 below -3, x / 3 + 0.5 on [-3, 3], 1 above.
    x = input
    return jnp.where(x < -3, jnp.zeros_like(x), jnp.where(x <= 3, x * (x + 3) / 6, x))


@op("mish", grad_fn="MishBackward0", namespaces=F, method=False)
def mish(input: Array, inplace: bool = False) -> Array:
    return input * jnp.tanh(jax.nn.softplus(input))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@op("selu", grad_fn="EluBackward0", namespaces=F, method=False)
def selu(input: Array, inplace: bool = False) -> Array:
    return _SELU_SCALE * elu.impl(input, _SELU_ALPHA)


@op("celu", grad_fn="CeluBackward0", namespaces=F, method=False)
def celu(input: Array, alpha: float = 1.0, inplace: bool = False) -> Array:
    safe = jnp.where(input > 0, jnp.zeros_like(input), input)
    return jnp.where(input > 0, input, alpha * jnp.expm1(safe / alpha))


@op("logsigmoid", out=("nn.functional",), grad_fn="LogSigmoidBackward0", namespaces=F, method=False)
def logsigmoid(input: Array) -> Array:
    return jax.nn.log_sigmoid(input)


@op("softsign", grad_fn="DivBackward0", namespaces=F, method=False, promote=FLOAT)
def softsign(input: Array) -> Array:
    return input / (jnp.abs(input) + 1)


@op("tanhshrink", grad_fn="SubBackward0", namespaces=F, method=False, promote=FLOAT)
def tanhshrink(input: Array) -> Array:
    return input - jnp.tanh(input)


@op("softshrink", out=("nn.functional",), grad_fn="SoftshrinkBackward0", namespaces=F, method=False)
def softshrink(input: Array, lambd: float = 0.5) -> Array:
    zero = jnp.zeros_like(input)
    return jnp.where(input > lambd, input - lambd, jnp.where(input < -lambd, input + lambd, zero))


@op("hardshrink", out=("nn.functional",), grad_fn="HardshrinkBackward0", namespaces=F, method=False)
def hardshrink(input: Array, lambd: float = 0.5) -> Array:
    return jnp.where((input > lambd) | (input < -lambd), input, jnp.zeros_like(input))


@op("threshold", grad_fn="ThresholdBackward0", namespaces=F, method=False)
def threshold(input: Array, threshold: float, value: float, inplace: bool = False) -> Array:
    return jnp.where(input > threshold, input, jnp.full_like(input, value))


@op("glu", grad_fn="GluBackward0", namespaces=F, method=False)
def glu(input: Array, dim: int = -1) -> Array:
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = _errors.wrap_dim(dim, input.ndim)
    if input.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size "
                           f"{input.shape[axis]}")  # fmt: skip
    a, b = jnp.split(input, 2, axis=axis)
    return a * jax.nn.sigmoid(b)


@op("softmin", grad_fn="SoftmaxBackward0", namespaces=F, method=False)
def softmin(input: Array, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Array:
    return softmax.impl(-input if dtype is None else -input.astype(dtype.np), dim)


# atol: torch's float32 second derivative has rounding noise of 3e-5 around 0 (p=0.5).
@op("normalize", out=("nn.functional",), grad_fn="DivBackward0", namespaces=F, method=False,
    opinfo=OpInfoTest(atol=1e-4))
def normalize(input: Array, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Array:
    from .reduce import norm

    denom = norm.impl(input, p, dim, True)
    # torch: denom.clamp_min(eps), whose gradient is 1 at eps (See Note [clamp at the bounds]).
    denom = jnp.where(denom >= eps, denom, jnp.asarray(eps, denom.dtype))
    return input / denom


# atol: over one element the input gradient is exactly 0; torch's float32 one is rounding
# noise scaled by 1 / sqrt(eps) (2e-4).
@op("layer_norm", grad_fn="NativeLayerNormBackward0", namespaces=F, method=False,
    opinfo=OpInfoTest(atol=1e-3))
def layer_norm(input: Array, normalized_shape: Any, weight: Array | None = None,
               bias: Array | None = None, eps: float = 1e-5) -> Array:  # fmt: skip
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = jnp.mean(input, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    out = (input - mean) * jax.lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# --- more losses ------------------------------------------------------------------------------

def _loss_name(last: str) -> Any:
    """torch's composite losses end in mean() or sum(), or in their last pointwise op."""

    def name(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", *args: Any, **kwargs: Any) -> str:  # fmt: skip
        reduction = _legacy_reduction(size_average, reduce, reduction)
        return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(reduction, last)

    return name


@op("l1_loss", grad_fn=_loss_name("AbsBackward0"), namespaces=F, method=False)
def l1_loss(input: Array, target: Array, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Any = None) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _dtype.promote(input, target)
    return _reduce(jnp.abs(input - target), reduction)


def _smooth_l1_name(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                    reduction: str = "mean", beta: float = 1.0) -> str:  # fmt: skip
    if beta == 0:  # torch: F.smooth_l1_loss is l1_loss then
        return _loss_name("AbsBackward0")(input, target, size_average, reduce, reduction)
    return "SmoothL1LossBackward0"


@op("smooth_l1_loss", grad_fn=_smooth_l1_name, namespaces=F, method=False)
def smooth_l1_loss(input: Array, target: Array, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _dtype.promote(input, target)
    d = jnp.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@op("huber_loss", grad_fn="HuberLossBackward0", namespaces=F, method=False)
def huber_loss(input: Array, target: Array, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Array:  # fmt: skip
    input, target = _dtype.promote(input, target)
    d = jnp.abs(input - target)
    return _reduce(jnp.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _kl_div_name(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", log_target: bool = False) -> str:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    last = "MulBackward0" if log_target else "SubBackward0"
    return {"mean": "MeanBackward0", "sum": "SumBackward0", "batchmean": "DivBackward0"}.get(
        reduction, last)


@op("kl_div", grad_fn=_kl_div_name, namespaces=F, method=False)
def kl_div(input: Array, target: Array, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _dtype.promote(input, target)
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jsp.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return jnp.sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# --- batch and group normalisation ------------------------------------------------------------

@op("native_batch_norm", grad_fn=lambda input, *args, **kwargs: "CloneBackward0" if (
    input.numel() == 0) else "NativeBatchNormBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.batch_norm", atol=1e-3))  # fmt: skip
def native_batch_norm(input: Array, running_mean: Array | None, running_var: Array | None,
                      weight: Array | None = None, bias: Array | None = None,
                      training: bool = False, eps: float = 1e-5) -> Array:  # fmt: skip
    """The normalisation of `nn.functional.batch_norm` (which updates the running stats
    around it): batch statistics in training or without running stats, else the running
    ones. Over every dimension but the channels (dim 1)."""
    axes = (0, *range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2) if input.ndim > 1 else (-1,)
    if training or running_mean is None:
        count = input.size // input.shape[1] if input.ndim > 1 and input.shape[1] else input.size
        if count == 1:  # torch: _verify_batch_size
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size torch.Size({list(input.shape)})")  # fmt: skip
        mean = jnp.mean(input, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    else:
        mean = running_mean.astype(input.dtype).reshape(shape)
        var = running_var.astype(input.dtype).reshape(shape)  # type: ignore[union-attr]
    out = (input - mean) * jax.lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@op("group_norm", grad_fn="NativeGroupNormBackward0", namespaces=F, method=False,
    opinfo=OpInfoTest(atol=1e-3))  # fmt: skip
def group_norm(input: Array, num_groups: int, weight: Array | None = None,
               bias: Array | None = None, eps: float = 1e-5) -> Array:  # fmt: skip
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}")
    grouped = input.reshape((n, num_groups, -1))
    mean = jnp.mean(grouped, axis=2, keepdims=True)
    var = jnp.mean(jnp.square(grouped - mean), axis=2, keepdims=True)
    out = ((grouped - mean) * jax.lax.rsqrt(var + eps)).reshape(input.shape)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# --- distances ------------------------------------------------------------------------------

def _floating(*xs: Array) -> list[Array]:
    """Operands cast to their common dtype, integer and bool to the default float."""
    d = _dtype.to_float(_dtype.result_type(*xs))
    return [_dtype.cast(x, d) for x in xs]


def _clamp_min0(x: Array) -> Array:
    # torch: clamp_min's gradient is 1 at the bound (See Note [clamp at the bounds]).
    return jnp.where(x >= 0, x, jnp.zeros_like(x))


@op("cosine_similarity", grad_fn="SumBackward1", namespaces=("torch", "nn.functional"),
    method=False)  # fmt: skip
def cosine_similarity(x1: Array, x2: Array, dim: int = 1, eps: float = 1e-8) -> Array:
    d = _dtype.result_type(x1, x2)
    if not d.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_dtype.legacy_name(d)}")  # fmt: skip
    x1, x2 = jnp.broadcast_arrays(_dtype.cast(x1, d), _dtype.cast(x2, d))
    axis = _errors.wrap_dim(dim, x1.ndim)
    if x1.ndim == 0:  # a scalar is a vector of one along dim 0
        x1, x2 = x1.reshape(1), x2.reshape(1)
    # torch: each norm is clamped to eps in place under no_grad, so the clamp has no
    # derivative of its own (aten/native/Distance.cpp cosine_similarity).
    n1 = _vector_norm_keep(x1, axis)
    n2 = _vector_norm_keep(x2, axis)
    n1 = n1 + jax.lax.stop_gradient(jnp.maximum(n1, eps) - n1)
    n2 = n2 + jax.lax.stop_gradient(jnp.maximum(n2, eps) - n2)
    return jnp.sum((x1 / n1) * (x2 / n2), axis=axis)


def _vector_norm_keep(x: Array, axis: int) -> Array:
    from .reduce import _vector_norm

    return _vector_norm(x, 2, (axis,), True)


@op("pairwise_distance", grad_fn="NormBackward1", namespaces=("torch", "nn.functional"),
    method=False)  # fmt: skip
def pairwise_distance(x1: Array, x2: Array, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Array:  # fmt: skip
    from .reduce import _vector_norm

    # torch: at::norm(x1 - x2 + eps, p, innermost dim, keepdim) (aten/native/Distance.cpp).
    diff = _dtype.cast(x1 - x2 if x1.dtype != jnp.bool_ else x1 ^ x2, _dtype.result_type(x1, x2))
    diff = _floating(diff)[0] + eps
    if diff.ndim == 0:
        return jnp.abs(diff) if p != 0 else (diff != 0).astype(diff.dtype)
    return _vector_norm(diff, p, (diff.ndim - 1,), keepdim)


@op("pdist", grad_fn="PdistBackward0", namespaces=("torch", "nn.functional"), method=False)
def pdist(input: Array, p: float = 2.0) -> Array:
    from .reduce import _vector_norm

    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = jnp.triu_indices(input.shape[0], 1)
    return _vector_norm(input[i] - input[j], p, (1,), False)


# --- margin and embedding losses -----------------------------------------------------------

def _reduction_of(size_average: Any, reduce: Any, reduction: str) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduced_name(last: str) -> Any:
    """The node of a loss that ends in apply_loss_reduction: mean(), sum() or its last op
    (the op's arguments bound to its implementation's signature)."""

    def name(*args: Any, **kwargs: Any) -> str:
        bound = inspect.signature(name.op.impl).bind(*args, **kwargs)  # type: ignore[attr-defined]
        bound.apply_defaults()
        a = bound.arguments
        reduction = _legacy_reduction(a.get("size_average"), a.get("reduce"), a["reduction"])
        return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(reduction, last)

    return name


def _named(opdef: Any) -> Any:
    """Give an op's `_reduced_name` its OpDef (registered after the name function)."""
    opdef.grad_fn.op = opdef
    return opdef


@_named
@op("cosine_embedding_loss", grad_fn=_reduced_name("AddBackward0"), namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.cosine_embedding_loss"))  # fmt: skip
def cosine_embedding_loss(input1: Array, input2: Array, target: Array, margin: float = 0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    if target.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if target.ndim == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"{target.ndim}D target tensor expects {want}D input tensors, but found inputs with "
            f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    # torch: aten/native/Loss.cpp, with EPSILON = 1e-12 added to the squared magnitudes.
    x1, x2 = _floating(input1, input2)
    axis = target.ndim
    prod_sum = jnp.sum(x1 * x2, axis=axis)
    mag1 = jnp.sum(x1 * x1, axis=axis) + 1e-12
    mag2 = jnp.sum(x2 * x2, axis=axis) + 1e-12
    cos = prod_sum / jnp.sqrt(mag1 * mag2)
    zeros = jnp.zeros_like(cos)
    out = (jnp.where(target == 1, 1 - cos, zeros)
           + jnp.where(target == -1, _clamp_min0(cos - margin), zeros))  # fmt: skip
    return _reduce(out, reduction)


@_named
@op("hinge_embedding_loss", grad_fn=_reduced_name("AddBackward0"), namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.hinge_embedding_loss"))  # fmt: skip
def hinge_embedding_loss(input: Array, target: Array, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    # torch: aten/native/Loss.cpp hinge_embedding_loss.
    zeros = jnp.zeros_like(input)
    margin_clamp = _clamp_min0(margin - input)
    out = jnp.where(target != 1, margin_clamp, zeros) + jnp.where(target != -1, input, zeros)
    return _reduce(out, reduction)


@_named
@op("margin_ranking_loss", grad_fn=_reduced_name("ClampMinBackward0"), namespaces=F,
    method=False)  # fmt: skip
def margin_ranking_loss(input1: Array, input2: Array, target: Array, margin: float = 0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: torch.Size({list(input1.shape)}), input2: torch.Size({list(input2.shape)}), "
            f"target: torch.Size({list(target.shape)}) ")
    x1, x2, t = _floating(input1, input2, target)
    return _reduce(_clamp_min0(-t * (x1 - x2) + margin), reduction)


@op("soft_margin_loss", grad_fn="SoftMarginLossBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.soft_margin_loss"))  # fmt: skip
def soft_margin_loss(input: Array, target: Array, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    input, target = _dtype.promote(input, target)
    return _reduce(jnp.log1p(jnp.exp(-input * target)), reduction)


def _multilabel_soft_name(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                          reduce: Any = None, reduction: str = "mean") -> str:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(reduction, "DivBackward0")


@op("multilabel_soft_margin_loss", grad_fn=_multilabel_soft_name, namespaces=F, method=False)
def multilabel_soft_margin_loss(input: Array, target: Array, weight: Array | None = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = jnp.sum(loss, axis=class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


def _margin_shapes(input: Array, target: Array, name: str) -> tuple[int, int]:
    if not ((input.ndim == 2 and input.shape[1] != 0) or (input.ndim == 1 and input.shape[0] != 0)
            or input.ndim == 0):  # fmt: skip
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")  # fmt: skip
    if jnp.issubdtype(target.dtype, jnp.floating):
        raise RuntimeError(f"expected scalar type Long but found {_dtype.legacy_name(_dtype.from_np(target.dtype))}")
    nframe = 1 if input.ndim <= 1 else input.shape[0]
    dim = 1 if input.ndim == 0 else input.shape[-1]
    return nframe, dim


@op("multi_margin_loss", grad_fn="MultiMarginLossBackward0", namespaces=F, method=False)
def multi_margin_loss(input: Array, target: Array, p: int = 1, margin: float = 1.0,
                      weight: Array | None = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    nframe, dim = _margin_shapes(input, target, "multi_margin_loss")
    if target.ndim > 1 or target.size != nframe:
        if input.ndim == 2:
            raise RuntimeError(
                "multi_margin_loss: target tensor should be 1-D with size equal to the number "
                f"of input samples (batch size). Expected target size [{nframe}], but got "
                f"{list(target.shape)}. Input has shape {list(input.shape)}.")
        raise RuntimeError(f"inconsistent target size, expected {nframe} but got "
                           f"{list(target.shape)}")  # fmt: skip
    if weight is not None and weight.size != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    x = input.reshape(nframe, dim)
    y = target.reshape(nframe)
    # torch: aten/native/LossMultiMargin.cpp, the j == y term left out; the backward counts
    # a term only where margin - x[y] + x[j] > 0.
    x_y = jnp.take_along_axis(x, y[:, None], axis=1)
    z = margin - x_y + x
    h = jnp.where(z > 0, z, jnp.zeros_like(z))
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight.astype(x.dtype)[y][:, None]
    h = jnp.where(jnp.arange(dim)[None, :] == y[:, None], jnp.zeros_like(h), h)
    loss = jnp.sum(h, axis=1) / dim
    if reduction == "none":
        return loss if target.ndim > 0 else loss.reshape(())
    return _reduce(loss, reduction)


@op("multilabel_margin_loss", grad_fn="MultilabelMarginLossBackward0", namespaces=F,
    method=False)  # fmt: skip
def multilabel_margin_loss(input: Array, target: Array, size_average: Any = None,
                           reduce: Any = None, reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    nframe, dim = _margin_shapes(input, target, "multilabel_margin_loss")
    if (input.ndim <= 1 and target.ndim != input.ndim) or (
            input.ndim == 2 and (target.ndim != 2 or target.shape != input.shape)) or (
            input.ndim == 1 and target.shape != input.shape):  # fmt: skip
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")  # fmt: skip
    x = input.reshape(nframe, dim)
    t = target.reshape(nframe, dim)
    # torch: aten/native/LossMultiLabelMargin.cpp. The targets are the entries before the
    # first -1; every (target j, non-target k) pair adds max(0, 1 - (x[j] - x[k])).
    valid = jnp.cumprod(t != -1, axis=1).astype(bool)
    safe = jnp.where(valid, t, 0)
    is_target = jnp.any(valid[:, :, None] & (safe[:, :, None] == jnp.arange(dim)[None, None, :]),
                        axis=1)  # fmt: skip
    x_t = jnp.take_along_axis(x, safe, axis=1)
    z = 1 - x_t[:, :, None] + x[:, None, :]
    keep = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    loss = jnp.sum(jnp.where(keep, z, jnp.zeros_like(z)), axis=(1, 2)) / dim
    if reduction == "none":
        return loss if target.ndim > 1 else loss.reshape(())
    return _reduce(loss, reduction)


def check_triplet(anchor: Any, positive: Any, negative: Any, margin: float) -> None:
    """torch's argument checks of the triplet margin losses."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs")


@_named
@op("triplet_margin_loss", grad_fn=_reduced_name("ClampMinBackward0"), namespaces=F,
    method=False)  # fmt: skip
def triplet_margin_loss(anchor: Array, positive: Array, negative: Array, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    check_triplet(anchor, positive, negative, margin)
    dist_pos = pairwise_distance.impl(anchor, positive, p, eps)
    dist_neg = pairwise_distance.impl(anchor, negative, p, eps)
    if swap:
        dist_neg = jnp.minimum(dist_neg, pairwise_distance.impl(positive, negative, p, eps))
    return _reduce(_clamp_min0(margin + dist_pos - dist_neg), reduction)


def _poisson_name(input: Any, target: Any, log_input: bool = True, full: bool = False,
                  size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                  reduction: str = "mean") -> str:  # fmt: skip
    reduction = _legacy_reduction(size_average, reduce, reduction)
    last = "AddBackward0" if full else "SubBackward0"
    return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(reduction, last)


@op("poisson_nll_loss", grad_fn=_poisson_name, namespaces=F, method=False)
def poisson_nll_loss(input: Array, target: Array, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Array:  # fmt: skip
    reduction = _reduction_of(size_average, reduce, reduction)
    # torch: aten/native/Loss.cpp poisson_nll_loss.
    input, target = _floating(input, target)
    if log_input:
        loss = jnp.exp(input) - target * input
    else:
        loss = input - target * jnp.log(input + eps)
    if full:
        t = target
        stirling = t * jnp.log(t) - t + 0.5 * jnp.log(2 * math.pi * t)
        loss = loss + jnp.where(t <= 1, jnp.zeros_like(stirling), stirling)
    return _reduce(loss, reduction)


def _gaussian_name(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                   reduction: str = "mean") -> str:  # fmt: skip
    last = "AddBackward0" if full else "MulBackward0"
    return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(reduction, last)


@op("gaussian_nll_loss", grad_fn=_gaussian_name, namespaces=F, method=False)
def gaussian_nll_loss(input: Array, target: Array, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Array:  # fmt: skip
    # torch: nn/functional.py gaussian_nll_loss.
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * jnp.ones_like(input)
    elif not _errors.is_traced(var) and bool(jnp.any(var < 0)):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = jnp.expand_dims(var, -1)
        elif input.ndim == var.ndim and builtins.sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:  # fmt: skip
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction + " is not valid")
    # The clamp runs in place under no_grad: the gradient passes it unchanged.
    var = var + jax.lax.stop_gradient(jnp.maximum(var, eps) - var)
    loss = 0.5 * (jnp.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- native normalisations -------------------------------------------------------------------

def _saved_stats_detached(out: Any, *saved: Any) -> tuple[Any, ...]:
    """The result of an op whose saved statistics torch does not differentiate
    (derivatives.yaml output_differentiability): they leave the graph."""
    return (out, *(s.detach() for s in saved))


def _check_normalized_shape(input: Array, shape: tuple[int, ...]) -> None:
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")


@op("native_layer_norm",
    out=False, grad_fn="NativeLayerNormBackward0", method=False, multi_output=True,
    opinfo=OpInfoTest(atol=1e-3, xfail={"gradgrad": (
        "torch's double backward of native_layer_norm without a weight raises \"Expected a "
        "proper Tensor but got None\" (layer_norm_double_backward); ours differentiates")}))  # fmt: skip
def native_layer_norm(input: Array, normalized_shape: Any, weight: Array | None,
                      bias: Array | None, eps: float) -> tuple[Array, Array, Array]:  # fmt: skip
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_normalized_shape(input, shape)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = jnp.mean(input, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    rstd = jax.lax.rsqrt(var + eps)
    out = (input - mean) * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out, mean, rstd


native_layer_norm.impl.result_type = _saved_stats_detached  # type: ignore[attr-defined]


@op("native_group_norm",
    out=False, grad_fn="NativeGroupNormBackward0", method=False, multi_output=True,
    opinfo=OpInfoTest(atol=1e-3, xfail={"batched": (
        "torch's batched grad with cotangents for mean and rstd raises a size mismatch in "
        "infinitely_differentiable_native_group_norm_backward; ours computes it")}))  # fmt: skip
def native_group_norm(input: Array, weight: Array | None, bias: Array | None, N: int, C: int,
                      HxW: int, group: int, eps: float) -> tuple[Array, Array, Array]:  # fmt: skip
    if C % group != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={group}")
    grouped = input.reshape((N, group, -1))
    mean = jnp.mean(grouped, axis=2)
    var = jnp.mean(jnp.square(grouped - mean[:, :, None]), axis=2)
    rstd = jax.lax.rsqrt(var + eps)
    out = ((grouped - mean[:, :, None]) * rstd[:, :, None]).reshape(input.shape)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out, mean, rstd


def _batch_norm_train(input: Array, weight: Array | None, bias: Array | None,
                      eps: float) -> tuple[Array, Array, Array]:  # fmt: skip
    """Batch statistics over every dimension but the channels: (out, mean, invstd)."""
    axes = (0, *range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    mean = jnp.mean(input, axis=axes)
    var = jnp.mean(jnp.square(input - mean.reshape(shape)), axis=axes)
    invstd = jax.lax.rsqrt(var + eps)
    out = (input - mean.reshape(shape)) * invstd.reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out, mean, invstd


def _legit_name(input: Any, weight: Any, bias: Any, running_mean: Any, *args: Any) -> str:
    # torch: the no_stats overload (training, momentum, eps after bias) is the second.
    return ("NativeBatchNormLegitBackward1" if isinstance(running_mean, bool)
            else "NativeBatchNormLegitBackward0")  # fmt: skip


@op("_native_batch_norm_legit", grad_fn=_legit_name, namespaces=(), method=False,
    multi_output=True, opinfo=OpInfoTest(atol=1e-3))  # fmt: skip
def _native_batch_norm_legit(input: Array, weight: Array | None, bias: Array | None,
                             running_mean: Any, running_var: Any = None, training: Any = None,
                             momentum: Any = None, eps: Any = None) -> tuple[Array, Array, Array]:  # fmt: skip
    """The normalisation of torch._native_batch_norm_legit; the running statistics are
    updated around it (nn.functional). Both overloads: with running stats, and without."""
    if isinstance(running_mean, bool):  # (input, weight, bias, training, momentum, eps)
        training, eps = running_mean, training
        running_mean = running_var = None
    if training or running_mean is None:
        return _batch_norm_train(input, weight, bias, eps)
    out = native_batch_norm.impl(input, running_mean, running_var, weight, bias, False, eps)
    empty = jnp.zeros((0,), input.dtype)
    return out, empty, empty


_native_batch_norm_legit.impl.result_type = _saved_stats_detached  # type: ignore[attr-defined]


@op("_batch_norm_with_update", grad_fn="BatchNormWithUpdateBackward0", namespaces=(),
    method=False, multi_output=True, opinfo=OpInfoTest(atol=1e-3))  # fmt: skip
def _batch_norm_with_update(input: Array, weight: Array | None, bias: Array | None,
                            running_mean: Array, running_var: Array, momentum: float,
                            eps: float) -> tuple[Array, Array, Array, Array]:  # fmt: skip
    """torch._batch_norm_with_update's normalisation (batch statistics; the running ones are
    updated around it): out, save_mean, save_invstd and an empty uint8 reserve."""
    out, mean, invstd = _batch_norm_train(input, weight, bias, eps)
    return out, mean, invstd, jnp.zeros((0,), jnp.uint8)


_batch_norm_with_update.impl.result_type = _saved_stats_detached  # type: ignore[attr-defined]


@op("rms_norm", grad_fn="MulBackward0", namespaces=("torch", "nn.functional"), method=False,
    opinfo=OpInfoTest(atol=1e-4))  # fmt: skip
def rms_norm(input: Array, normalized_shape: Any, weight: Array | None = None,
             eps: float | None = None) -> Array:  # fmt: skip
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_normalized_shape(input, shape)
    if eps is None:
        eps = float(jnp.finfo(input.dtype).eps)
    # torch: aten/native/layer_norm.cpp rms_norm_symint, x * rsqrt(mean(x^2) + eps) * weight.
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * jax.lax.rsqrt(jnp.mean(input * input, axis=axes, keepdims=True) + eps)
    return out if weight is None else out * weight


@op("instance_norm", grad_fn="ViewBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.instance_norm", atol=1e-3))  # fmt: skip
def instance_norm(input: Array, running_mean: Array | None = None,
                  running_var: Array | None = None, weight: Array | None = None,
                  bias: Array | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Array:  # fmt: skip
    """The normalisation of torch.instance_norm (batch norm of each sample's channels; the
    running statistics are updated around it, in nn.functional)."""
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if use_input_stats:
        axes = tuple(range(2, input.ndim))
        mean = jnp.mean(input, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    else:
        mean = running_mean.astype(input.dtype).reshape(shape)  # type: ignore[union-attr]
        var = running_var.astype(input.dtype).reshape(shape)  # type: ignore[union-attr]
    out = (input - mean) * jax.lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# --- activations with weights, embeddings, bilinear ------------------------------------------

@op("prelu", grad_fn="PreluKernelBackward0", namespaces=("torch", "nn.functional"))
def prelu(input: Array, weight: Array) -> Array:
    if input.ndim == 0 and weight.size != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.size != 1 and weight.size != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.size} and channel size = {channels}.")
    if weight.size == 1:
        w = weight.reshape(())
    else:
        w = weight.reshape((-1,) + (1,) * (input.ndim - 2))
    # torch: _prelu_kernel, x where x > 0 else w * x (its backward uses the same test).
    return jnp.where(input > 0, input, w * input)


@op("rrelu", grad_fn="RreluWithNoiseBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.rrelu", xfail={
        phase: ("training=True draws a random negative slope per element from torch's "
                "generator (samples 0 and 2); ours comes from another stream")
        for phase in ("forward", "grad", "gradgrad", "batched")}))  # fmt: skip
def rrelu(input: Array, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          key: Array | None = None) -> Array:  # fmt: skip
    """torch.rrelu (rrelu_with_noise): in training a slope from U(lower, upper) for each
    negative element, drawn from `key`; else the mean slope."""
    if training and key is not None:
        u = jax.random.uniform(jax.random.wrap_key_data(key), input.shape,
                               jnp.float64 if input.dtype == jnp.float64 else jnp.float32)  # fmt: skip
        slope = (lower + (upper - lower) * u).astype(input.dtype)
    else:
        slope = jnp.asarray((lower + upper) / 2, input.dtype)
    # torch: x above 0, x * slope at and below 0 (rrelu_with_noise's noise is the slope
    # there and 1 above; in eval leaky_relu, whose backward also tests x > 0).
    return jnp.where(input > 0, input, input * slope)


def _embedding_checks(input: Array, weight: Array) -> None:
    if not (jnp.issubdtype(input.dtype, jnp.integer) and input.dtype.itemsize >= 4):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{_dtype.legacy_name(_dtype.from_np(input.dtype))}"
            "Tensor instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if not _errors.is_traced(input) and input.size and bool(
            jnp.any((input < 0) | (input >= weight.shape[0]))):  # fmt: skip
        raise IndexError("index out of range in self")


@op("embedding", grad_fn="EmbeddingBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.embedding"))  # fmt: skip
def embedding(input: Array, weight: Array, padding_idx: int = -1,
              scale_grad_by_freq: bool = False) -> Array:  # fmt: skip
    """torch.embedding: rows of `weight`; the padding row gets no gradient, and with
    `scale_grad_by_freq` each row's gradient is divided by its count in `input`."""
    _embedding_checks(input, weight)
    rows = weight[input]
    if padding_idx >= 0:
        keep = (input != padding_idx)[..., None]
        rows = jnp.where(keep, rows, jax.lax.stop_gradient(rows))
    if scale_grad_by_freq:
        counts = jnp.zeros((weight.shape[0],), weight.dtype).at[input.reshape(-1)].add(1)
        scale = (1 / counts[input])[..., None]
        # The value is the row; only the gradient is scaled (embedding_backward).
        rows = rows * scale + jax.lax.stop_gradient(rows - rows * scale)
    return rows


@op("one_hot", grad_fn=None, namespaces=F, method=False)
def one_hot(tensor: Array, num_classes: int = -1) -> Array:
    if tensor.dtype != jnp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    concrete = not _errors.is_traced(tensor)
    if num_classes == -1:
        if tensor.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        if not concrete:
            raise RuntimeError("one_hot with num_classes=-1 needs concrete values")
        num_classes = int(jnp.max(tensor)) + 1
    if concrete and tensor.size:
        if bool(jnp.any(tensor < 0)):
            raise RuntimeError("Class values must be non-negative.")
        if bool(jnp.any(tensor >= num_classes)):
            raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor[..., None] == jnp.arange(num_classes)).astype(jnp.int64)


@op("bilinear", grad_fn=lambda input1, input2, weight, bias=None: (
    "ViewBackward0" if bias is None else "AddBackward0"), namespaces=("torch", "nn.functional"),
    method=False, promote=BINARY)  # fmt: skip
def bilinear(input1: Array, input2: Array, weight: Array, bias: Array | None = None) -> Array:
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")  # fmt: skip
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")  # fmt: skip
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")  # fmt: skip
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")  # fmt: skip
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")  # fmt: skip
    out = jnp.einsum("...i,oij,...j->...o", input1, weight, input2,
                     preferred_element_type=input1.dtype)  # fmt: skip
    return out if bias is None else out + bias


@op("_softmax_backward_data", grad_fn="SoftmaxBackwardDataBackward0", method=False)
def _softmax_backward_data(grad_output: Array, output: Array, dim: int,
                           input_dtype: Any) -> Array:  # fmt: skip
    axis = _errors.wrap_dim(dim, output.ndim) if output.ndim else None
    return output * (grad_output - jnp.sum(grad_output * output, axis=axis, keepdims=True))


@op("native_dropout_backward", grad_fn="NativeDropoutBackwardBackward0", method=False)
def native_dropout_backward(grad_output: Array, mask: Array, scale: float) -> Array:
    g = _floating(grad_output)[0]
    return g * mask.astype(g.dtype) * jnp.asarray(scale, g.dtype)


# --- dropout ----------------------------------------------------------------------------------

_ALPHA = 1.7580993408473766  # torch: aten/native/Dropout.cpp, SELU's -scale * alpha
_RANDOM = ("draws its mask from torch's generator (the p=0.5, training=True samples); ours "
           "comes from another stream, so values and grads differ there")
_RANDOM_PHASES = {phase: _RANDOM for phase in ("forward", "grad", "gradgrad", "batched")}


def _dropout_name(input: Any, p: float, key: Any = None) -> str:
    return "MulBackward0"


def _alpha_dropout_name(input: Any, p: float, key: Any = None) -> str:
    return "MulBackward0" if p == 1 else "AddBackward0"


def _dropout(input: Array, p: float, key: Array | None, feature: bool, alpha: bool) -> Array:
    """torch's _dropout_impl in training with 0 < p <= 1 (p = 0 and eval return the input
    itself, before dispatch): the input times a Bernoulli(1 - p) mask, drawn from `key`, per
    element or per (sample, channel); alpha dropout keeps the mean and variance."""
    if p == 1 or key is None:
        return input * jnp.zeros((), input.dtype)
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = input.shape[:2] + (1,) * (input.ndim - 2)
    else:
        shape = input.shape
    u = jax.random.uniform(jax.random.wrap_key_data(key), shape,
                           jnp.float64 if input.dtype == jnp.float64 else jnp.float32)  # fmt: skip
    keep = (u < 1 - p).astype(input.dtype)
    if not alpha:
        return input * (keep / (1 - p))
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return input * (keep * a) + b


@op("dropout", grad_fn=_dropout_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.dropout", xfail=_RANDOM_PHASES))  # fmt: skip
def dropout(input: Array, p: float, key: Array | None = None) -> Array:
    return _dropout(input, p, key, feature=False, alpha=False)


@op("feature_dropout", grad_fn=_dropout_name, namespaces=(), method=False, opinfo=None)
def feature_dropout(input: Array, p: float, key: Array | None = None) -> Array:
    return _dropout(input, p, key, feature=True, alpha=False)


@op("dropout2d", grad_fn=_dropout_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.dropout2d", xfail=_RANDOM_PHASES))  # fmt: skip
def _dropout2d(input: Array, p: float, key: Array | None = None) -> Array:
    """F.dropout2d's feature dropout (an entry of its own for its OpInfo)."""
    return _dropout(input, p, key, feature=True, alpha=False)


@op("dropout3d", grad_fn=_dropout_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.dropout3d", xfail=_RANDOM_PHASES))  # fmt: skip
def _dropout3d(input: Array, p: float, key: Array | None = None) -> Array:
    """F.dropout3d's feature dropout (an entry of its own for its OpInfo)."""
    return _dropout(input, p, key, feature=True, alpha=False)


@op("alpha_dropout", grad_fn=_alpha_dropout_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.alpha_dropout", xfail=_RANDOM_PHASES))  # fmt: skip
def alpha_dropout(input: Array, p: float, key: Array | None = None) -> Array:
    return _dropout(input, p, key, feature=False, alpha=True)


@op("feature_alpha_dropout", grad_fn=_alpha_dropout_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.feature_alpha_dropout", xfail={
        f"nn.functional.feature_alpha_dropout.with_train/{phase}": _RANDOM
        for phase in ("forward", "grad", "gradgrad", "batched")}))  # fmt: skip
def feature_alpha_dropout(input: Array, p: float, key: Array | None = None) -> Array:
    return _dropout(input, p, key, feature=True, alpha=True)


# --- attention --------------------------------------------------------------------------------

def _sdpa_name(query: Any, *args: Any, **kwargs: Any) -> str:
    # torch: the math kernel ends in at::matmul(attn, value): batched, an _unsafe_view of bmm.
    return "UnsafeViewBackward0" if query.ndim >= 3 else "MmBackward0"


def _safe_softmax(x: Array) -> Array:
    # torch: at::_safe_softmax, zeros for a row that is all -inf (fully masked) instead of nan.
    dead = jnp.all(x == -jnp.inf, axis=-1, keepdims=True)
    out = jax.nn.softmax(jnp.where(dead, jnp.zeros_like(x), x), axis=-1)
    return jnp.where(dead, jnp.zeros_like(out), out)


@op("scaled_dot_product_attention", grad_fn=_sdpa_name, namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.scaled_dot_product_attention", xfail={
        phase: ("dropout_p=0.5 (samples 2 and 3) drops attention weights with torch's "
                "generator; ours comes from another stream")
        for phase in ("forward", "grad", "gradgrad", "batched")}))  # fmt: skip
def scaled_dot_product_attention(query: Array, key: Array, value: Array,
                                 attn_mask: Array | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False,
                                 dropout_key: Array | None = None) -> Array:  # fmt: skip
    """torch's math kernel (_scaled_dot_product_attention_math): q and k each scaled by
    sqrt(scale), a boolean or additive mask, a safe softmax, dropout from `dropout_key`."""
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")  # fmt: skip
    s = 1.0 / math.sqrt(E) if scale is None else scale
    factor = math.sqrt(abs(s))
    q = query * (-factor if s < 0 else factor)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key = jnp.repeat(key, groups, axis=-3)
        value = jnp.repeat(value, groups, axis=-3)
    attn = jnp.matmul(q, jnp.swapaxes(key, -2, -1) * factor)
    if is_causal:
        attn_mask = jnp.tril(jnp.ones((L, S), bool))
    if attn_mask is not None:
        if attn_mask.dtype == jnp.bool_:
            attn_mask = jnp.where(attn_mask, jnp.zeros((), query.dtype),
                                  jnp.asarray(-jnp.inf, query.dtype))  # fmt: skip
        attn = attn + attn_mask
    attn = _safe_softmax(attn)
    if dropout_p > 0:
        attn = _dropout(attn, dropout_p, dropout_key, feature=False, alpha=False)
    return jnp.matmul(attn, value)


# --- linear_cross_entropy ---------------------------------------------------------------------

_CHUNKED = "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward"
_CHUNKED_NONE = ("GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_"
                 "no_reduction_defaultBackward")  # fmt: skip


def _lce_chunked(linear_weight: Any, target: Any, reduction: str, label_smoothing: float,
                 options: Any) -> bool:  # fmt: skip
    # torch: the chunked custom ops run only for these arguments; otherwise `options` is ignored.
    return (options is not None and linear_weight.ndim == 2 and label_smoothing == 0.0
            and reduction in ("mean", "sum", "none") and str(target.dtype).endswith("int64"))  # fmt: skip


def _lce_name(input: Any, linear_weight: Any, target: Any, *, linear_bias: Any = None,
              weight: Any = None, reduction: str = "mean", ignore_index: Any = None,
              label_smoothing: float = 0.0, options: Any = None) -> str:  # fmt: skip
    if _lce_chunked(linear_weight, target, reduction, label_smoothing, options):
        if input.ndim == 1:
            return "SqueezeBackward1"
        return _CHUNKED_NONE if reduction == "none" else _CHUNKED
    if target.dtype.is_floating_point:
        return "DivBackward1" if reduction == "mean" else "NegBackward0"
    if label_smoothing > 0:
        return "AddBackward0"
    return _nll_node(input.ndim + linear_weight.ndim - 2, reduction)


_LCE_GRADGRAD = ("torch's chunked linear_cross_entropy ops raise in double backward (\"div(): "
                 "functions with out=... arguments don't support automatic differentiation\"); "
                 "ours differentiates")


@op("linear_cross_entropy", grad_fn=_lce_name, namespaces=F, method=False, opinfo=OpInfoTest(
    xfail={f"nn.functional.linear_cross_entropy.{v}/gradgrad": _LCE_GRADGRAD
           for v in ("chunked", "chunked_none")}))  # fmt: skip
def linear_cross_entropy(input: Array, linear_weight: Array, target: Array, *,
                         linear_bias: Array | None = None, weight: Array | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options: Any = None) -> Array:  # fmt: skip
    """cross_entropy(linear(input, linear_weight, linear_bias), target), the classes along
    linear_weight's first dimension (torch's chunked evaluation gives the same values)."""
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")  # fmt: skip
    num_batches, in_features = input.shape[:-1], input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), got "
            f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")  # fmt: skip
    if out_features and not num_batches:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    if target.shape == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    w = linear_weight.reshape(-1, in_features)
    logits = input @ w.T
    if linear_bias is not None:
        logits = logits + linear_bias.reshape(-1)
    logits = logits.reshape(logits_shape)
    return cross_entropy.impl(logits, target, weight, None,
                              -100 if ignore_index is None else ignore_index, None, reduction,
                              label_smoothing)  # fmt: skip


# --- segment reductions -----------------------------------------------------------------------

def _segment_reduce_1d(data: Array, lengths: Array, reduce: str, initial: Any) -> Array:
    """One row: `data` (N, *rest) in segments of `lengths` (S,) along dim 0."""
    s = lengths.shape[0]
    ends = jnp.cumsum(lengths)
    seg = jnp.searchsorted(ends, jnp.arange(data.shape[0]), side="right")
    count = lengths.astype(data.dtype).reshape((s,) + (1,) * (data.ndim - 1))
    empty = count == 0
    if reduce in ("max", "min"):
        pick = jax.ops.segment_max if reduce == "max" else jax.ops.segment_min
        out = pick(jax.lax.stop_gradient(data), seg, num_segments=s)
        if initial is not None:
            bound = jnp.asarray(initial, data.dtype)
            out = jnp.maximum(out, bound) if reduce == "max" else jnp.minimum(out, bound)
        # torch: the gradient goes to the elements equal to the result, shared evenly.
        hit = (data == out[seg]).astype(data.dtype)
        ties = jax.ops.segment_sum(hit, seg, num_segments=s)
        share = jax.ops.segment_sum(data * hit, seg, num_segments=s) / jnp.where(ties > 0, ties, 1)
        return jnp.where(ties > 0, share, out)
    if reduce == "prod":
        # A dense (S, N) product: JAX's scatter-multiply has no gradient for repeated indices.
        member = (seg[None, :] == jnp.arange(s)[:, None]).reshape((s, -1) + (1,) * (data.ndim - 1))
        out = jnp.prod(jnp.where(member, data[None], jnp.ones((), data.dtype)), axis=1)
        return out if initial is None else out * jnp.asarray(initial, data.dtype)
    total = jax.ops.segment_sum(data, seg, num_segments=s)
    if initial is not None:
        total = total + jnp.asarray(initial, data.dtype)
    if reduce == "sum":
        return total
    # mean: (sum + initial) / count; an empty segment is `initial` (nan without one)
    fill = jnp.asarray(jnp.nan if initial is None else initial, data.dtype)
    return jnp.where(empty, fill, total / jnp.where(empty, jnp.ones_like(count), count))


@op("segment_reduce",
    out=False, grad_fn="SegmentReduceBackward0", method=False, aliases=("_segment_reduce",),
    opinfo=OpInfoTest(name="_segment_reduce"))  # fmt: skip
def segment_reduce(data: Array, reduce: str, *, lengths: Array | None = None,
                   indices: Array | None = None, offsets: Array | None = None, axis: int = 0,
                   unsafe: bool = False, initial: Any = None) -> Array:  # fmt: skip
    if reduce not in ("max", "mean", "min", "sum", "prod"):
        raise RuntimeError(f"reduce argument must be either sum, prod, max, min or mean, got {reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    axis = _errors.wrap_dim(axis, data.ndim)
    if lengths is None:
        lengths = offsets[..., 1:] - offsets[..., :-1]  # type: ignore[index]
    if lengths.ndim - 1 != axis:
        raise RuntimeError(f"Expected axis to be the last dimension of lengths but got {axis}.")
    if not unsafe and not _errors.is_traced(lengths) and lengths.size and bool(
            jnp.any(jnp.sum(lengths, axis=-1) != data.shape[axis])):  # fmt: skip
        raise RuntimeError("Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
                           "when !unsafe.")  # fmt: skip
    lead = data.shape[:axis]
    flat = data.reshape((-1,) + data.shape[axis:])
    rows = lengths.reshape((-1, lengths.shape[-1]))
    out = jax.vmap(lambda d, n: _segment_reduce_1d(d, n, reduce, initial))(flat, rows)
    return out.reshape(lead + out.shape[1:])


# --- embedding_bag ----------------------------------------------------------------------------

@op("embedding_bag", grad_fn="EmbeddingBagBackward0", namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.embedding_bag"))  # fmt: skip
def embedding_bag(input: Array, weight: Array, offsets: Array, mode: str,
                  per_sample_weights: Array | None, include_last_offset: bool,
                  padding_idx: int) -> Array:  # fmt: skip
    """The bags' sums, means or maxima of `weight`'s rows: bag b holds input[offsets[b]:
    offsets[b + 1]]; `padding_idx` entries count for nothing; an empty bag is zeros."""
    _embedding_checks(input, weight)
    n_bags = offsets.shape[0] - 1 if include_last_offset else offsets.shape[0]
    bag = jnp.searchsorted(offsets, jnp.arange(input.shape[0]), side="right") - 1
    if include_last_offset:
        bag = jnp.where(jnp.arange(input.shape[0]) >= offsets[-1], n_bags, bag)
    rows = weight[input]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    valid = (input != padding_idx)[:, None]
    zeros = jnp.zeros_like(rows)
    count = jax.ops.segment_sum(valid.astype(weight.dtype), bag, num_segments=n_bags)
    if mode == "max":
        masked = jnp.where(valid, rows, jnp.asarray(-jnp.inf, rows.dtype))
        top = jax.ops.segment_max(jax.lax.stop_gradient(masked), bag, num_segments=n_bags)
        hit = (valid & (masked == top[jnp.clip(bag, 0, n_bags - 1)])).astype(rows.dtype)
        ties = jax.ops.segment_sum(hit, bag, num_segments=n_bags)
        share = jax.ops.segment_sum(rows * hit, bag, num_segments=n_bags)
        return jnp.where(count > 0, share / jnp.where(ties > 0, ties, 1), 0)
    total = jax.ops.segment_sum(jnp.where(valid, rows, zeros), bag, num_segments=n_bags)
    if mode == "mean":
        return total / jnp.where(count > 0, count, 1)
    return total


# --- ctc_loss ---------------------------------------------------------------------------------

def _lse(*xs: Array) -> Array:
    """logsumexp of a few arrays with zero (not nan) gradients where all are -inf."""
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    m_safe = jnp.where(jnp.isfinite(m), m, jnp.zeros_like(m))
    total = sum((jnp.exp(x - m_safe) for x in xs), start=jnp.zeros_like(m))
    alive = total > 0
    return jnp.where(alive, m_safe + jnp.log(jnp.where(alive, total, 1)), -jnp.inf)


def _ctc_nll(lp: Array, targets: Array, in_len: Array, tgt_len: Array, blank: int) -> Array:
    """The CTC forward recursion in log space: -log p(target | log_probs) per batch element;
    lp (T, N, C), padded targets (N, S)."""
    n_steps, n = lp.shape[0], lp.shape[1]
    s = targets.shape[1]
    ext = jnp.full((n, 2 * s + 1), blank, targets.dtype).at[:, 1::2].set(targets)
    pos = jnp.arange(2 * s + 1)
    alive = pos[None, :] < 2 * tgt_len[:, None] + 1
    skip = (pos % 2 == 1) & (pos >= 2) & (ext != jnp.roll(ext, 2, axis=1))
    lp_ext = jnp.take_along_axis(lp, jnp.broadcast_to(ext[None], (n_steps,) + ext.shape), axis=2)
    neg = jnp.asarray(-jnp.inf, lp.dtype)
    alpha0 = jnp.where((pos[None, :] < 2) & alive, lp_ext[0], neg)

    def step(alpha: Array, xs: tuple[Array, Array]) -> tuple[Array, None]:
        lp_t, t = xs
        pad = jnp.full((n, 1), neg)
        a1 = jnp.concatenate([pad, alpha[:, :-1]], axis=1)
        a2 = jnp.where(skip, jnp.concatenate([pad, pad, alpha[:, :-2]], axis=1), neg)
        new = jnp.where(alive, _lse(alpha, a1, a2) + lp_t, neg)
        return jnp.where((t < in_len)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, alpha0, (lp_ext[1:], jnp.arange(1, n_steps)))
    end = (2 * tgt_len)[:, None]
    last = jnp.take_along_axis(alpha, end, axis=1)[:, 0]
    prev = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0), axis=1)[:, 0]
    return -_lse(last, jnp.where(tgt_len > 0, prev, neg))


def _ctc_name(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
              blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> str:  # fmt: skip
    if reduction == "none":
        if log_probs.ndim != 3:
            return "SqueezeBackward1"
        # torch: zero_infinity is at::where(res == inf, 0, res) after _ctc_loss.
        return "WhereBackward0" if zero_infinity else "CtcLossBackward0"
    return "MeanBackward0" if reduction == "mean" else "SumBackward0"


# atol: torch's float32 grads of the 50-step samples are off from the float64 ones by up to
# 1e-4 (measured: 9.7e-5; ours by 6.6e-6), so ours and torch's differ by up to 1.03e-4.
@op("ctc_loss", grad_fn=_ctc_name, namespaces=F, method=False, opinfo=OpInfoTest(
    atol=2e-4, xfail={"gradgrad": (
        "torch's ctc_loss backward has no derivative (\"derivative for "
        "aten::_ctc_loss_backward is not implemented\"); ours differentiates")}))  # fmt: skip
def ctc_loss(log_probs: Array, targets: Array, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Array:  # fmt: skip
    """torch's CTC loss, with torch's gradient: the backward (ctc_loss_backward_cpu) returns
    exp(log_probs) - posteriors, the gradient w.r.t. the logits before log_softmax (equal
    to the log_probs gradient once chained through a log_softmax)."""
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs[:, None]
    n = lp.shape[1]
    in_len = jnp.asarray(input_lengths, jnp.int64).reshape(-1)
    tgt_len = jnp.asarray(target_lengths, jnp.int64).reshape(-1)
    if in_len.shape[0] != n:
        raise RuntimeError(f"Expected input_lengths to have value at most {lp.shape[0]}, but got "
                           f"value {in_len.shape[0]}")  # fmt: skip
    tg = targets if batched or targets.ndim == 2 else targets[None]
    if tg.ndim == 1:  # concatenated targets: padded per batch element
        total = tg.shape[0]
        starts = jnp.cumsum(tgt_len) - tgt_len
        tg = tg[jnp.clip(starts[:, None] + jnp.arange(total)[None, :], 0, max(total - 1, 0))]
    nll = _ctc_nll(lp, tg, in_len, tgt_len, blank)
    # torch's gradient term exp(log_probs) for the steps each element uses; value 0.
    used = (jnp.arange(lp.shape[0])[:, None] < in_len[None, :])[:, :, None]
    e = jnp.exp(lp)
    extra = jnp.sum(jnp.where(used, e - jax.lax.stop_gradient(e), jnp.zeros_like(e)), axis=(0, 2))
    loss = nll + extra
    if zero_infinity:
        loss = jnp.where(jnp.isinf(nll), jnp.zeros_like(loss), loss)
    if reduction == "mean":
        return jnp.mean(loss / jnp.maximum(tgt_len, 1).astype(loss.dtype))
    if reduction == "sum":
        return jnp.sum(loss)
    return loss if batched else loss[0]


@_named
@op("triplet_margin_with_distance_loss", grad_fn=_reduced_name("ClampMinBackward0"),
    namespaces=(), method=False,
    opinfo=OpInfoTest(name="nn.functional.triplet_margin_with_distance_loss"))  # fmt: skip
def triplet_margin_with_distance_loss(dist_pos: Array, dist_neg: Array,
                                      dist_swap: Array | None = None, margin: float = 1.0,
                                      reduction: str = "mean") -> Array:  # fmt: skip
    """The loss of F.triplet_margin_with_distance_loss from the distances its
    distance_function gave (the swap distance too, with `swap`)."""
    if dist_swap is not None:
        dist_neg = jnp.minimum(dist_neg, dist_swap)
    return _reduce(_clamp_min0(margin + dist_pos - dist_neg), reduction)
