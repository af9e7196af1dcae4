"""Pointwise ops: arithmetic, comparisons, unary math, activations."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from .. import _dtype, _errors
from ._table import BINARY, FLOAT, NONE, OpInfoTest, op

Array = jax.Array
_NUMBER = (bool, int, float, complex)


def _shape(x: Any) -> tuple[int, ...]:
    return () if isinstance(x, (*_NUMBER, _dtype.Weak)) else tuple(x.shape)


def _check_broadcast(*xs: Any) -> None:
    """torch's broadcasting error, raised before JAX sees the operands."""
    shape: tuple[int, ...] = ()
    for x in xs:
        if x is not None:
            shape = _errors.broadcast_shapes(shape, _shape(x))


def _binary(name: str, fn: Any, grad_fn: str, *, saves: bool = True, promote: str = BINARY,
            operators: tuple[str, ...] = (), inplace: bool = True, aliases: tuple[str, ...] = (),
            opinfo: OpInfoTest | None = OpInfoTest(), dynamic_numbers: bool = False,
            namespaces: tuple[str, ...] = ("torch",)) -> None:  # fmt: skip
    def impl(input: Array, other: Array) -> Array:
        _check_broadcast(input, other)
        return fn(input, other)

    impl.__name__ = name
    op(name, grad_fn=grad_fn, saves=saves, promote=promote, operators=operators,
       inplace=f"{name}_" if inplace else None, aliases=aliases, opinfo=opinfo,
       dynamic_numbers=dynamic_numbers, namespaces=namespaces)(impl)  # fmt: skip


# --- arithmetic --------------------------------------------------------------

@op("add", grad_fn="AddBackward0", saves=False, inplace="add_", operators=("__add__", "__radd__"),
    dynamic_numbers=True)  # fmt: skip
def add(input: Array, other: Array, *, alpha: Any = 1) -> Array:
    _check_broadcast(input, other)
    d = _dtype.result_type(input, other)
    input, other = _dtype.cast(input, d), _dtype.cast(other, d)
    return input + (other if alpha == 1 else other * _dtype.cast(alpha, d))


def _sub_name(input: Any, other: Any, *, alpha: Any = 1) -> str:
    return "SubBackward0" if hasattr(input, "shape") else "RsubBackward1"


@op("sub", grad_fn=_sub_name, saves=False, inplace="sub_", operators=("__sub__",),
    aliases=("subtract",), dynamic_numbers=True)  # fmt: skip
def sub(input: Array, other: Array, *, alpha: Any = 1) -> Array:
    _check_broadcast(input, other)
    d = _dtype.result_type(input, other)
    if d is _dtype.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead.")
    input, other = _dtype.cast(input, d), _dtype.cast(other, d)
    return input - (other if alpha == 1 else other * _dtype.cast(alpha, d))


@op("rsub", grad_fn=lambda input, other, *, alpha=1: "RsubBackward0" if hasattr(
    other, "shape") else "RsubBackward1", saves=False, method="__rsub__",
    dynamic_numbers=True, out=False)  # fmt: skip
def rsub(input: Array, other: Array, *, alpha: Any = 1) -> Array:
    return sub.impl(other, input, alpha=alpha)


_binary("mul", jnp.multiply, "MulBackward0", operators=("__mul__", "__rmul__"),
        aliases=("multiply",), dynamic_numbers=True)  # fmt: skip


def _div_name(input: Any, other: Any, *, rounding_mode: str | None = None) -> str:
    if rounding_mode is not None:
        return "DivBackward2"  # torch: div.Tensor_mode (a Python number is wrapped)
    return "DivBackward0" if hasattr(input, "shape") else "MulBackward0"


@op("div", grad_fn=_div_name, inplace="div_", operators=("__truediv__",),
    aliases=("divide", "true_divide"), dynamic_numbers=True)  # fmt: skip
