"""torch dtypes over numpy/JAX dtypes, and torch's type-promotion rules.

Note [Type promotion]: torch promotes in three priority classes: tensors with
dimensions, zero-dim tensors, and Python numbers ("wrapped numbers"). A lower
class changes the result only when its category (bool < integer < floating <
complex) is higher (c10 `combine_categories`). Below dispatch, a Python number
is still a Python number and a zero-dim tensor is a 0-d array, so the class of
every operand can be read off the operands of an op implementation themselves.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

jax.config.update("jax_enable_x64", True)  # torch has int64/float64; we always pass dtypes.


class dtype:  # noqa: N801 - torch's name
    """A torch dtype: `str(autograd_grad.float32) == "torch.float32"`, as torch prints it."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_complex = self.np.kind == "c"
        self.is_floating_point = self.np.kind == "f" or name == "bfloat16"
        self.is_signed = self.np.kind in "fci" or name == "bfloat16"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        if self.is_complex:
            return self
        if self.name == "float16":
            raise TypeError("autograd_grad has no complex32 dtype (torch.float16.to_complex())")
        if not self.is_floating_point:
            raise RuntimeError(f"Unknown Complex ScalarType for {legacy_name(self)}")
        return complex128 if self.name == "float64" else complex64


float16 = dtype("float16", np.float16)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

ALL_DTYPES = (float16, bfloat16, float32, float64, complex64, complex128,
              int8, int16, int32, int64, uint8, bool_)  # fmt: skip
# torch's aliases: torch.half, torch.float, torch.double, torch.long, ...
ALIASES = {"half": float16, "float": float32, "double": float64, "cfloat": complex64,
           "cdouble": complex128, "short": int16, "int": int32, "long": int64,
           "bool": bool_}  # fmt: skip
_BY_NP = {d.np: d for d in ALL_DTYPES}


def from_np(np_dtype: Any) -> dtype:
    """The torch dtype of a numpy/JAX dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"autograd_grad has no dtype for {np_dtype}") from None


# torch: the default dtype is process-wide (not thread-local, unlike grad mode).
_default: dtype = float32


def get_default_dtype() -> dtype:
    """Same as `torch.get_default_dtype`."""
    return _default


@contextlib.contextmanager
def default_dtype(d: dtype) -> Iterator[None]:
    """The default dtype set to `d` for the block (no checks: `d` was a default already)."""
    global _default
    saved, _default = _default, d
    try:
        yield
    finally:
        _default = saved


def set_default_dtype(d: dtype) -> None:
    """Same as `torch.set_default_dtype`: float32, float64, float16 or bfloat16."""
    global _default
    if not isinstance(d, dtype):
        raise TypeError(
            "invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def default_complex() -> dtype:
    """The dtype of a Python complex (torch: complex128 under a float64 default).

    torch gives complex32 under a float16 default; there is no complex32 here, so complex64."""
    if _default is bfloat16:
        raise RuntimeError("invalid default scalar type for complex")
    return complex128 if _default is float64 else complex64


_LEGACY_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                 "bool": "Bool", "float16": "Half", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
                 "bfloat16": "BFloat16"}  # fmt: skip


def legacy_name(d: dtype) -> str:
    """torch's ScalarType name ("Float", "Long", ...), as its error messages print dtypes."""
    return _LEGACY_NAMES[d.name]


# --- promotion ------------------------------------------------------------

def _category(d: dtype) -> int:
    if d is bool_:
        return 0
    if d.is_complex:
        return 3
    if d.is_floating_point:
        return 2
    return 1


def promote_types(a: dtype, b: dtype) -> dtype:
    """Same as `torch.promote_types` (JAX's lattice agrees on torch's dtypes)."""
    if a is b:
        return a
    if {a.name, b.name} == {"float16", "bfloat16"}:
        return float32
    if _category(a) != _category(b) and max(_category(a), _category(b)) == 3:
        c, other = (a, b) if a.is_complex else (b, a)
        return complex128 if (c is complex128 or other is float64) else complex64
    if _category(a) == 1 and _category(b) == 2:
        return b
    if _category(b) == 1 and _category(a) == 2:
        return a
    return from_np(jnp.promote_types(a.np, b.np))


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10/core/ScalarType.h, combine_categories
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        # complex32 (torch's float16 case) does not exist here: complex64 stands in.
        if not higher.is_floating_point:
            return lower
        return complex128 if higher is float64 else complex64
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


class Weak:
    """A Python number that reaches an op as a 0-d array (a program argument, so a new value
    needs no new program) but promotes as the Python number it was. See Note [Dynamic numbers]
    in _dispatch.py."""

    __slots__ = ("array", "type")

    def __init__(self, array: Any, type: type) -> None:  # noqa: A002
        self.array = array
        self.type = type


