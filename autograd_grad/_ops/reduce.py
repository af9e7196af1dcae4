"""Reductions with torch's `dim`/`keepdim` conventions."""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from .. import _dtype, _errors
from ._table import OpInfoTest, op

Array = jax.Array
_NUMBER = (bool, int, float, complex)


def dims(dim: Any, ndim: int, *, empty_is_all: bool = True) -> tuple[int, ...] | None:
    """torch's `dim` argument (int, tuple, list or None) as wrapped axes; None means all.
    An empty list means all dims too (sum, mean, amax, var...), except where `empty_is_all`
    is False (all, any: an empty list reduces nothing)."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    if len(dim) == 0 and empty_is_all:
        return None
    axes = tuple(_errors.wrap_dim(d, ndim) for d in dim)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    return axes if ndim > 0 else ()


def _overload(base: str) -> Any:
    def name(input: Any, dim: Any = None, *args: Any, **kwargs: Any) -> str:
        return f"{base}Backward1" if dim is not None else f"{base}Backward0"

    return name


def _dtype_arg(dtype: Any) -> Any:
    return None if dtype is None else dtype.np


@op("sum", grad_fn=_overload("Sum"), saves=False)
def sum(input: Array, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Array:  # noqa: A001
    d = _dtype_arg(dtype)
    if d is None and (input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.integer)):
        d = jnp.int64  # torch: integer and bool sums are int64
    return jnp.sum(input, axis=dims(dim, input.ndim), keepdims=keepdim, dtype=d)


@op("nansum", grad_fn="NansumBackward0")
def nansum(input: Array, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Array:
    return jnp.nansum(input, axis=dims(dim, input.ndim), keepdims=keepdim, dtype=_dtype_arg(dtype))


@op("mean", grad_fn=_overload("Mean"), saves=False)
def mean(input: Array, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Array:
    d = _dtype.from_np(input.dtype) if dtype is None else dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_dtype.from_np(input.dtype).name.capitalize().replace('Int64', 'Long')}")
    return jnp.mean(input.astype(d.np), axis=dims(dim, input.ndim), keepdims=keepdim)


@op("prod", grad_fn=_overload("Prod"))
def prod(input: Array, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Array:
    d = _dtype_arg(dtype)
    if d is None and (input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.integer)):
        d = jnp.int64
    return jnp.prod(input, axis=dims(dim, input.ndim), keepdims=keepdim, dtype=d)


def _return_type(name: str) -> Any:
    cls = namedtuple(name, ["values", "indices"])  # type: ignore[misc]
    cls.__module__ = "torch.return_types"
    return cls


_RETURN_TYPES = {n: _return_type(n) for n in ("max", "min", "sort", "topk", "kthvalue", "median",
                                               "nanmedian",
                                               "mode", "cummax", "cummin")}  # fmt: skip


def _check_nonempty(input: Array, name: str, dim: Any) -> None:
    if input.size == 0 and dim is None:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument.")


def _max_or_min(reduce: Any, arg: Any, name: str, input: Array, dim: Any, keepdim: bool) -> Any:
    if dim is None:
        _check_nonempty(input, name, None)
        return reduce(input)
    axis = _errors.wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    values = reduce(input, axis=axis, keepdims=keepdim)
    indices = arg(input, axis=axis, keepdims=keepdim).astype(jnp.int64)
    return values, indices


def _max_name(input: Any, dim: Any = None, keepdim: bool = False) -> str:
    if hasattr(dim, "shape"):
        return "MaximumBackward0"
    return "MaxBackward1" if dim is None else "MaxBackward0"


def _min_name(input: Any, dim: Any = None, keepdim: bool = False) -> str:
    if hasattr(dim, "shape"):
        return "MinimumBackward0"
    return "MinBackward1" if dim is None else "MinBackward0"


def _reduce_max(input: Array, axis: Any = None, keepdims: bool = False) -> Array:
    # torch: max's gradient is split evenly among ties (evenly_distribute_backward); jnp.max
    # agrees. NaN propagates as in torch.
    return jnp.max(input, axis=axis, keepdims=keepdims)


def _reduce_min(input: Array, axis: Any = None, keepdims: bool = False) -> Array:
    return jnp.min(input, axis=axis, keepdims=keepdims)


@op("max", grad_fn=_max_name, multi_output=True)
def max(input: Array, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    if hasattr(dim, "shape"):  # torch.max(input, other)
        return (jnp.maximum(*_dtype.promote(input, dim)),)
    out = _max_or_min(_reduce_max, jnp.argmax, "max", input, dim, keepdim)
    return out if isinstance(out, tuple) else (out,)


@op("min", grad_fn=_min_name, multi_output=True)
def min(input: Array, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    if hasattr(dim, "shape"):
        return (jnp.minimum(*_dtype.promote(input, dim)),)
    out = _max_or_min(_reduce_min, jnp.argmin, "min", input, dim, keepdim)
    return out if isinstance(out, tuple) else (out,)


def _max_result(name: str) -> Any:
    def result(*tensors: Any) -> Any:
        return tensors[0] if len(tensors) == 1 else _RETURN_TYPES[name](*tensors)

    return result


max.impl.result_type = _max_result("max")  # type: ignore[attr-defined]
min.impl.result_type = _max_result("min")  # type: ignore[attr-defined]


@op("amax", grad_fn="AmaxBackward0")
def amax(input: Array, dim: Any = (), keepdim: bool = False) -> Array:
    axes = dims(dim, input.ndim)
    return jnp.max(input, axis=axes, keepdims=keepdim)


@op("amin", grad_fn="AminBackward0")
def amin(input: Array, dim: Any = (), keepdim: bool = False) -> Array:
    axes = dims(dim, input.ndim)
    return jnp.min(input, axis=axes, keepdims=keepdim)


@op("argmax", grad_fn=None)
def argmax(input: Array, dim: Any = None, keepdim: bool = False) -> Array:
    if input.ndim == 0 and dim is not None:
        _errors.wrap_dim(dim, 0)
        return jnp.zeros((), jnp.int64)
    if dim is None:
        out = jnp.argmax(input.reshape(-1))
        return (out.reshape((1,) * input.ndim) if keepdim else out).astype(jnp.int64)
    return jnp.argmax(input, axis=_errors.wrap_dim(dim, input.ndim), keepdims=keepdim).astype(jnp.int64)


@op("argmin", grad_fn=None)
def argmin(input: Array, dim: Any = None, keepdim: bool = False) -> Array:
    if input.ndim == 0 and dim is not None:
        _errors.wrap_dim(dim, 0)
        return jnp.zeros((), jnp.int64)
    if dim is None:
        out = jnp.argmin(input.reshape(-1))
        return (out.reshape((1,) * input.ndim) if keepdim else out).astype(jnp.int64)
    return jnp.argmin(input, axis=_errors.wrap_dim(dim, input.ndim), keepdims=keepdim).astype(jnp.int64)


def _correction(unbiased: Any, correction: Any) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _var(input: Array, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> Array:
    if isinstance(dim, bool):  # torch.var(x, True): the old `unbiased` positional
        dim, unbiased = None, dim
    axes = dims(dim, input.ndim)
    n = input.size if axes is None else math.prod(input.shape[a] for a in axes)
    centered = input - jnp.mean(input, axis=axes, keepdims=True)
    sq = jnp.real(centered * jnp.conj(centered))
    return jnp.sum(sq, axis=axes, keepdims=keepdim) / (n - _correction(unbiased, correction))


@op("var", grad_fn="VarBackward0")
def var(input: Array, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Array:  # fmt: skip
    return _var(input, dim, unbiased, keepdim, correction)


@op("std", grad_fn="StdBackward0")
def std(input: Array, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Array:  # fmt: skip
    return jnp.sqrt(_var(input, dim, unbiased, keepdim, correction))


@op("logsumexp", grad_fn="LogsumexpBackward0", namespaces=("torch", "special"))
def logsumexp(input: Array, dim: Any, keepdim: bool = False) -> Array:
    if not (jnp.issubdtype(input.dtype, jnp.floating) or jnp.issubdtype(input.dtype, jnp.complexfloating)):
        input = input.astype(_dtype.get_default_dtype().np)
    return jsp.logsumexp(input, axis=dims(dim, input.ndim), keepdims=keepdim)


def _vector_norm(x: Array, ord: Any, axes: Any, keepdim: bool) -> Array:  # noqa: A002
    a = jnp.abs(x)
    if ord == 2:
        # Note [norm at zero]: torch's gradient of the 2-norm at 0 is 0 (norm_backward masks);
        # sqrt'(0) is inf in JAX, so guard the sum of squares.
        sq = jnp.sum(a * a, axis=axes, keepdims=keepdim)
        safe = jnp.where(sq == 0, jnp.ones_like(sq), sq)
        return jnp.where(sq == 0, jnp.zeros_like(sq), jnp.sqrt(safe))
    if ord == float("inf"):
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == -float("inf"):
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=axes, keepdims=keepdim)
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    return jnp.sum(a**ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)


def _nuclear_norm(x: Array, dim: Any, keepdim: bool) -> Array:
    """torch.linalg.matrix_norm(x, "nuc", dim): the sum of the singular values."""
    axes = dims(dim, x.ndim) or tuple(range(x.ndim))
    if len(axes) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, axes))}")
    sv = jnp.linalg.svd(jnp.moveaxis(x, axes, (-2, -1)), compute_uv=False)
    out = jnp.sum(sv, axis=-1)
    return jnp.expand_dims(out, sorted(axes)) if keepdim else out


def _norm_name(input: Any, p: Any = "fro", *args: Any, **kwargs: Any) -> str:
    # torch.norm: "nuc" is matrix_norm, the sum of svdvals; the rest are vector norms.
    return "SumBackward1" if p == "nuc" else "LinalgVectorNormBackward0"


_NORM_0 = ("torch's backward for p=0 returns an undefined gradient, which autograd.grad gives as "
           "None; here a reachable input always gets a gradient (zeros)")


@op("norm", grad_fn=_norm_name, opinfo=OpInfoTest(xfail={"norm/grad": _NORM_0,
                                                     "norm/batched": _NORM_0}))
def norm(input: Array, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Array:
    x = input if dtype is None else input.astype(dtype.np)
    if p == "nuc":
        return _nuclear_norm(x, dim, keepdim)
    ord_ = 2 if p in ("fro", None) else p
    return _vector_norm(x, ord_, dims(dim, x.ndim), keepdim)


@op("all", grad_fn=None)
def all(input: Array, dim: Any = None, keepdim: bool = False) -> Array:  # noqa: A001
    out = jnp.all(input, axis=dims(dim, input.ndim, empty_is_all=False), keepdims=keepdim)
    return out if input.dtype != jnp.uint8 else out.astype(jnp.uint8)


@op("any", grad_fn=None)
def any(input: Array, dim: Any = None, keepdim: bool = False) -> Array:  # noqa: A001
    out = jnp.any(input, axis=dims(dim, input.ndim, empty_is_all=False), keepdims=keepdim)
    return out if input.dtype != jnp.uint8 else out.astype(jnp.uint8)


@op("count_nonzero", grad_fn=None, out=False)
def count_nonzero(input: Array, dim: Any = None) -> Array:
    return jnp.count_nonzero(input, axis=dims(dim, input.ndim)).astype(jnp.int64)


@op("cumsum", grad_fn="CumsumBackward0", saves=False, inplace="cumsum_")
def cumsum(input: Array, dim: int, *, dtype: Any = None) -> Array:
    d = _dtype_arg(dtype)
    if d is None and (input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.integer)):
        d = jnp.int64
    if input.ndim == 0:
        return input.astype(d) if d is not None else input
    return jnp.cumsum(input, axis=_errors.wrap_dim(dim, input.ndim), dtype=d)


@op("cumprod", grad_fn="CumprodBackward0", inplace="cumprod_")
def cumprod(input: Array, dim: int, *, dtype: Any = None) -> Array:
    d = _dtype_arg(dtype)
    if d is None and (input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.integer)):
        d = jnp.int64
    if input.ndim == 0:
        return input.astype(d) if d is not None else input
    return jnp.cumprod(input, axis=_errors.wrap_dim(dim, input.ndim), dtype=d)


# --- sorting and selection ------------------------------------------------------------------
# Note [Selecting by index]: these ops pick elements by indices computed from the values (an
# integer, non-differentiable path) and read the values with take_along_axis, whose vjp adds
# each grad at its index: torch's value_selecting_reduction_backward / scatter backwards.
# torch's CPU sorts are stable (ties keep their order, NaN is the largest value).


def _returns(name: str) -> Any:
    def result(values: Any, indices: Any) -> Any:
        return _RETURN_TYPES[name](values, indices)

    return result


def _argsort(x: Array, axis: int, descending: bool) -> Array:
    return jnp.argsort(x, axis=axis, stable=True, descending=descending).astype(jnp.int64)


def _select(x: Array, indices: Array, axis: int) -> tuple[Array, Array]:
    return jnp.take_along_axis(x, indices, axis=axis), indices


def _scalar_select(input: Array, dim: Any) -> tuple[Array, Array]:
    """A 0-d input: the value itself at index 0 (dim must be 0 or -1)."""
    if dim is not None:
        _errors.wrap_dim(dim, 0)
    return input, jnp.zeros((), jnp.int64)


@op("sort", grad_fn=lambda input, dim=-1, descending=False, *, stable=None: (
    "SortBackward0" if stable is None else "SortBackward1"), multi_output=True)  # fmt: skip
def sort(input: Array, dim: int = -1, descending: bool = False, *, stable: Any = None) -> Any:
    if input.ndim == 0:
        return _scalar_select(input, dim)
    axis = _errors.wrap_dim(dim, input.ndim)
    return _select(input, _argsort(input, axis, descending), axis)


sort.impl.result_type = _returns("sort")  # type: ignore[attr-defined]


@op("argsort", grad_fn=None, out=False)
def argsort(input: Array, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Array:  # fmt: skip
    if input.ndim == 0:
        return _scalar_select(input, dim)[1]
    return _argsort(input, _errors.wrap_dim(dim, input.ndim), descending)


@op("msort", grad_fn="SortBackward0")
def msort(input: Array) -> Array:
    return sort.impl(input, 0)[0]


_TIES = ("indices of tied values (the int64 samples have many): ours are in stable-sort order, "
         "torch's come from its CPU selection algorithm, which is not stable")


@op("topk", grad_fn="TopkBackward0", multi_output=True,
    opinfo=OpInfoTest(xfail={"forward:int64": _TIES}))
def topk(input: Array, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    if input.ndim == 0:
        if k > 1:
            raise RuntimeError("selected index k out of range")
        return _scalar_select(input, dim)
    axis = _errors.wrap_dim(dim, input.ndim)
    if not 0 <= k <= input.shape[axis]:
        raise RuntimeError("selected index k out of range")
    indices = jax.lax.slice_in_dim(_argsort(input, axis, largest), 0, k, axis=axis)
    return _select(input, indices, axis)


topk.impl.result_type = _returns("topk")  # type: ignore[attr-defined]


def _kth(input: Array, k: Array | int, axis: int, keepdim: bool) -> tuple[Array, Array]:
    """The k-th smallest (0-based, per slice when `k` is an array) along `axis`."""
    order = _argsort(input, axis, False)
    k = jnp.broadcast_to(jnp.asarray(k, jnp.int64), input.shape[:axis] + input.shape[axis + 1:])
    indices = jnp.take_along_axis(order, jnp.expand_dims(k, axis), axis=axis)
    values, indices = _select(input, indices, axis)
    if not keepdim:
        values, indices = jnp.squeeze(values, axis), jnp.squeeze(indices, axis)
    return values, indices


@op("kthvalue", grad_fn="KthvalueBackward0", multi_output=True,
    opinfo=OpInfoTest(xfail={"forward:int64": _TIES}))
def kthvalue(input: Array, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    if input.ndim == 0:
        if k != 1:
            raise RuntimeError("kthvalue(): selected number k out of range for dimension 0")
        return _scalar_select(input, dim)
    axis = _errors.wrap_dim(dim, input.ndim)
    if not 1 <= k <= input.shape[axis]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return _kth(input, k - 1, axis, keepdim)


kthvalue.impl.result_type = _returns("kthvalue")  # type: ignore[attr-defined]


def _evenly(x: Array, value: Array) -> Array:
    """`value` (an element of `x`, or NaN), with the gradient split evenly among the elements
    equal to it: torch's evenly_distribute_backward for median() and nanmedian()."""
    mask = (x == value) | (jnp.isnan(x) & jnp.isnan(value))
    return jnp.sum(jnp.where(mask, x, jnp.zeros_like(x))) / jnp.sum(mask).astype(x.dtype)


