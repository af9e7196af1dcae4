"""Special functions (`torch.special`) and the rest of torch's elementwise math."""

from __future__ import annotations

import dataclasses
import math
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax.custom_derivatives import SymbolicZero

from .. import _dtype, _errors
from . import pointwise
from ._table import BINARY, FLOAT, NONE, NOT_IMPLEMENTED, OPS, OpInfoTest, op

Array = jax.Array
_NUMBER = (bool, int, float, complex)
_SQRT_2PI = math.sqrt(2 * math.pi)
_SPECIAL = ("special",)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else ()


def _broadcast(*xs: Any) -> list[Array]:
    """Operands broadcast to one shape (torch's error first), so a custom rule's tangents
    have the output's shape."""
    shape: tuple[int, ...] = ()
    for x in xs:
        shape = _errors.broadcast_shapes(shape, _shape(x))
    return [jnp.broadcast_to(x, shape) for x in xs]


def _instantiate(t: Any, like: Array) -> Array:
    return jnp.zeros_like(like) if isinstance(t, SymbolicZero) else t


def _no_input_grad(t: Any, what: str) -> None:
    """torch's `not_implemented(what)` formula (derivatives.yaml): raised when backward needs
    that input's gradient, which is when its tangent is not a symbolic zero."""
    if not isinstance(t, SymbolicZero):
        raise NotImplementedError(f"the derivative for '{what}' is not implemented.")


def _special_name(name: str) -> str:
    # torch's codegen: special_log_ndtr -> SpecialLogNdtrBackward0.
    return "".join(part.title() for part in ("special_" + name).split("_")) + "Backward0"


# --- unary special functions with derivatives ----------------------------------------------

@jax.custom_jvp
def _entr(x: Array) -> Array:
    # torch: calc_entr: -x log x for x > 0, 0 at 0, -inf below, nan for nan.
    positive = jnp.where(x > 0, x, jnp.ones_like(x))
    out = jnp.where(x > 0, -positive * jnp.log(positive),
                    jnp.where(x == 0, jnp.zeros_like(x), jnp.full_like(x, -jnp.inf)))
    return jnp.where(jnp.isnan(x), x, out)


@_entr.defjvp
def _entr_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    return _entr(x), t * -(1 + jnp.log(x))  # torch: derivatives.yaml "special_entr"


@jax.custom_jvp
def _erfcx(x: Array) -> Array:
    return jsp.erfcx(x)


@_erfcx.defjvp
def _erfcx_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _erfcx(x)
    return out, (2.0 * x * out - 2.0 / math.sqrt(math.pi)) * t  # derivatives.yaml


@jax.custom_jvp
def _i0e(x: Array) -> Array:
    return jsp.i0e(x)


@_i0e.defjvp
def _i0e_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _i0e(x)
    return out, (_i1e(x) - jnp.sign(x) * out) * t  # derivatives.yaml "special_i0e"


def _safe_x(x: Array) -> tuple[Array, Array]:
    # torch: i1_backward/i1e_backward replace |x| <= eps by eps and give 0.5 there.
    eps = jnp.finfo(x.dtype).eps
    not_tiny = jnp.abs(x) > eps
    return not_tiny, jnp.where(not_tiny, x, jnp.full_like(x, eps))


@jax.custom_jvp
def _i1(x: Array) -> Array:
    return jsp.i1(x)


@_i1.defjvp
def _i1_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _i1(x)
    not_tiny, safe = _safe_x(x)
    dx = pointwise._i0(safe) - out / safe
    return out, jnp.where(not_tiny, dx, jnp.full_like(x, 0.5)) * t


@jax.custom_jvp
def _i1e(x: Array) -> Array:
    return jsp.i1e(x)


@_i1e.defjvp
def _i1e_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _i1e(x)
    not_tiny, safe = _safe_x(x)
    dx = _i0e(safe) - out * (jnp.sign(safe) + 1 / safe)
    return out, jnp.where(not_tiny, dx, jnp.full_like(x, 0.5)) * t


@jax.custom_jvp
def _ndtri(x: Array) -> Array:
    return jsp.ndtri(x)


@_ndtri.defjvp
def _ndtri_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _ndtri(x)
    return out, _SQRT_2PI * jnp.exp(jnp.square(out) / 2) * t  # derivatives.yaml


