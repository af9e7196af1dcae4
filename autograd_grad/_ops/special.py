"""Special functions (`torch.special`) and the rest of torch's elementwise math."""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax.custom_derivatives import SymbolicZero

from .. import _dtype, _errors
from . import pointwise
from ._table import BINARY, FLOAT, NOT_IMPLEMENTED, OPS, op

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


def _check_tensor(name: str, x: Any, argument: str, position: int) -> None:
    """torch's argument parser for a Tensor-only parameter given a Python number."""
    if not hasattr(x, "dtype"):
        raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")  # fmt: skip


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
    # jsp.erfcx loses float32 (0 near x = 9.3); float64 rounded back is torch's value.
    return jsp.erfcx(x.astype(jnp.promote_types(x.dtype, jnp.float64))).astype(x.dtype)


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


def _special_unary(name: str, fn: Any, grad_fn: str | None = None) -> None:
    def impl(input: Array) -> Array:
        return fn(input)

    impl.__name__ = name
    op(name, grad_fn=grad_fn or _special_name(name), promote=FLOAT, method=False,
       namespaces=_SPECIAL)(impl)  # fmt: skip


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
    pole = (q <= 0) & (q == jnp.floor(q))  # also q = -inf
    shift = jnp.where((q < 0) & ~pole, jnp.ceil(-q), jnp.zeros_like(q))
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
    # torch at x = inf: the first term, q^-inf, is inf below 1 and 1 at 1; above 1 its
    # Euler-Maclaurin tail is inf * 0. q = inf is nan for every x.
    at_inf = jnp.where(q < 1, inf, jnp.where(q == 1, jnp.ones_like(out), nan))
    out = jnp.where(x == jnp.inf, at_inf, jnp.where(q == jnp.inf, nan, out))
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


def _gamma_conventions(a: Array, x: Array, out: Array, lower: bool) -> Array:
    # torch: calc_igamma / calc_igammac, tested in this order (jsp.gammainc differs at a = 0
    # and for infinite a).
    nan = jnp.full_like(out, jnp.nan)
    zero, one = jnp.zeros_like(out), jnp.ones_like(out)
    low, high = (zero, one) if lower else (one, zero)
    out = jnp.where(jnp.isinf(x), high, out)
    out = jnp.where(jnp.isinf(a), jnp.where(jnp.isinf(x), nan, low), out)
    out = jnp.where(x == 0, low, out)
    out = jnp.where(a == 0, jnp.where(x > 0, high, nan), out)
    return jnp.where((x < 0) | (a < 0), nan, out)


@jax.custom_jvp
def _igamma(a: Array, x: Array) -> Array:
    return _gamma_conventions(a, x, jsp.gammainc(a, x), lower=True)


def _igamma_jvp(primals: tuple[Array, Array], tangents: tuple[Any, Any]) -> Any:
    (a, x), (ta, tx) = primals, tangents
    _no_input_grad(ta, "igamma: input")
    return _igamma(a, x), _instantiate(tx, x) * _gamma_density(a, x)


_igamma.defjvp(_igamma_jvp, symbolic_zeros=True)


@jax.custom_jvp
def _igammac(a: Array, x: Array) -> Array:
    return _gamma_conventions(a, x, jsp.gammaincc(a, x), lower=False)


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


# torch.special.polygamma, .erf, .logsumexp... are the torch ops themselves: their entries
# list the special namespace. Those with other names there (expit, psi, gammaln) are entries
# of their own, on the same implementations.

def _renamed(name: str, target: str) -> None:
    def impl(input: Array) -> Array:
        return OPS[target].impl(input)

    impl.__name__ = name
    original = OPS[target]
    op(name, grad_fn=original.grad_fn, saves=original.saves, promote=original.promote,
       method=False, namespaces=_SPECIAL, opinfo=None)(impl)  # fmt: skip


_renamed("expit", "sigmoid")
_renamed("psi", "digamma")
_renamed("gammaln", "lgamma")


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