def div(input: Array, other: Array, *, rounding_mode: str | None = None) -> Array:
    _check_broadcast(input, other)
    d = _dtype.result_type(input, other)
    if rounding_mode is None:
        d = _dtype.to_float(d)
        return jnp.true_divide(_dtype.cast(input, d), _dtype.cast(other, d))
    a, b = _dtype.cast(input, d), _dtype.cast(other, d)
    if rounding_mode == "trunc":
        return jnp.trunc(a / b).astype(d.np) if d.is_floating_point else jnp.trunc(
            jnp.true_divide(a, b)).astype(d.np)  # fmt: skip
    if rounding_mode == "floor":
        return jnp.floor_divide(a, b)
    raise ValueError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'")


@op("rdiv", grad_fn="MulBackward0", method="__rtruediv__", opinfo=None)
def rdiv(input: Array, other: Array) -> Array:
    return div.impl(other, input)


@op("floor_divide", grad_fn="torch::autograd::NotImplemented", saves=False, promote=BINARY,
    inplace="floor_divide_", operators=("__floordiv__",))  # fmt: skip
def floor_divide(input: Array, other: Array) -> Array:
    _check_broadcast(input, other)
    return jnp.floor_divide(input, other)


@op("rfloordiv", grad_fn="torch::autograd::NotImplemented", saves=False, promote=BINARY,
    method="__rfloordiv__", opinfo=None, no_derivative="floor_divide")  # fmt: skip
def rfloordiv(input: Array, other: Array) -> Array:
    return jnp.floor_divide(other, input)


def _remainder_name(input: Any, other: Any) -> str:
    return "RemainderBackward1" if hasattr(other, "shape") else "RemainderBackward0"


def _fmod_name(input: Any, other: Any) -> str:
    return "FmodBackward1" if hasattr(other, "shape") else "FmodBackward0"


@op("remainder", grad_fn=_remainder_name, saves=False, promote=BINARY, inplace="remainder_",
    operators=("__mod__",))  # fmt: skip
def remainder(input: Array, other: Array) -> Array:
    _check_broadcast(input, other)
    return jnp.remainder(input, other)


_RMOD = ("Tensor.__rmod__(other) with a Tensor `other` is remainder(other, self), "
         "differentiable; this entry models `number % tensor`, whose derivative torch does not "
         "implement")


@op("rmod", grad_fn="torch::autograd::NotImplemented", saves=False, promote=BINARY, method="__rmod__",
    no_derivative="remainder", opinfo=OpInfoTest(xfail={
        "grad_fn": _RMOD, "grad": _RMOD, "gradgrad": _RMOD, "batched": _RMOD}))  # fmt: skip
def rmod(input: Array, other: Array) -> Array:
    return jnp.remainder(other, input)


@op("fmod", grad_fn=_fmod_name, saves=False, promote=BINARY, inplace="fmod_")
def fmod(input: Array, other: Array) -> Array:
    _check_broadcast(input, other)
    return jnp.fmod(input, other)


def _pow_name(input: Any, exponent: Any) -> str:
    if not hasattr(input, "shape"):
        return "PowBackward2"
    return "PowBackward1" if hasattr(exponent, "shape") else "PowBackward0"


@op("pow", grad_fn=_pow_name, promote=BINARY, inplace="pow_", operators=("__pow__",))
def pow(input: Array, exponent: Array) -> Array:  # noqa: A001
    _check_broadcast(input, exponent)
    if jnp.issubdtype(jnp.result_type(exponent), jnp.integer) and jnp.issubdtype(
            jnp.result_type(input), jnp.integer):  # fmt: skip
        # torch (powi): an integer to a negative power is 0, but 1 for base 1 and +-1 for
        # base -1; jnp.power raises for a negative concrete exponent.
        negative = exponent < 0
        power = jnp.power(input, jnp.where(negative, jnp.zeros_like(exponent), exponent))
        odd = (exponent % 2) != 0
        unit = jnp.where(input == -1, jnp.where(odd, -1, 1), jnp.where(input == 1, 1, 0))
        return jnp.where(negative, unit.astype(power.dtype), power)
    # Note [pow at zero]: x ** 0 is 1 with derivative 0 everywhere (torch: pow_backward
    # masks exponent == 0); jnp.power's vjp gives NaN at x == 0 for some exponents.
    safe = jnp.where(exponent == 0, jnp.ones_like(input), input)
    return jnp.where(exponent == 0, jnp.ones_like(jnp.power(safe, exponent)), jnp.power(safe, exponent))