@jax.custom_jvp
def _log_ndtr(x: Array) -> Array:
    # torch: calc_log_ndtr, through erfcx below -1 and log1p(-erfc / 2) above.
    t = x * math.sqrt(0.5)
    low = jnp.log(_erfcx(-t) / 2) - t * t
    high = jnp.log1p(-jsp.erfc(t) / 2)
    return jnp.where(x < -1, low, high)


@_log_ndtr.defjvp
def _log_ndtr_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    out = _log_ndtr(x)
    return out, t / _SQRT_2PI * jnp.exp(-(out + jnp.square(x) / 2))  # derivatives.yaml


def _ndtr(x: Array) -> Array:
    # torch: special_ndtr is composite, (1 + erf(x / sqrt(2))) * 0.5 (grad_fn MulBackward1).
    return (1 + jsp.erf(x * math.sqrt(0.5))) * 0.5


def _special_unary(name: str, fn: Any, grad_fn: str | None = None,
                   opinfo: OpInfoTest | None = OpInfoTest()) -> None:  # fmt: skip
    def impl(input: Array) -> Array:
        return fn(input)

    impl.__name__ = name
    op(name, grad_fn=grad_fn or _special_name(name), promote=FLOAT, method=False,
       namespaces=_SPECIAL, opinfo=opinfo)(impl)  # fmt: skip


_special_unary("entr", _entr)
_special_unary("erfcx", _erfcx)
_special_unary("i0e", _i0e)
_special_unary("i1", _i1)
_special_unary("i1e", _i1e)
_special_unary("ndtri", _ndtri)
_special_unary("log_ndtr", _log_ndtr)
_special_unary("ndtr", _ndtr, grad_fn="MulBackward1")


# --- binary special functions ---------------------------------------------------------------

def _scalar_overload(base: str) -> Any:
    """torch's node names for the Tensor/Scalar overloads: self_scalar is 1, other_scalar 2."""

    def name(self: Any, other: Any) -> str:
        if not hasattr(self, "shape"):
            return f"{base}1"
        return f"{base}2" if not hasattr(other, "shape") else f"{base}0"

    return name


@jax.custom_jvp
def _xlog1py(x: Array, y: Array) -> Array:
    # torch: xlog1py is nan for nan y, 0 for x == 0, else x * log1p(y).
    out = jnp.where(x == 0, jnp.zeros_like(x), x * jnp.log1p(y))
    return jnp.where(jnp.isnan(y), y, out)


@_xlog1py.defjvp
def _xlog1py_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]) -> Any:
    (x, y), (tx, ty) = primals, tangents
    # torch: derivatives.yaml "special_xlog1py", xlog1py(grad, other) with 0 where self == 0
    # and other <= -1 (a tangent must be linear: grad times log1p(other)).
    dx = jnp.where((x == 0) & (y <= -1), jnp.zeros_like(x), jnp.log1p(y))
    return _xlog1py(x, y), tx * dx + ty * x / (y + 1)


@op("xlog1py", grad_fn=_scalar_overload("SpecialXlog1PyBackward"), promote=FLOAT, method=False,
    namespaces=_SPECIAL)  # fmt: skip
def xlog1py(input: Array, other: Array) -> Array:
    return _xlog1py(*_broadcast(input, other))


def _hurwitz(x: Array, q: Array) -> Array:
    """zeta(x, q) with torch's (Cephes') conventions. jsp.zeta loses accuracy for q < 0, so
    the terms below 1 are summed directly: zeta(x, q) = sum_k<m (q + k)^-x + zeta(x, q + m)."""
    shift = jnp.where(q < 0, jnp.ceil(-q), jnp.zeros_like(q))
    steps = jnp.max(shift, initial=0.0)

    def body(state: tuple[Array, Array]) -> tuple[Array, Array]:
        k, total = state
        term = jnp.where(k < shift, jnp.power(q + k, -x), jnp.zeros_like(total))
        return k + 1, total + term

    def cond(state: tuple[Array, Array]) -> Array:
        return state[0] < steps

    _, head = jax.lax.while_loop(cond, body, (jnp.zeros((), q.dtype), jnp.zeros_like(q)))
    out = head + jsp.zeta(x, q + shift)
    nan = jnp.full_like(out, jnp.nan)
    inf = jnp.full_like(out, jnp.inf)
    pole = (q <= 0) & (q == jnp.floor(q))
    out = jnp.where((q <= 0) & (x != jnp.floor(x)), nan, out)
    out = jnp.where(pole, inf, out)
    out = jnp.where(x < 1, nan, out)
    return jnp.where(x == 1, inf, out)