class _frexp_result(namedtuple("frexp", ["mantissa", "exponent"])):
    """torch.return_types.frexp, printed as torch prints its structseq."""

    __slots__ = ()

    def __repr__(self) -> str:
        return (f"torch.return_types.frexp(\nmantissa={self.mantissa!r},\n"
                f"exponent={self.exponent!r})")  # fmt: skip


_frexp_result.__name__ = _frexp_result.__qualname__ = "frexp"
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
    _check_tensor("frexp", input, "input", 1)
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _mantissa(input), _frexp(input)[1]


frexp.impl.result_type = _frexp_result  # type: ignore[attr-defined]


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
    _check_tensor("heaviside", input, "input", 1)
    _check_tensor("heaviside", values, "values", 2)
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


@op("isreal", out=False, grad_fn=None, saves=False)
def isreal(input: Array) -> Array:
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        return jnp.imag(input) == 0
    return jnp.ones(input.shape, bool)


@op("isin", grad_fn=None, saves=False, promote=BINARY, method=False)
def isin(elements: Array, test_elements: Array, *, assume_unique: bool = False,
         invert: bool = False) -> Array:  # fmt: skip
    return jnp.isin(jnp.asarray(elements), jnp.asarray(test_elements).ravel(), invert=invert)


def _close(input: Array, other: Array, rtol: float, atol: float, equal_nan: bool,
           name: str = "isclose") -> Array:  # fmt: skip
    _check_tensor(name, input, "input", 1)
    _check_tensor(name, other, "other", 2)
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