@op("rpow", grad_fn=lambda input, other: "PowBackward1" if hasattr(other, "shape") else (
    "PowBackward2"), promote=BINARY, method="__rpow__")  # fmt: skip
def rpow(input: Array, other: Array) -> Array:
    return pow.impl(other, input)


_binary("atan2", jnp.arctan2, "Atan2Backward0", promote=FLOAT, aliases=("arctan2",))
_binary("hypot", jnp.hypot, "HypotBackward0", promote=FLOAT)
_binary("logaddexp", jnp.logaddexp, "LogaddexpBackward0", promote=FLOAT, inplace=False)
_binary("xlogy", jsp.xlogy, "XlogyBackward0", promote=FLOAT,
        namespaces=("torch", "special"))
_binary("maximum", jnp.maximum, "MaximumBackward0", inplace=False)
_binary("minimum", jnp.minimum, "MinimumBackward0", inplace=False)
_binary("fmax", jnp.fmax, "FmaxBackward0", inplace=False)
_binary("fmin", jnp.fmin, "FminBackward0", inplace=False)
# atol: torch's second derivative of copysign is result / self differentiated again, exactly 0
# up to float32 rounding (3e-5 where |result / self| is large); ours is exactly 0.
_binary("copysign", jnp.copysign, "CopysignBackward0", promote=FLOAT, opinfo=OpInfoTest(atol=1e-4))


# --- comparisons and logic (never differentiable: outputs are bool) -----------

def _comparison(name: str, fn: Any, dunder: str, aliases: tuple[str, ...] = ()) -> None:
    def impl(input: Array, other: Array) -> Array:
        _check_broadcast(input, other)
        return fn(input, other)

    impl.__name__ = name
    op(name, grad_fn=None, saves=False, promote=BINARY, operators=(dunder,), inplace=f"{name}_",
       aliases=aliases)(impl)  # fmt: skip


_comparison("eq", jnp.equal, "__eq__")
_comparison("ne", jnp.not_equal, "__ne__", aliases=("not_equal",))
_comparison("lt", jnp.less, "__lt__", aliases=("less",))
_comparison("le", jnp.less_equal, "__le__", aliases=("less_equal",))
_comparison("gt", jnp.greater, "__gt__", aliases=("greater",))
_comparison("ge", jnp.greater_equal, "__ge__", aliases=("greater_equal",))


@op("logical_and", grad_fn=None, inplace="logical_and_")
def logical_and(input: Array, other: Array) -> Array:
    return jnp.logical_and(input, other)


@op("logical_or", grad_fn=None, inplace="logical_or_")
def logical_or(input: Array, other: Array) -> Array:
    return jnp.logical_or(input, other)


@op("logical_xor", grad_fn=None, inplace="logical_xor_")
def logical_xor(input: Array, other: Array) -> Array:
    return jnp.logical_xor(input, other)


@op("logical_not", grad_fn=None, inplace="logical_not_")
def logical_not(input: Array) -> Array:
    return jnp.logical_not(input)


def _bitwise(name: str, fn: Any, dunders: tuple[str, ...]) -> None:
    def impl(input: Array, other: Array) -> Array:
        d = _dtype.result_type(input, other)
        if d.is_floating_point or d.is_complex:
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dtype.legacy_name(d)}\'')
        return fn(_dtype.cast(input, d), _dtype.cast(other, d))

    impl.__name__ = name
    op(name, grad_fn=None, saves=False, operators=dunders, inplace=f"{name}_")(impl)