@jax.custom_jvp
def _zeta(x: Array, q: Array) -> Array:
    # torch: zeta computes in acc_type, double for float on CPU.
    wide = jnp.promote_types(x.dtype, jnp.float64)
    return _hurwitz(x.astype(wide), q.astype(wide)).astype(x.dtype)


def _zeta_jvp(primals: tuple[Array, Array], tangents: tuple[Any, Any]) -> Any:
    (x, q), (tx, tq) = primals, tangents
    _no_input_grad(tx, "zeta")
    out = _zeta(x, q)
    return out, _instantiate(tq, q) * -x * _zeta(x + 1.0, q)  # derivatives.yaml


_zeta.defjvp(_zeta_jvp, symbolic_zeros=True)


@op("zeta", grad_fn=_scalar_overload("SpecialZetaBackward"), promote=FLOAT, method=False,
    namespaces=_SPECIAL)  # fmt: skip
def zeta(input: Array, other: Array) -> Array:
    return _zeta(*_broadcast(input, other))


def _gamma_density(a: Array, x: Array) -> Array:
    # torch: derivatives.yaml "igamma" other: exp((self - 1) * log(other) - other - lgamma(self)).
    return jnp.exp((a - 1) * jnp.log(x) - x - pointwise._lgamma(a))


@jax.custom_jvp
def _igamma(a: Array, x: Array) -> Array:
    # torch: calc_igamma is 0 for an infinite a and finite x (jsp.gammainc: nan).
    out = jsp.gammainc(a, x)
    return jnp.where(jnp.isinf(a) & jnp.isfinite(x), jnp.zeros_like(out), out)


def _igamma_jvp(primals: tuple[Array, Array], tangents: tuple[Any, Any]) -> Any:
    (a, x), (ta, tx) = primals, tangents
    _no_input_grad(ta, "igamma: input")
    return _igamma(a, x), _instantiate(tx, x) * _gamma_density(a, x)


_igamma.defjvp(_igamma_jvp, symbolic_zeros=True)


@jax.custom_jvp
def _igammac(a: Array, x: Array) -> Array:
    out = jsp.gammaincc(a, x)
    return jnp.where(jnp.isinf(a) & jnp.isfinite(x), jnp.ones_like(out), out)


def _igammac_jvp(primals: tuple[Array, Array], tangents: tuple[Any, Any]) -> Any:
    (a, x), (ta, tx) = primals, tangents
    _no_input_grad(ta, "igammac: input")
    return _igammac(a, x), -_instantiate(tx, x) * _gamma_density(a, x)


_igammac.defjvp(_igammac_jvp, symbolic_zeros=True)


def _check_float(input: Array, name: str) -> None:
    d = _dtype.from_np(input.dtype)
    if not d.is_floating_point:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dtype.legacy_name(d)}\'')


@op("igamma", grad_fn="IgammaBackward0", promote=BINARY, inplace="igamma_")
def igamma(input: Array, other: Array) -> Array:
    _check_float(input, "igamma")
    return _igamma(*_broadcast(input, other))


@op("igammac", grad_fn="IgammacBackward0", promote=BINARY, inplace="igammac_")
def igammac(input: Array, other: Array) -> Array:
    _check_float(input, "igammac")
    return _igammac(*_broadcast(input, other))


@op("gammainc", grad_fn="IgammaBackward0", promote=BINARY, method=False, namespaces=_SPECIAL,
    opinfo=None)  # fmt: skip
def gammainc(input: Array, other: Array) -> Array:
    return igamma.impl(input, other)


@op("gammaincc", grad_fn="IgammacBackward0", promote=BINARY, method=False, namespaces=_SPECIAL,
    opinfo=None)  # fmt: skip
def gammaincc(input: Array, other: Array) -> Array:
    return igammac.impl(input, other)


# torch.special.polygamma is torch.polygamma (pointwise.py): the same op in both namespaces.
if "special" not in OPS["polygamma"].namespaces:
    OPS["polygamma"] = dataclasses.replace(
        OPS["polygamma"], namespaces=(*OPS["polygamma"].namespaces, "special"))


# --- mvlgamma ---------------------------------------------------------------------------------

