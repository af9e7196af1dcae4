"""Creation functions and random sampling: arrays built from static arguments.

Note [Creation ops]: a creation function (zeros, arange, eye, the *_like and new_* ones, the
signal windows) or a random op (rand, normal, x.uniform_()) is an op like any other: one
table entry whose implementation builds the array, dispatched, deferred into programs (a
created array is a constant XLA folds in). Its implementation carries `creation`, a
`Creation`, which tells dispatch (`_creation.creation_arguments`) how to call it:

- torch's factory keywords (`requires_grad`, `device`, `layout`, `pin_memory`,
  `memory_format`) are taken out of the arguments; the result is a leaf with them;
- a tensor given where torch takes a Scalar (`torch.full((2,), torch.tensor(3.))`, a linspace
  bound) is read as the number it holds, as torch's argument parser does: only the
  parameters named in `operands` (`input` of zeros_like, `mean` of normal) stay tensors;
- an op that `refuses_grad` (resize_) raises torch's error when its tensor requires grad;
- an op `in_place` (torch.resize_as_, a function that changes its argument) moves its first
  argument to the result, in its function as in its method; a `number` op's result is a
  Python number (x.item()), not a tensor;
- a random op (`random`) gets a fresh PRNG key from `generator=` (else the default
  generator) as its `key` operand: an array, so a training step's draws are arguments of
  one program, never constants. The streams differ from torch's (See `_creation.Generator`).

torch gives random ops derivatives of zero (derivatives.yaml "normal", "uniform_", ...), which
`jax.lax.stop_gradient` gives here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np

from .. import _dtype, _errors
from ._table import NOT_IMPLEMENTED, OpInfoTest, op

Array = jax.Array
Dtype = _dtype.dtype
_NUMBER = (bool, int, float, complex)


@dataclass(frozen=True)
class Creation:
    """How dispatch calls a creation or random op (See Note [Creation ops])."""

    operands: tuple[str, ...] = ()  # parameters that stay tensors; other tensors are Scalars
    random: bool = False  # the implementation takes a PRNG key as `key`
    refuses_grad: str | None = None  # torch's error when the first argument requires grad
    in_place: bool = False  # the function and method change their first argument (resize_as_)
    number: bool = False  # the result is a Python number (item)


def creation(operands: tuple[str, ...] = (), random: bool = False,
             refuses_grad: str | None = None, in_place: bool = False,
             number: bool = False) -> Callable[[Any], Any]:  # fmt: skip
    def mark(impl: Any) -> Any:
        impl.creation = Creation(operands, random, refuses_grad, in_place, number)
        return impl

    return mark


# --- arguments ----------------------------------------------------------------------------

def check_size(name: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """A size given as varargs or one sequence, with torch's argument-parser errors."""
    one_sequence = len(size) == 1 and isinstance(size[0], (tuple, list))
    dims = tuple(size[0]) if one_sequence else size
    for i, s in enumerate(dims):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            if len(size) == 1 and not one_sequence:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {type(s).__name__}")  # fmt: skip
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                f"\"type must be tuple of ints,but got {type(s).__name__}\"")
    out = tuple(operator.index(s) for s in dims)
    for s in out:
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _tuple_size(name: str, size: Any, position: int = 1) -> tuple[int, ...]:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}(): argument 'size' (position {position}) must be tuple of ints, "
                        f"not {type(size).__name__}")  # fmt: skip
    return check_size(name, (size,))


def _fill_value(name: str, fill_value: Any) -> bool | int | float | complex:
    if isinstance(fill_value, np.generic) and fill_value.ndim == 0:
        return fill_value.item()  # type: ignore[no-any-return]
    if not isinstance(fill_value, _NUMBER):
        kind = "Tensor" if isinstance(fill_value, jax.Array) else type(fill_value).__name__
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{kind}")  # fmt: skip
    return fill_value