_bitwise("bitwise_and", jnp.bitwise_and, ("__and__", "__rand__"))
_bitwise("bitwise_or", jnp.bitwise_or, ("__or__", "__ror__"))
_bitwise("bitwise_xor", jnp.bitwise_xor, ("__xor__", "__rxor__"))


@op("bitwise_not", grad_fn=None, operators=("__invert__",), inplace="bitwise_not_")
def bitwise_not(input: Array) -> Array:
    if input.dtype == jnp.bool_:
        return jnp.logical_not(input)
    return jnp.bitwise_not(input)


@op("isnan", grad_fn=None, out=False)
def isnan(input: Array) -> Array:
    return jnp.isnan(input)


@op("isinf", grad_fn=None, out=False)
def isinf(input: Array) -> Array:
    return jnp.isinf(input)


@op("isfinite", grad_fn=None, out=False)
def isfinite(input: Array) -> Array:
    return jnp.isfinite(input)


# --- unary math --------------------------------------------------------------

def _backward_name(name: str) -> str:
    # torch's codegen: CamelCase of the op name, e.g. log1p -> Log1PBackward0.
    return "".join(part.title() for part in name.split("_")) + "Backward0"


def _unary(name: str, fn: Any, *, promote: str = FLOAT, saves: bool = True,
           grad_fn: str | None = "", aliases: tuple[str, ...] = (), operators: tuple[str, ...] = (),
           opinfo: OpInfoTest | None = OpInfoTest(),
           namespaces: tuple[str, ...] = ("torch",), out: bool = True) -> None:  # fmt: skip
    def impl(input: Array) -> Array:
        return fn(input)

    impl.__name__ = name
    op(name, grad_fn=_backward_name(name) if grad_fn == "" else grad_fn, saves=saves,
       promote=promote, inplace=f"{name}_", aliases=aliases, operators=operators,
       opinfo=opinfo, namespaces=namespaces, out=out)(impl)  # fmt: skip


def _rsqrt(x: Array) -> Array:
    return jax.lax.rsqrt(x)


def _sigmoid(x: Array) -> Array:
    return jax.nn.sigmoid(x)


def _relu(x: Array) -> Array:
    # torch: threshold_backward passes grad where result > 0, so 0 at x == 0.
    return jnp.where(x > 0, x, jnp.zeros_like(x))


def _sign(x: Array) -> Array:
    return jnp.sign(x)


@jax.custom_jvp
def _abs_real(x: Array) -> Array:
    return jnp.abs(x)


@_abs_real.defjvp
def _abs_real_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    # torch: derivatives.yaml "abs" is grad * self.sgn(): 0 at 0 (JAX's rule passes grad
    # there), and a gradient that depends on self, so create_graph keeps it in the graph.
    (x,), (g,) = primals, tangents
    return jnp.abs(x), g * jnp.sign(x)


def _abs(x: Array) -> Array:
    if jnp.issubdtype(x.dtype, jnp.floating):
        return _abs_real(x)
    return jnp.abs(x)


def _sgn(x: Array) -> Array:
    return jnp.sign(x)


def _frac(x: Array) -> Array:
    return x - jnp.trunc(x)


def _sinc(x: Array) -> Array:
    return jnp.sinc(x)


# Note [polygamma for negative x]: jsp.polygamma (a Hurwitz zeta) loses all accuracy for
# x < 0 (trigamma(-12.7) comes out as -0.08 instead of 15.0), which made the gradients of
# digamma and lgamma wrong there. torch reflects, and so do we:
# psi_n(x) = (-1)^n psi_n(1 - x) - pi d^n/dx^n cot(pi x).