def _mvlgamma(input: Array, p: int) -> Array:
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    d = _dtype.to_float(_dtype.from_np(input.dtype))
    x = input.astype(d.np)
    # torch: sum of lgamma(x - j / 2), j = p - 1 ... 0, plus p (p - 1) / 4 log(pi).
    args = jnp.arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=d.np) + x[..., None]
    total = jnp.sum(pointwise._lgamma(args), axis=-1)
    return total + jnp.asarray(p * (p - 1) * math.log(math.pi) / 4, d.np)


@op("mvlgamma", grad_fn="MvlgammaBackward0", inplace="mvlgamma_")
def mvlgamma(input: Array, p: int) -> Array:
    return _mvlgamma(input, p)


@op("multigammaln", grad_fn="MvlgammaBackward0", method=False, namespaces=_SPECIAL, opinfo=None)
def multigammaln(input: Array, p: int) -> Array:
    return _mvlgamma(input, p)


# --- float bits: frexp, ldexp, nextafter ------------------------------------------------------

_frexp_result = namedtuple("frexp", ["mantissa", "exponent"])  # type: ignore[name-match]
_frexp_result.__module__ = "torch.return_types"


def _frexp(x: Array) -> tuple[Array, Array]:
    # jnp.frexp reads the exponent bits, and XLA's CPU arithmetic flushes subnormals to zero,
    # so a subnormal is taken apart from its bits: |x| = m 2^-offset with an integer m.
    mantissa, exponent = jnp.frexp(x)
    info = jnp.finfo(x.dtype)
    ints = {2: jnp.uint16, 4: jnp.uint32, 8: jnp.uint64}[x.dtype.itemsize]
    bits = jax.lax.bitcast_convert_type(jnp.abs(x), ints)
    subnormal = (bits != 0) & (bits < (1 << info.nmant))
    width = jax.lax.clz(jnp.zeros((), ints)).astype(jnp.int32)
    length = width - jax.lax.clz(bits).astype(jnp.int32)  # bit length of m
    bias = int(info.maxexp) - 1
    power = jax.lax.bitcast_convert_type(
        (jnp.clip(bias - length, 1, None).astype(ints) << info.nmant), x.dtype)  # 2^-length
    small = jnp.copysign(bits.astype(x.dtype) * power, x)
    offset = info.nmant + bias - 1
    return (jnp.where(subnormal, small, mantissa),
            jnp.where(subnormal, length - offset, exponent).astype(jnp.int32))


@jax.custom_jvp
def _mantissa(x: Array) -> Array:
    return _frexp(x)[0]


@_mantissa.defjvp
def _mantissa_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    # torch: derivatives.yaml "frexp" is grad / exponent.exp2().
    (x,), (t,) = primals, tangents
    exponent = _frexp(x)[1]
    return _mantissa(x), t * jnp.exp2(-exponent.astype(x.dtype))


@op("frexp", grad_fn="FrexpBackward0", multi_output=True)
def frexp(input: Array) -> tuple[Array, Array]:
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _mantissa(input), _frexp(input)[1]


frexp.impl.result_type = lambda mantissa, exponent: _frexp_result(mantissa, exponent)  # type: ignore[attr-defined]


@op("ldexp", grad_fn="LdexpBackward0", promote=FLOAT, inplace="ldexp_")
def ldexp(input: Array, other: Array) -> Array:
    # torch: ldexp is input * pow(2, other).
    input, other = _broadcast(input, other)
    return input * jnp.power(jnp.asarray(2.0, other.dtype), other)


@jax.custom_jvp
def _nextafter(x: Array, y: Array) -> Array:
    return jnp.nextafter(x, y)


@_nextafter.defjvp
def _nextafter_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]) -> Any:
    # torch: derivatives.yaml "nextafter": grad for self, zeros for other.
    (x, y), (tx, _) = primals, tangents
    return _nextafter(x, y), tx


@op("nextafter", grad_fn="NextafterBackward0", promote=BINARY, inplace="nextafter_")
def nextafter(input: Array, other: Array) -> Array:
    _check_float(input, "nextafter")
    return _nextafter(*_broadcast(input, other))


# --- integer math: gcd, lcm, shifts -------------------------------------------------------------

def _check_integer(d: _dtype.dtype, name: str, allow_bool: bool = False) -> None:
    if d.is_floating_point or d.is_complex or (d is _dtype.bool_ and not allow_bool):
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dtype.legacy_name(d)}\'')