def _number(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _c_number(x: float) -> str:
    """A number as C++'s ostream prints it (torch's error messages)."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def _of(array: Array, dtype: Dtype | None) -> Dtype:
    return dtype or _dtype.from_np(array.dtype)


def _input(name: str, input: Any) -> Array:
    if not isinstance(input, jax.Array):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")  # fmt: skip
    return input


def _filled(shape: tuple[int, ...], value: Any, d: Dtype) -> Array:
    return jnp.full(shape, value, d.np)


# --- zeros, ones, empty, full ---------------------------------------------------------------
# torch leaves empty's memory uninitialised; zeros is one valid choice (the OpInfo entries say
# `has_nondeterministic_output`, and the test compares only shapes and dtypes).

@op("zeros", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def zeros(*size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("zeros", size), 0, dtype or _dtype.get_default_dtype())


@op("ones", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def ones(*size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("ones", size), 1, dtype or _dtype.get_default_dtype())


@op("empty", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def empty(*size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("empty", size), 0, dtype or _dtype.get_default_dtype())


def _check_strides(shape: tuple[int, ...], stride: Any) -> None:
    if len(tuple(stride)) != len(shape):
        raise RuntimeError(f"dimensionality of sizes ({len(shape)}) must match dimensionality of "
                           f"strides ({len(tuple(stride))})")  # fmt: skip


@op("empty_strided", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def empty_strided(size: Any, stride: Any, *, dtype: Dtype | None = None) -> Array:
    shape = _tuple_size("empty_strided", size)
    _check_strides(shape, stride)
    return _filled(shape, 0, dtype or _dtype.get_default_dtype())


@op("empty_permuted", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def empty_permuted(size: Any, physical_layout: Any, *, dtype: Dtype | None = None) -> Array:
    shape = _tuple_size("empty_permuted", size)
    layout = tuple(physical_layout)
    if len(layout) != len(shape):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(shape)} is not equal to "
                           f"len(physical_layout) = {len(layout)}")  # fmt: skip
    for i, d in enumerate(layout):
        if not 0 <= d < len(shape):
            raise RuntimeError(
                f"Dimension out of range (expected to be between 0 and {len(shape) - 1}, but got "
                f"{d} at index {i}).  NB: negative dims not currently supported; file an issue "
                "if you want it.")
    if len(set(layout)) != len(layout):
        raise RuntimeError("Duplicate dim not allowed")
    return _filled(shape, 0, dtype or _dtype.get_default_dtype())


@op("full", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def full(size: Any, fill_value: Any, *, dtype: Dtype | None = None) -> Array:
    """The dtype follows `fill_value` when not given (1 -> int64)."""
    shape = _tuple_size("full", size)
    value = _fill_value("full", fill_value)
    d = dtype or _dtype.scalar_dtype(value)
    return _filled(shape, _dtype.checked_scalar(value, d), d)


@op("scalar_tensor", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def scalar_tensor(s: Any, *, dtype: Dtype | None = None) -> Array:
    value = _fill_value("scalar_tensor", s)
    d = dtype or _dtype.get_default_dtype()
    return _filled((), _dtype.checked_scalar(value, d), d)


# --- *_like and new_* -----------------------------------------------------------------------

@op("zeros_like", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",))
def zeros_like(input: Array, *, dtype: Dtype | None = None) -> Array:
    input = _input("zeros_like", input)
    return _filled(input.shape, 0, _of(input, dtype))


@op("ones_like", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",))
def ones_like(input: Array, *, dtype: Dtype | None = None) -> Array:
    input = _input("ones_like", input)
    return _filled(input.shape, 1, _of(input, dtype))


@op("empty_like", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",))
def empty_like(input: Array, *, dtype: Dtype | None = None) -> Array:
    input = _input("empty_like", input)
    return _filled(input.shape, 0, _of(input, dtype))


@op("full_like", out=False, grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",))
def full_like(input: Array, fill_value: Any, *, dtype: Dtype | None = None) -> Array:
    input = _input("full_like", input)
    d = _of(input, dtype)
    return _filled(input.shape, _dtype.checked_scalar(_fill_value("full_like", fill_value), d), d)


@op("new_zeros", grad_fn=None, method="new_zeros", namespaces=(), opinfo=OpInfoTest())
@creation(operands=("self",))
def new_zeros(self: Array, *size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("new_zeros", size), 0, _of(self, dtype))


@op("new_ones", grad_fn=None, method="new_ones", namespaces=(), opinfo=OpInfoTest())
@creation(operands=("self",))
def new_ones(self: Array, *size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("new_ones", size), 1, _of(self, dtype))


@op("new_empty", grad_fn=None, method="new_empty", namespaces=(), opinfo=OpInfoTest())
@creation(operands=("self",))
def new_empty(self: Array, *size: Any, dtype: Dtype | None = None) -> Array:
    return _filled(check_size("new_empty", size), 0, _of(self, dtype))


@op("new_empty_strided", grad_fn=None, method="new_empty_strided", namespaces=(),
    opinfo=OpInfoTest())  # fmt: skip
@creation(operands=("self",))
def new_empty_strided(self: Array, size: Any, stride: Any, *,
                      dtype: Dtype | None = None) -> Array:  # fmt: skip
    shape = _tuple_size("new_empty_strided", size)
    _check_strides(shape, stride)
    return _filled(shape, 0, _of(self, dtype))


@op("new_full", grad_fn=None, method="new_full", namespaces=(), opinfo=OpInfoTest())
@creation(operands=("self",))
def new_full(self: Array, size: Any, fill_value: Any, *, dtype: Dtype | None = None) -> Array:
    d = _of(self, dtype)
    value = _fill_value("new_full", fill_value)
    return _filled(_tuple_size("new_full", size), _dtype.checked_scalar(value, d), d)


# --- eye, arange, linspace, logspace --------------------------------------------------------

@op("eye", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def eye(n: int, m: int | None = None, *, dtype: Dtype | None = None) -> Array:
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")  # fmt: skip
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    d = dtype or _dtype.get_default_dtype()
    return jnp.eye(n, n if m is None else m, dtype=d.np)


@op("arange", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Dtype | None = None) -> Array:
    """int64 for integer arguments, else the default dtype (aten RangeFactories.cpp)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    integral = all(isinstance(a, int) for a in (start, end, step))
    d = dtype or (_dtype.int64 if integral else _dtype.get_default_dtype())
    if d is _dtype.bool_ or d.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_dtype.legacy_name(d)}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    is_int = not d.is_floating_point
    if is_int and int(step) == 0:
        raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_c_number(start)} -> {_c_number(end)}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is _dtype.int64:
        xstart, xend, xstep = int(start), int(end), int(step)
        sign = 1 if xstep > 0 else -1
        span = xend - xstart + xstep - sign
        n = abs(span) // abs(xstep) * (1 if (span >= 0) == (xstep > 0) else -1)  # C division
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    n = max(0, n)
    if is_int:
        values = int(start) + int(step) * jnp.arange(n, dtype=jnp.int64)
    else:
        # torch accumulates in double for float32/float64 and in float for float16/bfloat16.
        acc = jnp.float64 if d.itemsize >= 4 else jnp.float32
        values = jnp.asarray(start, acc) + jnp.asarray(step, acc) * jnp.arange(n, dtype=acc)
    return values.astype(d.np)