def _cot_derivative(n: int, x: Array) -> Array:
    """d^n/dx^n cot(pi x), elementwise, by nested forward-mode derivatives."""

    def cot(y: Array) -> Array:
        return jnp.cos(jnp.pi * y) / jnp.sin(jnp.pi * y)

    def derivative(f: Any) -> Any:
        def df(y: Array) -> Array:
            return jax.jvp(f, (y,), (jnp.ones_like(y),))[1]

        return df

    f = cot
    for _ in range(n):
        f = derivative(f)
    return f(x)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _polygamma(n: int, x: Array) -> Array:
    if n == 0:
        return _digamma(x)
    negative = x < 0
    direct = jsp.polygamma(n, jnp.where(negative, 1 - x, x))
    reflected = (-1) ** n * direct - jnp.pi * _cot_derivative(n, x)
    # torch's poles: trigamma reflects too (finite at negative integers), higher orders go
    # through zeta(n + 1, x), infinite at every integer x <= 0.
    pole = (x == 0) if n == 1 else ((x <= 0) & (x == jnp.floor(x)))
    inf = jnp.asarray((-1) ** (n + 1) * jnp.inf, x.dtype)
    return jnp.where(pole, inf, jnp.where(negative, reflected, direct))


@_polygamma.defjvp
def _polygamma_jvp(n: int, primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    return _polygamma(n, x), _polygamma(n + 1, x) * t


@jax.custom_jvp
def _digamma(x: Array) -> Array:
    # torch: calc_digamma returns -inf at +0 and +inf at -0 (jsp.digamma gives nan there).
    pole = jnp.copysign(jnp.asarray(jnp.inf, x.dtype), -x)
    return jnp.where(x == 0, pole, jsp.digamma(x))


@_digamma.defjvp
def _digamma_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    return _digamma(x), _polygamma(1, x) * t  # torch: derivatives.yaml "digamma"


@jax.custom_jvp
def _lgamma(x: Array) -> Array:
    return jsp.gammaln(x)


@_lgamma.defjvp
def _lgamma_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (x,), (t,) = primals, tangents
    return _lgamma(x), _digamma(x) * t  # See Note [polygamma for negative x]


def _exp2(x: Array) -> Array:
    return jnp.exp2(x)


def _erfinv(x: Array) -> Array:
    return jsp.erfinv(x)


_unary("exp", jnp.exp)
_unary("exp2", _exp2, namespaces=("torch", "special"))
_unary("expm1", jnp.expm1, namespaces=("torch", "special"))
_unary("log", jnp.log)
_unary("log2", jnp.log2)
_unary("log10", jnp.log10)
_unary("log1p", jnp.log1p, namespaces=("torch", "special"))
_unary("sqrt", jnp.sqrt)
_unary("rsqrt", _rsqrt)
_unary("sin", jnp.sin)
_unary("cos", jnp.cos)
_unary("tan", jnp.tan)
_unary("asin", jnp.arcsin, aliases=("arcsin",))
_unary("acos", jnp.arccos, aliases=("arccos",))
_unary("atan", jnp.arctan, aliases=("arctan",))
_unary("sinh", jnp.sinh)
_unary("cosh", jnp.cosh)
_unary("tanh", jnp.tanh)
_unary("asinh", jnp.arcsinh, aliases=("arcsinh",))
_unary("acosh", jnp.arccosh, aliases=("arccosh",))
_unary("atanh", jnp.arctanh, aliases=("arctanh",))
_unary("sigmoid", _sigmoid)
_unary("erf", jsp.erf, namespaces=("torch", "special"))
_unary("erfc", jsp.erfc, namespaces=("torch", "special"))
_unary("erfinv", _erfinv, namespaces=("torch", "special"))
_unary("lgamma", _lgamma)
_unary("digamma", _digamma, namespaces=("torch", "special"))
_unary("sinc", _sinc, namespaces=("torch", "special"))
_unary("reciprocal", jnp.reciprocal)
_unary("neg", jnp.negative, promote=NONE, saves=False, aliases=("negative",), operators=("__neg__",))
_unary("abs", _abs, promote=NONE, aliases=("absolute",), operators=("__abs__",))
_unary("relu", _relu, promote=NONE, opinfo=OpInfoTest(name="nn.functional.relu"), out=False)
_unary("sign", _sign, promote=NONE, saves=False)
_unary("sgn", _sgn, promote=NONE, saves=False)
_unary("floor", jnp.floor, promote=NONE, saves=False)
_unary("ceil", jnp.ceil, promote=NONE, saves=False)
_unary("trunc", jnp.trunc, promote=NONE, saves=False, aliases=("fix",))
_unary("frac", _frac, promote=NONE, saves=False)
_unary("square", jnp.square, promote=NONE, grad_fn="PowBackward0")
_unary("deg2rad", jnp.deg2rad)
_unary("rad2deg", jnp.rad2deg)


def _round_name(input: Any, *, decimals: int | None = None) -> str:
    return "RoundBackward0" if decimals is None else "RoundBackward1"  # round.decimals


@op("round", grad_fn=_round_name, saves=False, inplace="round_")
def round(input: Array, *, decimals: int | None = None) -> Array:  # noqa: A001
    return jnp.round(input, decimals or 0)


# --- clamp, where, lerp ------------------------------------------------------

def _clamp_name(input: Any, min: Any = None, max: Any = None) -> str:  # noqa: A002
    return "ClampBackward0" if hasattr(min, "shape") or hasattr(max, "shape") else "ClampBackward1"


@op("clamp", grad_fn=_clamp_name, inplace="clamp_", aliases=("clip",))
def clamp(input: Array, min: Any = None, max: Any = None) -> Array:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _check_broadcast(input, min, max)
    d = _dtype.result_type(*(x for x in (input, min, max) if x is not None))
    x = _dtype.cast(input, d)
    lo = None if min is None else _dtype.cast(min, d)
    hi = None if max is None else _dtype.cast(max, d)
    # Note [clamp at the bounds]: torch's gradient is 1 at lo and hi (derivatives.yaml
    # "clamp"); jnp.clip ties give 0.5. Returning x itself on [lo, hi] makes jax.vjp agree.
    inside = jnp.ones(x.shape, dtype=bool)
    clipped = x
    if lo is not None:
        inside = inside & (x >= lo)
        clipped = jnp.maximum(clipped, lo)
    if hi is not None:
        inside = inside & (x <= hi)
        clipped = jnp.minimum(clipped, hi)
    out = jnp.where(inside, x, clipped)
    if lo is not None and hi is not None:
        out = jnp.where(lo > hi, jnp.broadcast_to(hi, out.shape), out)
    return jnp.where(jnp.isnan(x), x, out) if d.is_floating_point else out


@op("clamp_min", grad_fn=lambda input, min: "ClampMinBackward1" if hasattr(min, "shape") else (
    "ClampMinBackward0"), inplace="clamp_min_")  # fmt: skip
def clamp_min(input: Array, min: Any) -> Array:  # noqa: A002
    return clamp.impl(input, min, None)


@op("clamp_max", grad_fn=lambda input, max: "ClampMaxBackward1" if hasattr(max, "shape") else (
    "ClampMaxBackward0"), inplace="clamp_max_")  # fmt: skip
def clamp_max(input: Array, max: Any) -> Array:  # noqa: A002
    return clamp.impl(input, None, max)


@op("where", grad_fn="WhereBackward0")
def where(condition: Array, input: Any, other: Any) -> Array:
    if condition.dtype != jnp.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_dtype.from_np(condition.dtype).name.capitalize()}")
    _check_broadcast(condition, input, other)
    input, other = _dtype.promote(input, other)
    return jnp.where(condition, input, other)