def scalar_dtype(x: Any) -> dtype:
    """The dtype a Python number takes when it stands alone (torch.tensor(3.) is float32)."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, float):
        return _default
    if isinstance(x, complex):
        return default_complex()
    raise TypeError(f"not a number: {type(x).__name__}")


def result_type(*operands: Any) -> dtype:
    """torch.result_type over arrays (ndim>0 or 0-d) and Python numbers.

    See Note [Type promotion]."""
    classes: list[dtype | None] = [None, None, None]
    for x in operands:
        if x is None:
            continue
        if isinstance(x, (bool, int, float, complex)):
            k, d = 2, scalar_dtype(x)
        elif isinstance(x, Weak):
            k, d = 2, scalar_dtype(x.type())
        else:
            k, d = (0 if x.ndim > 0 else 1), from_np(x.dtype)
        classes[k] = d if classes[k] is None else promote_types(classes[k], d)  # type: ignore[arg-type]
    out = _combine(classes[0], _combine(classes[1], classes[2]))
    assert out is not None, "result_type needs at least one operand"
    return out


def can_cast(src: dtype, dst: dtype) -> bool:
    """c10 `canCast`, for in-place results: no complex -> real, floating -> integral, or
    anything but bool -> bool."""
    if src.is_complex and not dst.is_complex:
        return False
    if src.is_floating_point and not (dst.is_floating_point or dst.is_complex):
        return False
    return not (src is not bool_ and dst is bool_)


def to_float(d: dtype) -> dtype:
    """Integer and bool results of float ops (sqrt, div, mean...) take the default dtype."""
    return d if (d.is_floating_point or d.is_complex) else _default


_FLOAT_MAX = {d.name: float(ml_dtypes.finfo(d.np).max) for d in (float16, bfloat16, float32)}


def to_device(array: Any) -> jax.Array:
    """A host (numpy) array as a device array. Note [Host arrays]: jnp.asarray copies numpy
    input through a jitted function, an XLA compile for every new shape and dtype;
    jax.device_put copies without one (at a little more per call), so creation and index
    arrays, whose shapes vary, go this way."""
    if isinstance(array, jax.Array):
        return array
    # A copy: on CPU, device_put may alias the numpy buffer, and the caller's array (a torch
    # tensor's storage, say) may change later; torch.tensor always copies.
    return jax.device_put(np.array(array, copy=True))


def cast(x: Any, d: dtype) -> jax.Array:
    """An operand as an array of dtype `d` (Python numbers included)."""
    if isinstance(x, Weak):
        # Casting the float64/int64/complex128 array rounds, overflows to inf and wraps
        # integers as casting the Python number does below (numpy would warn: it is torch's
        # behaviour, so silently).
        a = x.array
        if jnp.iscomplexobj(a) and not d.is_complex:
            a = a.real
        if isinstance(a, np.ndarray):
            with np.errstate(all="ignore"):
                return a.astype(d.np)
        return a.astype(d.np)
    if isinstance(x, (bool, int, float, complex)):
        if type(x) is float and d.is_floating_point and d.itemsize < 8 and math.isfinite(x) and (
                abs(x) > _FLOAT_MAX[d.name]):  # fmt: skip
            x = math.copysign(math.inf, x)  # rounds to inf, as in torch (numpy would warn)
        if type(x) is int and d.np.kind in "iu":
            # torch: a wrapped int64 number is cast with C's wrap-around (int16 + 2**40 wraps).
            bits = 8 * d.itemsize
            x = x % (1 << bits) if d.np.kind == "u" else (x + (1 << (bits - 1))) % (1 << bits) - (
                1 << (bits - 1))  # fmt: skip
        # numpy, not jnp: a 0-d constant costs ~1 µs here, and JAX takes it as a typed constant.
        return np.asarray(x, dtype=d.np)
    if x.dtype == d.np:
        return x
    if jnp.iscomplexobj(x) and not d.is_complex:
        x = jnp.real(x)  # torch drops the imaginary part (JAX would warn)
    return x.astype(d.np)


def promote(*operands: Any) -> list[jax.Array]:
    """All operands cast to their torch result type."""
    d = result_type(*operands)
    return [cast(x, d) for x in operands]


# c10's names for the C++ types, as "value cannot be converted to type ..." prints them.
_C10_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
              "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>", "bool": "bool"}  # fmt: skip


def checked_scalar(value: bool | int | float | complex, d: dtype, name: str | None = None) -> Any:
    """A Python number as dtype `d` would hold it, with c10's `checked_convert` error when it
    does not fit (c10/util/TypeCast.h `overflows`): ints wrap into uint8 from -255, floats
    truncate into integers, infinities and NaN stay in floating dtypes."""
    if d is bool_:
        return bool(value)
    overflow = RuntimeError(
        f"value cannot be converted to type {name or _C10_NAMES[d.name]} without overflow")
    if isinstance(value, complex):
        if d.is_complex:
            real = value.real
        elif value.imag != 0:
            raise overflow
        else:
            value = real = value.real
    else:
        real = float(value)
    if d.is_floating_point or d.is_complex:
        limit = float(ml_dtypes.finfo(d.to_real().np).max)
        if math.isfinite(real) and abs(real) > limit:
            raise overflow
        return value
    info = np.iinfo(d.np)
    if isinstance(value, float):
        if math.isnan(value) or not info.min <= value <= info.max:
            raise overflow
        return int(value)
    number = operator.index(value)
    lowest = -int(info.max) if info.min == 0 else int(info.min)  # uint8 wraps from -255
    if not lowest <= number <= info.max:
        raise overflow
    return number % (int(info.max) + 1) if info.min == 0 else number