def _narrow(values: Any, d: Dtype) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # torch: out-of-range floats become inf
        return np.asarray(values).astype(d.np)


def _compute_type(d: Dtype) -> Any:
    """The precision torch's range kernels compute in: the output's for floating and complex
    dtypes (float for float16/bfloat16), double for integers."""
    if d.is_complex:
        return d.np.type
    if d.is_floating_point:
        return np.float64 if d is _dtype.float64 else np.float32
    return np.float64


def linspace_values(start: Any, end: Any, steps: int, d: Dtype) -> np.ndarray:
    """aten linspace_kernel: start + step * i for the first half, end - step * (steps - 1 - i)
    for the second, in the output precision (float for float16/bfloat16, double for ints).
    Computed on the host, as the kernel's exact rounding is the point."""
    compute = _compute_type(d)
    # Scalar::to<scalar_t>: checked, so an out-of-range start or end is torch's error.
    start, end = _dtype.checked_scalar(start, d), _dtype.checked_scalar(end, d)
    if d.is_floating_point and d.itemsize < 4:
        lo = np.asarray(start, np.float32).astype(d.np).astype(np.float32)
        hi = np.asarray(end, np.float32).astype(d.np).astype(np.float32)
    else:
        lo, hi = np.asarray(start, compute), np.asarray(end, compute)
    if steps == 1:
        return np.full((1,), lo)
    step = (hi - lo) / compute(steps - 1)
    if d.is_floating_point and d.itemsize < 4:
        step = step.astype(d.np).astype(np.float32)
    i = np.arange(steps).astype(compute)
    rev = (steps - 1 - np.arange(steps)).astype(compute)
    return np.where(np.arange(steps) < steps // 2, lo + step * i, hi - step * rev)


def _range_arguments(name: str, start: Any, end: Any, steps: Any) -> tuple[Any, Any]:
    start, end = _number(start), _number(end)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        names = ", ".join(type(a).__name__ for a in (start, end, steps))
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({names}), but "
            "expected one of:")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return start, end


def _range_dtype(name: str, start: Any, end: Any, dtype: Dtype | None) -> Dtype:
    complex_args = isinstance(start, complex) or isinstance(end, complex)
    d = dtype or (_dtype.default_complex() if complex_args else _dtype.get_default_dtype())
    if d is _dtype.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    return d