@op("gcd", grad_fn=None, saves=False, promote=BINARY, inplace="gcd_")
def gcd(input: Array, other: Array) -> Array:
    _check_integer(_dtype.from_np(input.dtype), "gcd")
    return jnp.gcd(*_broadcast(input, other))


@op("lcm", grad_fn=None, saves=False, promote=BINARY, inplace="lcm_")
def lcm(input: Array, other: Array) -> Array:
    _check_integer(_dtype.from_np(input.dtype), "lcm")
    return jnp.lcm(*_broadcast(input, other))


def _shift(input: Array, other: Array, left: bool) -> Array:
    _check_integer(_dtype.from_np(input.dtype), "lshift" if left else "rshift")
    a, b = _broadcast(input, other)
    bits = a.dtype.itemsize * 8
    # torch: a shift by a negative count or by the width or more is 0 (left), or fills with the
    # sign bit (right); XLA leaves those undefined.
    outside = (b < 0) | (b >= bits)
    count = jnp.where(outside, jnp.zeros_like(b), b)
    if left:
        return jnp.where(outside, jnp.zeros_like(a), jax.lax.shift_left(a, count))
    if jnp.issubdtype(a.dtype, jnp.unsignedinteger):
        return jnp.where(outside, jnp.zeros_like(a), jax.lax.shift_right_logical(a, count))
    fill = jax.lax.shift_right_arithmetic(a, jnp.full_like(a, bits - 1))
    return jnp.where(outside, fill, jax.lax.shift_right_arithmetic(a, count))


@op("bitwise_left_shift", grad_fn=None, saves=False, promote=BINARY,
    inplace="bitwise_left_shift_", operators=("__lshift__", "__rlshift__"))  # fmt: skip
def bitwise_left_shift(input: Array, other: Array) -> Array:
    return _shift(input, other, left=True)


@op("bitwise_right_shift", grad_fn=None, saves=False, promote=BINARY,
    inplace="bitwise_right_shift_", operators=("__rshift__", "__rrshift__"))  # fmt: skip
def bitwise_right_shift(input: Array, other: Array) -> Array:
    return _shift(input, other, left=False)


@op("heaviside", grad_fn=NOT_IMPLEMENTED, saves=False, inplace="heaviside_")
def heaviside(input: Array, values: Array) -> Array:
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    x, v = _broadcast(input, values)
    # torch: values where input == 0, else input > 0 (so 0 for nan).
    return jnp.where(x == 0, v, (x > 0).astype(x.dtype))


# --- tests on values: isneginf, isposinf, isreal, isin, isclose, allclose, equal ---------------

@op("isposinf", grad_fn=None, saves=False)
def isposinf(input: Array) -> Array:
    return jnp.isposinf(input) if jnp.issubdtype(input.dtype, jnp.floating) else jnp.zeros(
        input.shape, bool)  # fmt: skip


@op("isneginf", grad_fn=None, saves=False)
def isneginf(input: Array) -> Array:
    return jnp.isneginf(input) if jnp.issubdtype(input.dtype, jnp.floating) else jnp.zeros(
        input.shape, bool)  # fmt: skip


@op("isreal", grad_fn=None, saves=False)
def isreal(input: Array) -> Array:
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        return jnp.imag(input) == 0
    return jnp.ones(input.shape, bool)


@op("isin", grad_fn=None, saves=False, promote=BINARY, method=False)
def isin(elements: Array, test_elements: Array, *, assume_unique: bool = False,
         invert: bool = False) -> Array:  # fmt: skip
    return jnp.isin(jnp.asarray(elements), jnp.asarray(test_elements).ravel(), invert=invert)


def _close(input: Array, other: Array, rtol: float, atol: float, equal_nan: bool) -> Array:
    if input.dtype != other.dtype:
        raise RuntimeError(f"{_dtype.legacy_name(_dtype.from_np(input.dtype))} did not match "
                           f"{_dtype.legacy_name(_dtype.from_np(other.dtype))}")  # fmt: skip
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    a, b = _broadcast(input, other)
    close = a == b
    if equal_nan and jnp.issubdtype(a.dtype, jnp.inexact):
        close = close | (jnp.isnan(a) & jnp.isnan(b))
    if rtol == 0 and atol == 0:
        return close
    # torch: atol + |rtol * other| against |self - other|, in the promoted dtype (bool as the
    # default float dtype; an integer difference against a default-float allowance).
    d = _dtype.from_np(a.dtype)
    if d is _dtype.bool_:
        a, b = a.astype(_dtype.get_default_dtype().np), b.astype(_dtype.get_default_dtype().np)
        d = _dtype.get_default_dtype()
    f = _dtype.result_type(b, float(rtol))
    allowed = _dtype.cast(atol, f) + jnp.abs(_dtype.cast(rtol, f) * _dtype.cast(b, f))
    actual = jnp.abs(a - b)
    fine = jnp.isfinite(actual) if jnp.issubdtype(actual.dtype, jnp.inexact) else True
    e = _dtype.promote_types(_dtype.from_np(actual.dtype), f)
    return close | (fine & (_dtype.cast(actual, e) <= _dtype.cast(allowed, e)))