@op("lerp", grad_fn=lambda input, end, weight: "LerpBackward1" if hasattr(weight, "shape") else (
    "LerpBackward0"), promote=BINARY, inplace="lerp_", dynamic_numbers=True)  # fmt: skip
def lerp(input: Array, end: Array, weight: Any) -> Array:
    _check_broadcast(input, end, weight)
    return input + weight * (end - input)


@op("logit", grad_fn="LogitBackward0", promote=FLOAT, inplace="logit_",
    namespaces=("torch", "special"))
def logit(input: Array, eps: float | None = None) -> Array:
    # torch: with eps, the input is clamped to [eps, 1 - eps] first; the gradient is 0 outside
    # (logit_backward), which the clamp's own gradient gives (See Note [clamp at the bounds]).
    x = input if eps is None else clamp.impl(input, eps, 1 - eps)
    return jnp.log(x / (1 - x))


# --- more special functions and ternary ops -----------------------------------------------------

@op("polygamma", grad_fn="PolygammaBackward0", method=False, inplace=None,
    namespaces=("torch", "special"))
def polygamma(n: int, input: Array) -> Array:
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    d = _dtype.to_float(_dtype.from_np(input.dtype))
    return _polygamma(n, input.astype(d.np))  # See Note [polygamma for negative x]