@op("linspace", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def linspace(start: Any, end: Any, steps: int, *, dtype: Dtype | None = None) -> Array:
    """Computed as torch's CPU kernel does: from `start` for the first half and from `end`
    for the second, in the output's precision (double for integers)."""
    start, end = _range_arguments("linspace", start, end, steps)
    d = _range_dtype("linspace", start, end, dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # out of range: inf, as in torch
        return jnp.asarray(_narrow(linspace_values(start, end, steps, d), d))


@op("logspace", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation()
def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *,
             dtype: Dtype | None = None) -> Array:  # fmt: skip
    """aten logspace_kernel: base ** (the linspace kernel's exponents), the power taken in
    double for integer dtypes and in the output's precision otherwise."""
    start, end = _range_arguments("logspace", start, end, steps)
    d = _range_dtype("logspace", start, end, dtype)
    compute = _compute_type(d)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if steps == 0:
            return jnp.zeros((0,), d.np)
        if not (d.is_floating_point or d.is_complex):
            start, end = int(_dtype.checked_scalar(start, d)), int(_dtype.checked_scalar(end, d))
        exponents = linspace_values(start, end, steps, d)
        values = np.power(compute(base), exponents.astype(compute))
        return jnp.asarray(_narrow(values, d))


# --- signal windows (torch/signal/windows/windows.py) --------------------------------------

def _window_checks(name: str, M: int, dtype: Dtype | None) -> Dtype:
    d = dtype or _dtype.get_default_dtype()
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if d not in (_dtype.float32, _dtype.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {d}")
    return d


def _window_linspace(start: Any, end: Any, M: int, d: Dtype) -> Array:
    return jnp.asarray(_narrow(linspace_values(start, end, M, d), d))


def _window(name: str) -> Any:
    return op(name, grad_fn=None, method=False, namespaces=("signal.windows",), out=False,
              opinfo=OpInfoTest(name=f"signal.windows.{name}"))  # fmt: skip


@_window("exponential")
@creation()
def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype: Dtype | None = None) -> Array:  # fmt: skip
    d = _window_checks("exponential", M, dtype)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return jnp.zeros((0,), d.np)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = _window_linspace(-center * constant, (-center + (M - 1)) * constant, M, d)
    return jnp.exp(-jnp.abs(k))


@_window("cosine")
@creation()
def cosine(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    d = _window_checks("cosine", M, dtype)
    if M == 0:
        return jnp.zeros((0,), d.np)
    constant = math.pi / (M + 1 if not sym and M > 1 else M)
    k = _window_linspace(0.5 * constant, (0.5 + (M - 1)) * constant, M, d)
    return jnp.sin(k)


@_window("gaussian")
@creation()
def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Dtype | None = None) -> Array:
    d = _window_checks("gaussian", M, dtype)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return jnp.zeros((0,), d.np)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = _window_linspace(start * constant, (start + (M - 1)) * constant, M, d)
    return jnp.exp(-(k**2))


@_window("kaiser")
@creation()
def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Dtype | None = None) -> Array:
    d = _window_checks("kaiser", M, dtype)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return jnp.ones((M,), d.np)
    # torch computes the bounds as tensors of the window's dtype ("Avoid NaNs").
    b = d.np.type(beta)
    start = -b
    constant = d.np.type(2.0) * b / d.np.type(M if not sym else M - 1)
    end = min(b, start + d.np.type(M - 1) * constant)
    k = _window_linspace(float(start), float(end), M, d)
    beta_ = jnp.asarray(b, d.np)
    return jsp.i0(jnp.sqrt(beta_ * beta_ - jnp.power(k, 2))) / jsp.i0(beta_)


@_window("bartlett")
@creation()
def bartlett(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    d = _window_checks("bartlett", M, dtype)
    if M <= 1:
        return jnp.ones((M,), d.np)
    constant = 2 / (M if not sym else M - 1)
    k = _window_linspace(-1, -1 + (M - 1) * constant, M, d)
    return 1 - jnp.abs(k)


def _general_cosine(name: str, M: int, a: Any, sym: bool, dtype: Dtype | None) -> Array:
    d = _window_checks(name, M, dtype)
    if M <= 1:
        return jnp.ones((M,), d.np)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * math.pi / (M if not sym else M - 1)
    k = _window_linspace(0, (M - 1) * constant, M, d)
    a_i = jnp.asarray([(-1) ** i * w for i, w in enumerate(a)], d.np)
    i = jnp.arange(a_i.shape[0], dtype=d.np)
    return (a_i[:, None] * jnp.cos(i[:, None] * k)).sum(0)


@_window("general_cosine")
@creation()
def general_cosine(M: int, *, a: Any, sym: bool = True, dtype: Dtype | None = None) -> Array:
    return _general_cosine("general_cosine", M, a, sym, dtype)


@_window("general_hamming")
@creation()
def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True,
                    dtype: Dtype | None = None) -> Array:  # fmt: skip
    return _general_cosine("general_cosine", M, [alpha, 1.0 - alpha], sym, dtype)


@_window("hamming")
@creation()
def hamming(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    return _general_cosine("general_cosine", M, [0.54, 0.46], sym, dtype)


@_window("hann")
@creation()
def hann(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    return _general_cosine("general_cosine", M, [0.5, 0.5], sym, dtype)


@_window("blackman")
@creation()
def blackman(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    _window_checks("blackman", M, dtype)
    return _general_cosine("general_cosine", M, [0.42, 0.5, 0.08], sym, dtype)


@_window("nuttall")
@creation()
def nuttall(M: int, *, sym: bool = True, dtype: Dtype | None = None) -> Array:
    return _general_cosine("general_cosine", M, [0.3635819, 0.4891775, 0.1365995, 0.0106411],
                           sym, dtype)  # fmt: skip


# --- random ---------------------------------------------------------------------------------
# Each implementation draws from `key` (uint32 key data; See Note [Creation ops]).

def _key(key: Array) -> Array:
    return jax.random.wrap_key_data(key)


def _uniform(k: Array, shape: tuple[int, ...], d: Dtype, low: Any = 0.0,
             high: Any = 1.0) -> Array:  # fmt: skip
    """Uniform on [low, high) from the typed key `k`; complex: real and imaginary parts each
    (torch's view_as_real)."""
    if d.is_complex:
        re, im = jax.random.split(k)
        real = d.to_real().np
        return jax.lax.complex(jax.random.uniform(re, shape, real, low, high),
                               jax.random.uniform(im, shape, real, low, high))  # fmt: skip
    if d.is_floating_point and d.itemsize < 4:
        return jax.random.uniform(k, shape, jnp.float32, low, high).astype(d.np)
    return jax.random.uniform(k, shape, d.np, low, high)


def _normal(k: Array, shape: tuple[int, ...], d: Dtype) -> Array:
    """Standard normals from the typed key `k`; JAX, like torch's randn, gives complex
    normals with variance 1/2 per part."""
    if d.is_floating_point and d.itemsize < 4:
        return jax.random.normal(k, shape, jnp.float32).astype(d.np)
    return jax.random.normal(k, shape, d.np)


def _floating(kernel: str, d: Dtype) -> Dtype:
    if not (d.is_floating_point or d.is_complex):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.legacy_name(d)}'")
    return d


@op("rand", grad_fn=None, method=False, opinfo=None)
@creation(random=True)
def rand(*size: Any, dtype: Dtype | None = None, key: Array) -> Array:
    d = _floating("check_uniform_bounds", dtype or _dtype.get_default_dtype())
    return _uniform(_key(key), check_size("rand", size), d)


@op("randn", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(random=True)
def randn(*size: Any, dtype: Dtype | None = None, key: Array) -> Array:
    d = _floating("normal_kernel_cpu", dtype or _dtype.get_default_dtype())
    return _normal(_key(key), check_size("randn", size), d)


@op("rand_like", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",), random=True)
def rand_like(input: Array, *, dtype: Dtype | None = None, key: Array) -> Array:
    input = _input("rand_like", input)
    return _uniform(_key(key), input.shape, _floating("check_uniform_bounds", _of(input, dtype)))


@op("randn_like", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",), random=True)
def randn_like(input: Array, *, dtype: Dtype | None = None, key: Array) -> Array:
    input = _input("randn_like", input)
    return _normal(_key(key), input.shape, _floating("normal_kernel_cpu", _of(input, dtype)))


@op("randperm", grad_fn=None, method=False, opinfo=None)
@creation(random=True)
def randperm(n: int, *, dtype: Dtype | None = None, key: Array) -> Array:
    (count,) = check_size("randperm", (n,))
    d = dtype or _dtype.int64
    return jax.random.permutation(_key(key), count).astype(d.np)


def _random_ints(key: Array, shape: tuple[int, ...], low: int, high: int, d: Dtype) -> Array:
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if d is _dtype.bool_ and high > 2:
        raise RuntimeError("to - 1 is out of bounds for bool")
    values = jax.random.randint(_key(key), shape, int(low), int(high), jnp.int64)
    return values.astype(d.np)


def _int_argument(name: str, arg: str, v: Any, position: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be int, not "
                        f"{type(v).__name__}")  # fmt: skip
    return int(v)


@op("randint", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(random=True)
def randint(low: Any = 0, high: Any = None, size: Any = None, *, dtype: Dtype | None = None,
            key: Array) -> Array:  # fmt: skip
    """torch.randint(high, size) or torch.randint(low, high, size)."""
    size_position = 3
    if size is None:
        low, high, size = 0, low, high
        size_position = 2
    low = _int_argument("randint", "low", low, 1)
    high = _int_argument("randint", "high", high, size_position - 1)
    shape = _tuple_size("randint", size, size_position)
    return _random_ints(key, shape, low, high, dtype or _dtype.int64)


@op("randint_like", grad_fn=None, method=False, opinfo=OpInfoTest())
@creation(operands=("input",), random=True)
def randint_like(input: Array, low: Any = 0, high: Any = None, *, dtype: Dtype | None = None,
                 key: Array) -> Array:  # fmt: skip
    """torch.randint_like(input, high) or torch.randint_like(input, low, high)."""
    input = _input("randint_like", input)
    if high is None:
        low, high = 0, low
    low = _int_argument("randint_like", "low", low, 2)
    high = _int_argument("randint_like", "high", high, 3)
    return _random_ints(key, input.shape, low, high, _of(input, dtype))


def _bernoulli_name(input: Any, p: Any = None, **_: Any) -> str:
    # torch: bernoulli(input) is BernoulliBackward0; bernoulli(input, p) has no formula.
    return "BernoulliBackward0" if p is None else NOT_IMPLEMENTED


@op("bernoulli", grad_fn=_bernoulli_name, saves=False, opinfo=OpInfoTest())
@creation(operands=("input", "p"), random=True)
def bernoulli(input: Array, p: Any = None, *, key: Array) -> Array:
    """Ones with probability `p` (default: `input`'s values), in input's dtype; derivative
    zero, as in torch."""
    d = _floating("bernoulli_tensor_cpu_self_", _dtype.from_np(input.dtype))
    prob = input if p is None else p
    u = _uniform(_key(key), input.shape, _dtype.float64 if d is _dtype.float64 else _dtype.float32)
    return jax.lax.stop_gradient((u < prob).astype(d.np))


def _normal_name(mean: Any, std: Any = 1.0, *_: Any, **__: Any) -> str:
    tensors = (isinstance(mean, jax.Array) or hasattr(mean, "_value"),
               isinstance(std, jax.Array) or hasattr(std, "_value"))  # fmt: skip
    return {(True, True): "NormalBackward3", (True, False): "NormalBackward1",
            (False, True): "NormalBackward2"}.get(tensors, NOT_IMPLEMENTED)  # fmt: skip


@op("normal", grad_fn=_normal_name, saves=False, method=False,
    opinfo=OpInfoTest())  # every variant: normal.in_place runs x.normal_ (below)
@creation(operands=("mean", "std"), random=True)
def normal(mean: Any, std: Any = 1.0, size: Any = None, *, dtype: Dtype | None = None,
           key: Array) -> Array:  # fmt: skip
    """normal(Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std),
    or (float mean, float std, size): mean + std * N(0, 1); derivative zero, as in torch."""
    tensors = [a for a in (mean, std) if isinstance(a, jax.Array)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected one of:")  # fmt: skip
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")
        d = _floating("normal_kernel_cpu", dtype or _dtype.get_default_dtype())
        shape = _tuple_size("normal", size, 3)
        return mean + std * _normal(_key(key), shape, d)
    if not isinstance(std, jax.Array) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")
    d = _dtype.from_np(tensors[0].dtype) if len(tensors) == 1 else _dtype.from_np(
        jnp.result_type(*tensors))  # fmt: skip
    _floating("normal_kernel_cpu", d)
    shape = jnp.broadcast_shapes(*(t.shape for t in tensors))
    out = jnp.asarray(mean, d.np) + jnp.asarray(std, d.np) * _normal(_key(key), shape, d)
    return jax.lax.stop_gradient(out)


@op("multinomial", grad_fn=None, opinfo=OpInfoTest())
@creation(operands=("input",), random=True)
def multinomial(input: Array, num_samples: int, replacement: bool = False, *,
                key: Array) -> Array:  # fmt: skip
    """Category indices drawn by the rows of `input` (weights, not necessarily normalised):
    with replacement by inverse CDF, without by the Gumbel top-k trick."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype.legacy_name(_dtype.from_np(input.dtype))}")  # fmt: skip
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")  # fmt: skip
    if not _errors.is_traced(input):
        values = np.asarray(input)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(values.reshape(-1, n).sum(-1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = input.reshape(-1, n).astype(jnp.float64)
    k = _key(key)
    if replacement:
        cdf = jnp.cumsum(rows, -1)
        u = jax.random.uniform(k, (rows.shape[0], num_samples), jnp.float64) * cdf[:, -1:]
        out = jax.vmap(lambda c, v: jnp.searchsorted(c, v, side="right"))(cdf, u)
        out = jnp.minimum(out, n - 1)
    else:
        gumbel = jax.random.gumbel(k, rows.shape, jnp.float64)
        scores = jnp.where(rows > 0, jnp.log(rows) + gumbel, -jnp.inf)
        out = jax.lax.top_k(scores, num_samples)[1]
    return out.reshape(*input.shape[:-1], num_samples).astype(jnp.int64)


# In-place random fills: x.uniform_(), x.normal_()... (torch has no out-of-place form).

def _fill(name: str, grad_fn: str | Callable[..., str], tested: bool = True) -> Any:
    # op_db names them without the underscore; normal_ is the "normal" entry's in_place variant,
    # and op_db's "bernoulli" is torch.bernoulli.
    entry = name.removesuffix("_")
    return op(name, grad_fn=grad_fn, saves=False, method=None, inplace=name, namespaces=(),
              out=False, opinfo=OpInfoTest(name=entry) if tested else None)  # fmt: skip


@_fill("uniform_", "UniformBackward0")
@creation(operands=("self",), random=True)
def uniform_(self: Array, from_: float = 0.0, to: float = 1.0, *, key: Array) -> Array:
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_c_number(from_)} > to={_c_number(to)}")  # fmt: skip
    d = _floating("check_uniform_bounds", _dtype.from_np(self.dtype))
    return jax.lax.stop_gradient(_uniform(_key(key), self.shape, d, from_, to))


@_fill("normal_", "NormalBackward0", tested=False)
@creation(operands=("self",), random=True)
def normal_(self: Array, mean: float = 0.0, std: float = 1.0, *, key: Array) -> Array:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")
    d = _floating("normal_kernel_cpu", _dtype.from_np(self.dtype))
    if d.is_complex:  # torch: view_as_real(self).normal_(mean, std / sqrt(2))
        re, im = jax.random.split(_key(key))
        s = std / math.sqrt(2)
        real = d.to_real()
        return jax.lax.stop_gradient(jax.lax.complex(mean + s * _normal(re, self.shape, real),
                                                     mean + s * _normal(im, self.shape, real)))
    return jax.lax.stop_gradient(mean + std * _normal(_key(key), self.shape, d))


@_fill("cauchy_", "CauchyBackward0")
@creation(operands=("self",), random=True)
def cauchy_(self: Array, median: float = 0.0, sigma: float = 1.0, *, key: Array) -> Array:
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_c_number(sigma)}")
    d = _floating("cauchy_cpu", _dtype.from_np(self.dtype))
    u = _uniform(_key(key), self.shape, _dtype.float64 if d is _dtype.float64 else _dtype.float32)
    out = median + sigma * jnp.tan(math.pi * (u - 0.5))
    return jax.lax.stop_gradient(out.astype(d.np))


@_fill("exponential_", "ExponentialBackward0")
@creation(operands=("self",), random=True)
def exponential_(self: Array, lambd: float = 1.0, *, key: Array) -> Array:
    if lambd <= 0:
        raise RuntimeError(
            f"exponential_ expects lambda > 0.0, but found lambda={_c_number(lambd)}")
    d = _floating("exponential_cpu", _dtype.from_np(self.dtype))
    u = _uniform(_key(key), self.shape, _dtype.float64 if d is _dtype.float64 else _dtype.float32)
    return jax.lax.stop_gradient((-jnp.log1p(-u) / lambd).astype(d.np))


@_fill("geometric_", "GeometricBackward0")
@creation(operands=("self",), random=True)
def geometric_(self: Array, p: float, *, key: Array) -> Array:
    """The number of Bernoulli(p) trials up to the first success (1, 2, ...), any dtype."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_c_number(p)}")
    u = jax.random.uniform(_key(key), self.shape, jnp.float64)
    out = jnp.ceil(jnp.log1p(-u) / math.log1p(-p))
    return jax.lax.stop_gradient(jnp.maximum(out, 1).astype(self.dtype))


@_fill("log_normal_", "LogNormalBackward0")
@creation(operands=("self",), random=True)
def log_normal_(self: Array, mean: float = 1.0, std: float = 2.0, *, key: Array) -> Array:
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_c_number(std)}")
    d = _floating("log_normal_cpu", _dtype.from_np(self.dtype))
    return jax.lax.stop_gradient(jnp.exp(mean + std * _normal(_key(key), self.shape, d)))


def _bernoulli_fill_name(self: Any, p: Any = 0.5, **_: Any) -> str:
    # torch: derivatives.yaml bernoulli_.Tensor, then bernoulli_.float
    return "BernoulliBackward2" if isinstance(p, _NUMBER) else "BernoulliBackward1"


@_fill("bernoulli_", _bernoulli_fill_name, tested=False)
@creation(operands=("self", "p"), random=True)
def bernoulli_(self: Array, p: Any = 0.5, *, key: Array) -> Array:
    """Ones with probability `p` (a number, or a tensor broadcast to self), in self's dtype."""
    if isinstance(p, _NUMBER) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_c_number(p)}")
    d = _dtype.from_np(self.dtype)
    compute = _dtype.float64 if d is _dtype.float64 else _dtype.float32
    u = _uniform(_key(key), self.shape, compute)
    return jax.lax.stop_gradient((u < jnp.broadcast_to(p, self.shape)).astype(d.np))


def _random_fill_name(self: Any, from_: Any = None, to: Any = None, **_: Any) -> str:
    # torch: derivatives.yaml random_.from, random_.to, random_
    if from_ is None:
        return "RandomBackward2"
    return "RandomBackward1" if to is None else "RandomBackward0"


# random_()'s upper bound: floats' integers that are exact (2 ** digits), integers' maximum.
_RANDOM_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


@_fill("random_", _random_fill_name, tested=False)
@creation(operands=("self",), random=True)
def random_(self: Array, from_: int | None = None, to: int | None = None, *,
            key: Array) -> Array:  # fmt: skip
    """Integers on [from, to): x.random_(to) from 0, x.random_() on [0, 2 ** digits] for
    floating dtypes and [0, max] for integer ones."""
    d = _dtype.from_np(self.dtype)
    k = _key(key)
    if from_ is None:
        if d is _dtype.bool_:
            return jax.random.bernoulli(k, 0.5, self.shape)
        if d.name in _RANDOM_DIGITS:
            values = jax.random.randint(k, self.shape, 0, 2 ** _RANDOM_DIGITS[d.name] + 1,
                                        jnp.int64)  # fmt: skip
        else:  # [0, max]: the top bits of 64 random bits
            shift = 64 - (np.iinfo(d.np).bits - (1 if np.iinfo(d.np).min < 0 else 0))
            values = jax.random.bits(k, self.shape, jnp.uint64) >> shift
        return jax.lax.stop_gradient(values.astype(d.np))
    low, high = (0, from_) if to is None else (from_, to)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not (d.is_floating_point or d.is_complex):
        info = np.iinfo(d.np)
        if high - 1 > info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_TYPES.get(d.name, d.name)}")
    return jax.lax.stop_gradient(_random_ints(key, self.shape, low, high, d))


_C_TYPES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long"}  # fmt: skip


# --- Python numbers and shape changes in place -----------------------------------------------------------------

@op("resize_", grad_fn=None, method=None, inplace="resize_", namespaces=(), out=False,
    opinfo=OpInfoTest())  # fmt: skip
@creation(operands=("self",), refuses_grad="cannot resize variables that require grad")
def resize_(self: Array, *size: Any, memory_format: Any = None) -> Array:
    """torch keeps the first elements in order; new elements are uninitialised (zeros here)."""
    return _resized(self, check_size("resize_", size))


def _resized(self: Array, shape: tuple[int, ...]) -> Array:
    n = math.prod(shape)
    flat = self.reshape(-1)
    if n > flat.size:
        flat = jnp.concatenate([flat, jnp.zeros((n - flat.size,), flat.dtype)])
    return flat[:n].reshape(shape)


_RESIZE_GRAD = "cannot resize variables that require grad"


@op("resize_as_", grad_fn=None, method="resize_as_", out=False, opinfo=OpInfoTest())
@creation(operands=("self", "the_template"), refuses_grad=_RESIZE_GRAD, in_place=True)
def resize_as_(self: Array, the_template: Array, *, memory_format: Any = None) -> Array:
    """torch.resize_as_(x, y) and x.resize_as_(y): x takes y's shape (See resize_)."""
    if not isinstance(the_template, jax.Array):
        raise TypeError("resize_as_(): argument 'the_template' (position 2) must be Tensor, not "
                        f"{type(the_template).__name__}")  # fmt: skip
    return _resized(self, the_template.shape)


@op("item", grad_fn=None, method="item", namespaces=(), out=False, opinfo=OpInfoTest())
@creation(operands=("self",), number=True)
def item(self: Array) -> Array:
    """The one element, as a Python number (bool, int, float or complex by dtype)."""
    if self.size != 1:
        raise RuntimeError(f"a Tensor with {self.size} elements cannot be converted to Scalar")
    return self.reshape(())