def _median(input: Array, dim: Any, keepdim: bool, *, ignore_nan: bool) -> Any:
    if dim is None:
        nans = jnp.sum(_isnan(input))
        flat = input.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            return jnp.full((), jnp.nan, input.dtype)
        if ignore_nan:  # the lower median of the values that are not NaN
            k = jnp.maximum((n - nans - 1) // 2, 0)
        else:  # NaN, if there is one
            k = jnp.where(nans > 0, n - 1, (n - 1) // 2)
        value = jnp.take(jnp.sort(flat), k)
        return _evenly(flat, value) if jnp.issubdtype(flat.dtype, jnp.inexact) else value
    if input.ndim == 0:
        return _scalar_select(input, dim)
    axis = _errors.wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    nans = jnp.sum(_isnan(input), axis=axis)
    if ignore_nan:
        k = jnp.maximum((n - nans - 1) // 2, 0)
    else:  # the first NaN, which the stable sort puts first among the NaNs at the end
        k = jnp.where(nans > 0, n - nans, (n - 1) // 2)
    return _kth(input, k, axis, keepdim)


def _median_name(base: str) -> Any:
    def name(input: Any, dim: Any = None, keepdim: bool = False) -> str:
        return f"{base}Backward0" if dim is None else f"{base}Backward1"

    return name


def _median_result(name: str) -> Any:
    def result(*tensors: Any) -> Any:
        return tensors[0] if len(tensors) == 1 else _RETURN_TYPES[name](*tensors)

    return result


@op("median", grad_fn=_median_name("Median"), multi_output=True)
def median(input: Array, dim: Any = None, keepdim: bool = False) -> Any:
    out = _median(input, dim, keepdim, ignore_nan=False)
    return out if isinstance(out, tuple) else (out,)


@op("nanmedian", grad_fn=_median_name("Nanmedian"), multi_output=True)
def nanmedian(input: Array, dim: Any = None, keepdim: bool = False) -> Any:
    out = _median(input, dim, keepdim, ignore_nan=True)
    return out if isinstance(out, tuple) else (out,)


median.impl.result_type = _median_result("median")  # type: ignore[attr-defined]
nanmedian.impl.result_type = _median_result("nanmedian")  # type: ignore[attr-defined]


def _cumulative_extreme(input: Array, dim: int, pick: Any) -> tuple[Array, Array]:
    """torch's cummax_cummin_helper: a new element wins when it is NaN, or when the running
    value is not NaN and `pick(new, running)` (>= for cummax: ties move to the later index)."""
    if input.ndim == 0:
        return _scalar_select(input, dim)
    axis = _errors.wrap_dim(dim, input.ndim)
    shape = [1] * input.ndim
    shape[axis] = input.shape[axis]
    iota = jnp.arange(input.shape[axis], dtype=jnp.int64).reshape(shape)
    iota = jnp.broadcast_to(iota, input.shape)

    def combine(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
        (va, ia), (vb, ib) = a, b
        b_wins = _isnan(vb) | (~_isnan(va) & pick(vb, va))
        return jnp.where(b_wins, vb, va), jnp.where(b_wins, ib, ia)

    _, indices = jax.lax.associative_scan(combine, (jax.lax.stop_gradient(input), iota), axis=axis)
    return _select(input, indices, axis)


def _isnan(x: Array) -> Array:
    return jnp.isnan(x) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros(x.shape, bool)


@op("cummax", grad_fn="CummaxBackward0", multi_output=True)
def cummax(input: Array, dim: int) -> Any:
    return _cumulative_extreme(input, dim, jnp.greater_equal)


@op("cummin", grad_fn="CumminBackward0", multi_output=True)
def cummin(input: Array, dim: int) -> Any:
    return _cumulative_extreme(input, dim, jnp.less_equal)


cummax.impl.result_type = _returns("cummax")  # type: ignore[attr-defined]
cummin.impl.result_type = _returns("cummin")  # type: ignore[attr-defined]


_LCSE = ("torch's float32 backward loses accuracy on the sample with |x| = 1e4: 2e-3 off the "
         "float64 gradient, ours 2e-7")


@op("logcumsumexp", grad_fn="LogcumsumexpBackward0", opinfo=OpInfoTest(xfail={
    "grad:float32": _LCSE}))
def logcumsumexp(input: Array, dim: int) -> Array:
    if input.ndim == 0:
        _errors.wrap_dim(dim, 0)
        return input
    return jax.lax.cumlogsumexp(input, axis=_errors.wrap_dim(dim, input.ndim))