@jax.custom_jvp
def _i0(x: Array) -> Array:
    return jsp.i0(x)


@_i0.defjvp
def _i0_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    # torch: derivatives.yaml "i0" is i1; jsp.i0's own derivative is 1 at x == 0, not 0.
    (x,), (t,) = primals, tangents
    return _i0(x), jsp.i1(x) * t


@op("i0", grad_fn="I0Backward0", promote=FLOAT, inplace="i0_", namespaces=("torch", "special"))
def i0(input: Array) -> Array:
    return _i0(input)


_binary("logaddexp2", jnp.logaddexp2, "Logaddexp2Backward0", promote=FLOAT, inplace=False)


@op("addcmul", grad_fn="AddcmulBackward0", promote=BINARY, inplace="addcmul_",
    dynamic_numbers=True)  # fmt: skip
def addcmul(input: Array, tensor1: Array, tensor2: Array, *, value: Any = 1) -> Array:
    _check_broadcast(input, tensor1, tensor2)
    product = tensor1 * tensor2
    if value != 1:
        product = _dtype.cast(value, _dtype.from_np(product.dtype)) * product
    return input + product


@op("addcdiv", grad_fn="AddcdivBackward0", promote=BINARY, inplace="addcdiv_",
    dynamic_numbers=True)  # fmt: skip
def addcdiv(input: Array, tensor1: Array, tensor2: Array, *, value: Any = 1) -> Array:
    _check_broadcast(input, tensor1, tensor2)
    if not jnp.issubdtype(tensor1.dtype, jnp.inexact):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    quotient = tensor1 / tensor2
    if value != 1:
        quotient = _dtype.cast(value, _dtype.from_np(quotient.dtype)) * quotient
    return input + quotient


@op("nan_to_num", grad_fn="NanToNumBackward0", inplace="nan_to_num_")
def nan_to_num(input: Array, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Array:  # fmt: skip
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        return input
    # torch: nan_to_num_backward passes the gradient where the input is finite.
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


def _float_power_name(input: Any, exponent: Any) -> str:
    # torch: float_power is pow on float64 copies (a Python number exponent stays a scalar).
    return "PowBackward1" if hasattr(exponent, "shape") else "PowBackward0"


@op("float_power", grad_fn=_float_power_name, inplace="float_power_")
def float_power(input: Any, exponent: Any) -> Array:
    if not hasattr(input, "shape"):  # float_power(number, tensor)
        return pow.impl(jnp.asarray(input, jnp.float64), exponent.astype(jnp.float64))
    d = jnp.complex128 if jnp.iscomplexobj(input) or isinstance(exponent, complex) else jnp.float64
    exponent = exponent.astype(d) if hasattr(exponent, "shape") else exponent
    return pow.impl(input.astype(d), exponent)


@op("signbit", grad_fn=None)
def signbit(input: Array) -> Array:
    return jnp.signbit(input) if jnp.issubdtype(input.dtype, jnp.inexact) else input < 0