@op("isclose", out=False, grad_fn=None, saves=False)
def isclose(input: Array, other: Array, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Array:  # fmt: skip
    return _close(input, other, rtol, atol, equal_nan)


@op("allclose", grad_fn=None, saves=False, multi_output=True)
def allclose(input: Array, other: Array, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> tuple[Array]:  # fmt: skip
    return (jnp.all(_close(input, other, rtol, atol, equal_nan, "allclose")),)


@op("equal", grad_fn=None, saves=False, multi_output=True)
def equal(input: Array, other: Array) -> tuple[Array]:
    _check_tensor("equal", input, "input", 1)
    _check_tensor("equal", other, "other", 2)
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


def _chebyshev_trig(kind: str, y: Array, n: Array, shifted: bool) -> Array:
    """torch's trigonometric forms of the Chebyshev polynomials (|y| < 1, large n)."""
    nf = n.astype(y.dtype)
    one = jnp.ones_like(y)
    sign = jnp.where((n % 2) != 0, -one, one)
    theta = jnp.arccos(y)
    if kind == "t":
        return jnp.cos(nf * theta)
    if kind == "u":
        s = jnp.sin(theta)
        return jnp.where(s != 0, jnp.sin((nf + 1) * theta) / s,
                         (nf + 1) * jnp.cos((nf + 1) * theta) / y)  # fmt: skip
    if kind == "v":
        return jnp.where(jnp.sin(theta / 2) != 1, jnp.cos((nf + 0.5) * theta) / jnp.cos(theta / 2),
                         sign * (nf + nf + 1))  # fmt: skip
    edge = jnp.where(y > 0, nf + nf + 1, sign) if not shifted else sign
    return jnp.where(jnp.cos(theta / 2) != 1, jnp.sin((nf + 0.5) * theta) / jnp.sin(theta / 2),
                     edge)  # fmt: skip


def _chebyshev(kind: str, x: Array, n: Array, shifted: bool) -> Array:
    y = x + x - 1 if shifted else x
    one = jnp.ones_like(x)
    first = {"t": y, "u": y + y, "v": y + y - 1, "w": y + y + 1}[kind]
    out = _recurrence(n, one, first, lambda k, p, q: (y + y) * q - p)
    out = jnp.where(n == 1, first, jnp.where(n == 0, one, out))
    nf = n.astype(x.dtype)
    odd = (n % 2) != 0
    sign = jnp.where(odd, -one, one)
    inside = jnp.abs(y) < 1
    # The trigonometric form for large n: float32 through double, as the phase (n + 1/2)
    # acos(y) is large and its rounding decides the last digits (torch's are closer to exact).
    wide = jnp.promote_types(y.dtype, jnp.float64)
    big = _chebyshev_trig(kind, y.astype(wide), n, shifted).astype(y.dtype)
    limits = {"t": 6, "u": 6, "v": 6, "w": 4} if shifted else {"t": 6, "u": 8, "v": 8, "w": 8}
    limit = limits[kind]
    if kind == "t":
        top, bottom = one, sign
    elif kind == "u":
        top, bottom = nf + 1, sign * (nf + 1)
    elif kind == "v":
        top, bottom = one, sign * (nf + nf + 1)
    else:
        top, bottom = nf + nf + 1, sign
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


# --- Bessel and Airy functions ---------------------------------------------------------------
# Note [Bessel functions]: torch evaluates these with Cephes' rational and Chebyshev
# approximations in the input's own dtype (aten/src/ATen/native/Math.h); the same
# coefficients and the same evaluation order here keep float32 results within rounding of
# torch's. Their outputs never require grad (torch registers no derivative).
# Coefficients: Cephes Math Library (Stephen L. Moshier), as tabulated in torch's Math.h.

_AIRY_AN = (
    0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
    159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0)
_AIRY_AD = (
    0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045,
    164.2346928715297, 71.47784008255756, 14.095913560783403, 1.0)
_AIRY_AFN = (
    -0.1316963234183318, -0.6264565444319123, -0.6931580360369335, -0.2797799815451191,
    -0.04919001326095003, -0.004062659235948854, -0.0001592764962392621, -2.776491081552329e-06,
    -1.6778769848911465e-08)
_AIRY_AFD = (
    13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
    1.4752914677166642, 0.11568717379518804, 0.004402916416152112, 7.547203482874142e-05,
    4.5185009297058035e-07)
_AIRY_AGN = (
    0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
    0.35146565610554764, 0.06338889196289255, 0.005858041130483885, 0.000282851600836737,
    6.98793669997261e-06, 8.117892395543892e-08, 3.415517847659236e-10)
_AIRY_AGD = (
    9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755,
    0.9542936116189619, 0.08645808263523921, 0.004126565238242226, 0.00010125908511650914,
    1.1716673321441352e-06, 4.9183457006293e-09)
_J0_PP = (
    0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
    8.74716500199817, 5.303240382353949, 1.0)
_J0_PQ = (
    0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
    8.761908832370695, 5.306052882353947, 1.0)
_J0_QP = (
    -0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
    -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285)
_J0_QQ = (
    64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525, 5930.727011873169,
    2062.0933166032783, 242.0057402402914)
_J0_RP = (
    -4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0)
_J0_RQ = (
    499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683, 2112775201154.892,
    310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18)
_J1_PP = (
    0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
    8.424045901417724, 5.214515986823615, 1.0)
_J1_PQ = (
    0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
    8.399855543276042, 5.209828486823619, 1.0)
_J1_QP = (
    0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
    710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372)
_J1_QQ = (
    74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562, 7997.041604473507,
    2826.1927851763908, 336.0936078106983)
_J1_RP = (
    -899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0)
_J1_RQ = (
    620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925, 4749141220799.914,
    784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18)
_Y0_YP = (
    15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115,
    87590639439536.7, -3466283033847297.0, 4.4273326857256984e+16, -1.8495080043698668e+16)
_Y0_YQ = (
    1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935, 20297961275010.555,
    3171577528429750.5, 2.5059625617265306e+17)
_Y1_YP = (
    1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
    2.024394757135949e+17, -7.788771962659501e+17)
_Y1_YQ = (
    594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
    3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18)
_K0_A = (
    1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11, 1.904516377220209e-09,
    2.5347910790261494e-07, 2.286212103119452e-05, 0.001264615411446926, 0.0359799365153615,
    0.3442898999246285, -0.5353273932339028)
_K0_B = (
    5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17, -1.678231096805412e-16,
    5.512055978524319e-16, -1.848593377343779e-15, 6.3400764774050706e-15, -2.2275133269916698e-14,
    8.032890775363575e-14, -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
    1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10, -1.69753450938906e-09,
    8.574034017414225e-09, -4.660489897687948e-08, 2.766813639445015e-07, -1.8317555227191195e-06,
    1.39498137188765e-05, -0.00012849549581627802, 0.0015698838857300533, -0.0314481013119645,
    2.4403030820659555)
_K1_A = (
    -7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13,
    -1.4114883926335278e-10, -2.213387630734726e-08, -2.4334061415659684e-06,
    -0.0001730288957513052, -0.006975723859639864, -0.12261118082265715, -0.3531559607765449,
    1.5253002273389478)
_K1_B = (
    -5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17, 1.838093544366639e-16,
    -6.057047248373319e-16, 2.038703165624334e-15, -7.019837090418314e-15, 2.4771544244813043e-14,
    -8.976705182324994e-14, 3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
    -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10, 2.015049755197033e-09,
    -1.0345762465678097e-08, 5.7410841254500495e-08, -3.5019606030878126e-07,
    2.406484947837217e-06, -1.936197974166083e-05, 0.00019521551847135162, -0.002857816859622779,
    0.10392373657681724, 2.7206261904844427)


def _polevl(x: Array, coefficients: tuple[float, ...]) -> Array:
    """sum c_i x^(n - i) by Horner's rule, from the first coefficient (Cephes' polevl)."""
    acc = jnp.zeros_like(x)
    for c in coefficients:
        acc = acc * x + c
    return acc


def _chbevl(y: Array, coefficients: tuple[float, ...]) -> Array:
    """A Chebyshev series at y (Cephes' chbevl), the half-difference torch returns."""
    p = q = jnp.zeros_like(y)
    a = jnp.full_like(y, coefficients[0])
    for c in coefficients[1:]:
        p, q = q, a
        a = y * q - p + c
    return 0.5 * (a - p)


_SQRT_2_OVER_PI = 0.797884560802865355879892119868763737
_TWO_OVER_PI = 0.636619772367581343075535053490057448
_PI_4 = 0.785398163397448309615660845819875721
_3PI_4 = 2.356194490192344928846982537459627163


def _bessel_asymptotic(x: Array, w: Array, tables: tuple[tuple[float, ...], ...], phase: float,
                       second_kind: bool) -> Array:  # fmt: skip
    """Cephes' large-x form of J (cos first) or Y (sin first): P and Q in w, at x - phase."""
    pp, pq, qp, qq = tables
    p = _polevl(w, pp) / _polevl(w, pq)
    q = 5.0 / x * (_polevl(w, qp) / _polevl(w, qq))
    if second_kind:
        wave = p * jnp.sin(x - phase) + q * jnp.cos(x - phase)
    else:
        wave = p * jnp.cos(x - phase) - q * jnp.sin(x - phase)
    return wave * _SQRT_2_OVER_PI / jnp.sqrt(x)


_J0_PQ_TABLES = (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ)
_J1_PQ_TABLES = (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ)


def _bessel_j0(x: Array) -> Array:
    x = jnp.abs(x)
    xx = x * x
    small = (xx - 5.78318596294678452118e00) * (xx - 3.04712623436620863991e01) * _polevl(
        xx, _J0_RP) / _polevl(xx, _J0_RQ)  # fmt: skip
    small = jnp.where(x < 0.00001, 1.0 - xx / 4.0, small)
    w = 25.0 / xx
    large = _bessel_asymptotic(x, w, _J0_PQ_TABLES, _PI_4, second_kind=False)
    return jnp.where(x <= 5.0, small, large)


def _bessel_j1_positive(x: Array) -> Array:
    xx = x * x
    small = _polevl(xx, _J1_RP) / _polevl(xx, _J1_RQ) * x * (xx - 1.46819706421238932572e01) * (
        xx - 4.92184563216946036703e01)  # fmt: skip
    w = 5.0 / x * (5.0 / x)
    large = _bessel_asymptotic(x, w, _J1_PQ_TABLES, _3PI_4, second_kind=False)
    return jnp.where(x <= 5.0, small, large)


def _bessel_j1(x: Array) -> Array:
    return jnp.where(x < 0, -_bessel_j1_positive(-x), _bessel_j1_positive(x))


def _bessel_y0(x: Array) -> Array:
    xx = x * x
    small = _polevl(xx, _Y0_YP) / _polevl(xx, _Y0_YQ) + _TWO_OVER_PI * jnp.log(x) * _bessel_j0(x)
    small = jnp.where(x == 0, -jnp.inf, jnp.where(x < 0, jnp.nan, small))
    w = 25.0 / xx
    large = _bessel_asymptotic(x, w, _J0_PQ_TABLES, _PI_4, second_kind=True)
    return jnp.where(x <= 5.0, small, large)


def _bessel_y1(x: Array) -> Array:
    xx = x * x
    small = x * (_polevl(xx, _Y1_YP) / _polevl(xx, _Y1_YQ)) + _TWO_OVER_PI * (
        _bessel_j1(x) * jnp.log(x) - 1.0 / x)  # fmt: skip
    small = jnp.where(x == 0, -jnp.inf, jnp.where(x < 0, jnp.nan, small))
    w = 5.0 / x * (5.0 / x)
    large = _bessel_asymptotic(x, w, _J1_PQ_TABLES, _3PI_4, second_kind=True)
    return jnp.where(x <= 5.0, small, large)


def _k_domain(x: Array, out: Array) -> Array:
    # torch: K is inf at 0 and nan below.
    return jnp.where(x == 0, jnp.inf, jnp.where(x < 0, jnp.nan, out))


def _modified_bessel_k0(x: Array) -> Array:
    small = _chbevl(x * x - 2.0, _K0_A) - jnp.log(0.5 * x) * jsp.i0(x)
    large = jnp.exp(-x) * _chbevl(8.0 / x - 2.0, _K0_B) / jnp.sqrt(x)
    return _k_domain(x, jnp.where(x <= 2.0, small, large))


def _modified_bessel_k1(x: Array) -> Array:
    small = jnp.log(0.5 * x) * jsp.i1(x) + _chbevl(x * x - 2.0, _K1_A) / x
    large = jnp.exp(-x) * _chbevl(8.0 / x - 2.0, _K1_B) / jnp.sqrt(x)
    return _k_domain(x, jnp.where(x <= 2.0, small, large))


def _scaled_modified_bessel_k0(x: Array) -> Array:
    small = (_chbevl(x * x - 2.0, _K0_A) - jnp.log(0.5 * x) * jsp.i0(x)) * jnp.exp(x)
    large = _chbevl(8.0 / x - 2.0, _K0_B) / jnp.sqrt(x)
    return _k_domain(x, jnp.where(x <= 2.0, small, large))


def _scaled_modified_bessel_k1(x: Array) -> Array:
    small = (jnp.log(0.5 * x) * jsp.i1(x) + _chbevl(x * x - 2.0, _K1_A) / x) * jnp.exp(x)
    large = _chbevl(8.0 / x - 2.0, _K1_B) / jnp.sqrt(x)
    return _k_domain(x, jnp.where(x <= 2.0, small, large))


def _spherical_bessel_j0(x: Array) -> Array:
    xx = x * x
    series = 1.0 + xx * (-1.0 / 6.0 + xx * (1.0 / 120.0 + xx * (-1.0 / 5040.0 + xx * (
        1.0 / 362880.0 + xx * (-1.0 / 39916800.0 + xx * (1.0 / 6227020800.0))))))  # fmt: skip
    out = jnp.where(jnp.abs(x) < 0.5, series, jnp.sin(x) / x)
    return jnp.where(jnp.isinf(x), jnp.zeros_like(x), out)


def _airy_series(x: Array) -> Array:
    """Ai by its Maclaurin series, each element summed until its term is below eps."""
    eps = jnp.finfo(x.dtype).eps
    z = x * x * x
    one = jnp.ones_like(x)

    def cond(state: tuple[Array, ...]) -> Array:
        return jnp.any(state[-1] > eps)

    def body(state: tuple[Array, ...]) -> tuple[Array, ...]:
        f, g, k, m, n, t = state
        active = t > eps
        m2 = m * z
        k2 = k + 1.0
        m2 = m2 / k2
        n2 = n * z
        k2 = k2 + 1.0
        n2 = n2 / k2
        m2 = m2 / k2
        f2 = f + m2
        k2 = k2 + 1.0
        n2 = n2 / k2
        g2 = g + n2
        t2 = jnp.abs(m2 / f2)
        new = (f2, g2, k2, m2, n2, t2)
        return tuple(jnp.where(active, b, a) for a, b in zip(state, new))

    f, g, *_ = jax.lax.while_loop(cond, body, (one, x, one, one, x, one))
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


def _airy_ai(x: Array) -> Array:
    # float32 goes through double: for x << 0 the phase 2/3 |x|^1.5 is large, and its last-bit
    # rounding (which XLA's fused arithmetic does not keep as torch's) decides sin's digits.
    if x.dtype == jnp.float32:
        return _airy_ai(x.astype(jnp.float64)).astype(jnp.float32)
    middle = ~(x < -2.09) & ~(x >= 2.09)  # nan too: torch's series gives nan
    series = _airy_series(jnp.where(middle, x, jnp.zeros_like(x)))
    # x < -2.09: the oscillating asymptotic form.
    neg = jnp.where(x < -2.09, x, jnp.full_like(x, -3.0))
    w = -2.0 * neg * jnp.sqrt(-neg) / 3.0
    z = 1.0 / w
    zz = z * z
    t = w + 0.25 * jnp.pi
    left = 5.64189583547756286948e-01 / jnp.sqrt(jnp.sqrt(-neg)) * (
        jnp.sin(t) * (1.0 + zz * _polevl(zz, _AIRY_AFN) / _polevl(zz, _AIRY_AFD))
        - jnp.cos(t) * (z * _polevl(zz, _AIRY_AGN) / _polevl(zz, _AIRY_AGD)))  # fmt: skip
    # x >= 2.09: the decaying asymptotic form.
    pos = jnp.where(x >= 2.09, x, jnp.full_like(x, 3.0))
    zeta = 2.0 * pos * jnp.sqrt(pos) / 3.0
    right = 5.64189583547756286948e-01 * (_polevl(1.0 / zeta, _AIRY_AN) / _polevl(
        1.0 / zeta, _AIRY_AD)) / (2.0 * jnp.sqrt(jnp.sqrt(pos)) * jnp.exp(zeta))  # fmt: skip
    out = jnp.where(x < -2.09, left, jnp.where(x >= 2.09, right, series))
    out = jnp.where(x > 103.892, jnp.zeros_like(x), out)
    return jnp.where(jnp.isinf(x), jnp.full_like(x, jnp.nan), out)


def _bessel(name: str, fn: Any) -> None:
    def impl(input: Array) -> Array:
        return fn(input)

    impl.__name__ = name
    op(name, grad_fn=None, saves=False, promote=FLOAT, method=False, namespaces=_SPECIAL)(impl)


_bessel("bessel_j0", _bessel_j0)
_bessel("bessel_j1", _bessel_j1)
_bessel("bessel_y0", _bessel_y0)
_bessel("bessel_y1", _bessel_y1)
_bessel("modified_bessel_i0", jsp.i0)
_bessel("modified_bessel_i1", jsp.i1)
_bessel("modified_bessel_k0", _modified_bessel_k0)
_bessel("modified_bessel_k1", _modified_bessel_k1)
_bessel("scaled_modified_bessel_k0", _scaled_modified_bessel_k0)
_bessel("scaled_modified_bessel_k1", _scaled_modified_bessel_k1)
_bessel("spherical_bessel_j0", _spherical_bessel_j0)
_bessel("airy_ai", _airy_ai)


# --- positive -----------------------------------------------------------------------------------

@op("positive", out=False, grad_fn=None, saves=False, operators=("__pos__",))
def positive(input: Array) -> Array:
    if input.dtype == jnp.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _positive(run: Any, input: Any) -> Any:
    # torch returns the input Tensor itself (no node), after its check on bool tensors.
    # See Note [Op wrappers] in _dispatch.py.
    if not hasattr(input, "_value"):
        raise TypeError(f"positive(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")  # fmt: skip
    return run(input) if input.dtype is _dtype.bool_ else input


positive.impl.wrapper = _positive  # type: ignore[attr-defined]