@op("isclose", grad_fn=None, saves=False)
def isclose(input: Array, other: Array, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Array:  # fmt: skip
    return _close(input, other, rtol, atol, equal_nan)


@op("allclose", grad_fn=None, saves=False, multi_output=True)
def allclose(input: Array, other: Array, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> tuple[Array]:  # fmt: skip
    return (jnp.all(_close(input, other, rtol, atol, equal_nan)),)


@op("equal", grad_fn=None, saves=False, multi_output=True)
def equal(input: Array, other: Array) -> tuple[Array]:
    if input.shape != other.shape:
        return (jnp.asarray(False),)
    a, b = _dtype.promote(input, other)
    return (jnp.all(a == b),)


def _python_bool(result: Any) -> bool:
    return bool(result.item())


allclose.impl.result_type = _python_bool  # type: ignore[attr-defined]
equal.impl.result_type = _python_bool  # type: ignore[attr-defined]


# --- orthogonal polynomials -------------------------------------------------------------------
# Note [Orthogonal polynomials]: torch evaluates P_n(x) by its three-term recurrence from
# P_0 and P_1, with n cast to int64 (truncated; nan, inf and out-of-range n as int64's
# minimum, so 0), closed forms at the ends of the interval and, for the Chebyshev kinds, a
# trigonometric form for large n inside it (aten/src/ATen/native/Math.h). The recurrence
# runs here as one loop over the largest n, each element keeping its own P_n. torch's
# outputs never require grad (no derivative is registered).

def _degree(n: Array) -> Array:
    if not jnp.issubdtype(n.dtype, jnp.floating):
        return n.astype(jnp.int64)
    fits = jnp.isfinite(n) & (jnp.abs(n) < 2.0**63)
    safe = jnp.where(fits, jnp.trunc(n), jnp.zeros_like(n))
    return jnp.where(fits, safe.astype(jnp.int64), jnp.iinfo(jnp.int64).min)


def _recurrence(n: Array, p: Array, q: Array, step: Any) -> Array:
    """P_n for n >= 2, from P_0 = p and P_1 = q: `step(k, p, q)` is P_{k+1} from
    P_{k-1} and P_k, for k = 1 .. n - 1."""
    top = jnp.max(n, initial=1)

    def cond(state: tuple[Array, Array, Array]) -> Array:
        k, _, q = state
        # torch stops at a nan (which the recurrence would keep).
        return (k < top) & jnp.any((k < n) & ~jnp.isnan(q))

    def body(state: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
        k, p, q = state
        r = step(k.astype(q.dtype), p, q)
        active = k < n
        return k + 1, jnp.where(active, q, p), jnp.where(active, r, q)

    _, _, out = jax.lax.while_loop(cond, body, (jnp.ones((), jnp.int64), p, q))
    return out


def _chebyshev(kind: str, x: Array, n: Array, shifted: bool) -> Array:
    y = x + x - 1 if shifted else x
    one = jnp.ones_like(x)
    first = {"t": y, "u": y + y, "v": y + y - 1, "w": y + y + 1}[kind]
    out = _recurrence(n, one, first, lambda k, p, q: (y + y) * q - p)
    out = jnp.where(n == 1, first, jnp.where(n == 0, one, out))
    nf = n.astype(x.dtype)
    odd = (n % 2) != 0
    sign = jnp.where(odd, -one, one)
    theta = jnp.arccos(y)
    inside = jnp.abs(y) < 1
    if kind == "t":
        big = jnp.cos(nf * theta)
        top, bottom = one, sign
        limit = 6
    elif kind == "u":
        s = jnp.sin(theta)
        big = jnp.where(s != 0, jnp.sin((nf + 1) * theta) / s,
                        (nf + 1) * jnp.cos((nf + 1) * theta) / y)  # fmt: skip
        top, bottom = nf + 1, sign * (nf + 1)
        limit = 6 if shifted else 8
    elif kind == "v":
        big = jnp.where(jnp.sin(theta / 2) != 1, jnp.cos((nf + 0.5) * theta) / jnp.cos(theta / 2),
                        sign * (nf + nf + 1))  # fmt: skip
        top, bottom = one, sign * (nf + nf + 1)
        limit = 6 if shifted else 8
    else:
        edge = jnp.where(y > 0, nf + nf + 1, sign) if not shifted else sign
        big = jnp.where(jnp.cos(theta / 2) != 1, jnp.sin((nf + 0.5) * theta) / jnp.sin(theta / 2),
                        edge)  # fmt: skip
        top, bottom = nf + nf + 1, sign
        limit = 4 if shifted else 8
    out = jnp.where((n > limit) & inside, big, out)
    if shifted:  # torch tests x == 1 and x == 0 themselves
        out = jnp.where(x == 0, bottom, jnp.where(x == 1, top, out))
    else:
        out = jnp.where(jnp.abs(x) == 1, jnp.where(x > 0, top, bottom), out)
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _hermite_h(x: Array, n: Array) -> Array:
    one = jnp.ones_like(x)
    out = _recurrence(n, one, x + x, lambda k, p, q: (x + x) * q - (k + k) * p)
    limit = 128 if x.dtype == jnp.float32 else 512
    out = jnp.where(n > limit, jnp.full_like(x, jnp.nan), out)
    out = jnp.where(n == 1, x + x, jnp.where(n == 0, one, out))
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _hermite_he(x: Array, n: Array) -> Array:
    one = jnp.ones_like(x)
    out = _recurrence(n, one, x, lambda k, p, q: x * q - k * p)
    limit = 128 if x.dtype == jnp.float32 else 512
    out = jnp.where(n > limit, jnp.full_like(x, jnp.nan), out)
    out = jnp.where(n == 1, x, jnp.where(n == 0, one, out))
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _laguerre(x: Array, n: Array) -> Array:
    one = jnp.ones_like(x)
    out = _recurrence(n, one, 1 - x, lambda k, p, q: (((k + k) + (1 - x)) * q - k * p) / (k + 1))
    out = jnp.where(n == 1, 1 - x, jnp.where(n == 0, one, out))
    out = jnp.where(x == 0, one, out)
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _legendre(x: Array, n: Array) -> Array:
    one = jnp.ones_like(x)
    out = _recurrence(n, one, x, lambda k, p, q: ((k + k + 1) * x * q - k * p) / (k + 1))
    out = jnp.where(n == 1, x, jnp.where(n == 0, one, out))
    sign = jnp.where((n % 2) != 0, -one, one)
    out = jnp.where(jnp.abs(x) == 1, jnp.where(x > 0, one, sign), out)
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _polynomial(name: str, fn: Any) -> None:
    def impl(x: Array, n: Array) -> Array:
        if not hasattr(x, "shape") and not hasattr(n, "shape"):
            raise TypeError(f"special_{name}() received an invalid combination of arguments - "
                            f"got ({type(x).__name__}, {type(n).__name__}), but expected one of:\n"
                            " * (Tensor x, Tensor n, *, Tensor out = None)\n"
                            " * (Number x, Tensor n, *, Tensor out = None)\n"
                            " * (Tensor x, Number n, *, Tensor out = None)\n")  # fmt: skip
        x, n = _broadcast(x, n)
        return fn(x, _degree(n))

    impl.__name__ = name
    # promote: x and n to their float result type (the kernel's T); n is then truncated.
    op(name, grad_fn=None, saves=False, promote=FLOAT, method=False, namespaces=_SPECIAL)(impl)


for _kind in "tuvw":
    _polynomial(f"chebyshev_polynomial_{_kind}",
                lambda x, n, kind=_kind: _chebyshev(kind, x, n, shifted=False))  # fmt: skip
    _polynomial(f"shifted_chebyshev_polynomial_{_kind}",
                lambda x, n, kind=_kind: _chebyshev(kind, x, n, shifted=True))  # fmt: skip
_polynomial("hermite_polynomial_h", _hermite_h)
_polynomial("hermite_polynomial_he", _hermite_he)
_polynomial("laguerre_polynomial_l", _laguerre)
_polynomial("legendre_polynomial_p", _legendre)
