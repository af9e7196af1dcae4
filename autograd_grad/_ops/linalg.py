"""Linear algebra: `torch.linalg` and torch's decompositions and solvers."""

from __future__ import annotations

import functools
import math
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype, _errors
from ._table import NOT_IMPLEMENTED, OpInfoTest, op

Array = jax.Array


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError): a singular or not positive-definite
    input, found from the values."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


def _return_type(name: str, fields: tuple[str, ...]) -> Any:
    cls = namedtuple(name, fields)  # type: ignore[misc]
    cls.__module__ = "torch.return_types"
    return cls


def _returns(name: str, *fields: str) -> Any:
    cls = _return_type(name, fields)

    def result(*tensors: Any) -> Any:
        return cls(*tensors)

    return result


# --- checks (torch: aten/src/ATen/native/LinearAlgebraUtils.h) ----------------------------

def _check_float(name: str, x: Array) -> None:
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_dtype.legacy_name(_dtype.from_np(x.dtype))}")  # fmt: skip


def _check_matrix(name: str, x: Array, arg: str = "A") -> None:
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def _check_square(name: str, x: Array, arg: str = "A", *, float_: bool = True) -> None:
    _check_matrix(name, x, arg)
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")  # fmt: skip
    if float_:
        _check_float(name, x)


def _check_same_dtype(name: str, a: Array, b: Array, an: str = "A", bn: str = "B") -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{name}: Expected {an} and {bn} to have the same dtype, but found {an} of type "
            f"{_dtype.legacy_name(_dtype.from_np(a.dtype))} and {bn} of type "
            f"{_dtype.legacy_name(_dtype.from_np(b.dtype))} instead")


def _batch_prefix(info: np.ndarray) -> tuple[str, int]:
    """torch's "(Batch element i): " for the first failing element, and its info."""
    flat = info.reshape(-1)
    i = int(np.argmax(flat != 0))
    return (f"(Batch element {i}): " if info.ndim > 0 else ""), int(flat[i])


def _raise_if(info: Array, message: Any) -> None:
    """Raise `message(prefix, info)` as LinAlgError where some info is nonzero: a value
    check, made when the op runs on concrete values (See Note [Deferred values])."""
    if _errors.is_traced(info):
        return
    concrete = np.asarray(info)
    if concrete.size and concrete.any():
        prefix, value = _batch_prefix(concrete)
        raise LinAlgError(message(prefix, value))


def _mH(x: Array) -> Array:  # noqa: N802
    return jnp.conj(jnp.swapaxes(x, -1, -2))


def _eye_like(x: Array) -> Array:
    return jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)


def _lu_info(lu: Array) -> Array:
    """LAPACK getrf's info: the first (1-based) zero on U's diagonal, else 0."""
    diag = jnp.diagonal(lu, axis1=-2, axis2=-1)
    zero = diag == 0
    if diag.shape[-1] == 0:
        return jnp.zeros(diag.shape[:-1], jnp.int32)
    first = jnp.argmax(zero, axis=-1).astype(jnp.int32) + 1
    return jnp.where(jnp.any(zero, axis=-1), first, 0).astype(jnp.int32)


def _hermitian_from(a: Array, lower: bool) -> Array:
    """The Hermitian matrix LAPACK reads from one triangle of `a` (the diagonal's real part)."""
    diag = jnp.real(jnp.diagonal(a, axis1=-2, axis2=-1)).astype(a.dtype)
    tri = jnp.tril(a, -1) if lower else jnp.triu(a, 1)
    return tri + _mH(tri) + diag[..., None] * _eye_like(a)


def _triangle_valued(a: Array, lower: bool) -> Array:
    # Note [One triangle]: torch's eigh and cholesky read one triangle of A, yet their
    # backward returns the Hermitian gradient of a function of all of A. The value is the
    # triangle's Hermitian matrix; the derivative is that of (A + A^H)/2, which carries
    # torch's (already Hermitian) gradient through unchanged.
    sym = (a + _mH(a)) / 2
    return sym + lax.stop_gradient(_hermitian_from(a, lower) - sym)


def _cholesky_info(a: Array) -> Array:
    """LAPACK potrf's info on the Hermitian `a`: the order of the first leading minor that
    is not positive-definite, else 0 (an unblocked Cholesky that records the first pivot)."""
    a = lax.stop_gradient(a)
    n = a.shape[-1]
    index = jnp.arange(n)

    def step(k: Any, state: tuple[Array, Array]) -> tuple[Array, Array]:
        s, info = state
        d = jnp.real(s[..., k, k])
        bad = ~(d > 0)
        info = jnp.where((info == 0) & bad, k + 1, info)
        col = s[..., :, k] / jnp.sqrt(jnp.where(bad, 1, d))[..., None].astype(s.dtype)
        col = jnp.where(index > k, col, 0)
        s = s - col[..., :, None] * jnp.conj(col)[..., None, :]
        return s, info

    _, info = lax.fori_loop(0, n, step, (a, jnp.zeros(a.shape[:-2], jnp.int32)))
    return info


# --- inverse, determinant ---------------------------------------------------------------------

def _singular_message(name: str) -> Any:
    def message(prefix: str, info: int) -> str:
        return (f"{name}: {prefix}The diagonal element {info} is zero, the inversion could not "
                "be completed because the input matrix is singular.")  # fmt: skip

    return message


def _inv_ex(name: str, A: Array) -> tuple[Array, Array]:
    _check_square(name, A)
    if A.shape[-1] == 0:
        return A, jnp.zeros(A.shape[:-2], jnp.int32)
    info = _lu_info(lax.linalg.lu(lax.stop_gradient(A))[0])
    return jnp.linalg.inv(A), info


@op("inv", grad_fn="LinalgInvExBackward0", namespaces=("linalg",), method=False)
def inv(A: Array) -> Array:
    out, info = _inv_ex("linalg.inv", A)
    _raise_if(info, _singular_message("linalg.inv"))
    return out


@op("inverse", grad_fn="LinalgInvExBackward0", opinfo=None)
def inverse(input: Array) -> Array:
    return inv.impl(input)


@op("inv_ex", grad_fn="LinalgInvExBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def inv_ex(A: Array, *, check_errors: bool = False) -> Any:
    out, info = _inv_ex("linalg.inv_ex", A)
    if check_errors:
        _raise_if(info, _singular_message("linalg.inv_ex"))
    return out, info


inv_ex.impl.result_type = _returns("linalg_inv_ex", "inverse", "info")  # type: ignore[attr-defined]


@op("det", grad_fn="LinalgDetBackward0", namespaces=("torch", "linalg"))
def det(A: Array) -> Array:
    _check_square("linalg.det", A)
    if A.shape[-1] == 0:  # JAX's derivative of det fails on empty matrices
        return jnp.ones(A.shape[:-2], A.dtype)
    return jnp.linalg.det(A)


def _slogdet(name: str, A: Array) -> tuple[Array, Array]:
    _check_square(name, A)
    if A.shape[-1] == 0:
        return jnp.ones(A.shape[:-2], A.dtype), jnp.zeros(A.shape[:-2], jnp.real(A).dtype)
    sign, logabsdet = jnp.linalg.slogdet(A)
    return sign, logabsdet


@op("linalg_slogdet", grad_fn="LinalgSlogdetBackward0", namespaces=("linalg",),
    aliases=("slogdet",), method=False, multi_output=True,
    opinfo=OpInfoTest(name="linalg.slogdet"))  # fmt: skip
def linalg_slogdet(A: Array) -> Any:  # noqa: N803
    return _slogdet("linalg.slogdet", A)


linalg_slogdet.impl.result_type = _returns("linalg_slogdet", "sign", "logabsdet")  # type: ignore[attr-defined]


@op("slogdet", grad_fn="LinalgSlogdetBackward0", multi_output=True, opinfo=None)
def slogdet(input: Array) -> Any:
    return _slogdet("linalg.slogdet", input)


slogdet.impl.result_type = _returns("slogdet", "sign", "logabsdet")  # type: ignore[attr-defined]


@op("logdet", out=False, grad_fn="WhereBackward0")
def logdet(input: Array) -> Array:
    sign, logabsdet = _slogdet("logdet", input)
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        return jnp.log(sign) + logabsdet
    # torch: at::where(sign == -1, nan, logabsdet)
    return jnp.where(sign == -1, jnp.nan, logabsdet)


# --- solvers ------------------------------------------------------------------------------

def _solve_ex(name: str, A: Array, B: Array, left: bool) -> tuple[Array, Array]:
    _check_square(name, A)
    _check_float(name, B)
    _check_same_dtype(name, A, B)
    # torch: linalg_solve_is_vector_rhs
    vector = B.ndim == 1 or (A.ndim - 1 == B.ndim and B.shape == A.shape[:-1])
    b = B[..., None] if vector else B
    n = A.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")  # fmt: skip
    if not left:  # X A = B  <=>  A^T X^T = B^T
        b = jnp.swapaxes(b, -1, -2)
    batch = _errors.broadcast_shapes(A.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(A if left else jnp.swapaxes(A, -1, -2), batch + A.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    info = _lu_info(lax.linalg.lu(lax.stop_gradient(a))[0]) if n else jnp.zeros(batch, jnp.int32)
    x = jnp.linalg.solve(a, b) if n else b
    if not left:
        x = jnp.swapaxes(x, -1, -2)
    if vector:
        x = x[..., 0]
    return x, info


def _solve_message(prefix: str, info: int) -> str:
    return f"torch.linalg.solve: {prefix}The solver failed because the input matrix is singular."


@op("solve", grad_fn="LinalgSolveExBackward0", namespaces=("linalg",), method=False)
def solve(A: Array, B: Array, *, left: bool = True) -> Array:
    x, info = _solve_ex("linalg.solve", A, B, left)
    _raise_if(info, _solve_message)
    return x


@op("solve_ex", grad_fn="LinalgSolveExBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def solve_ex(A: Array, B: Array, *, left: bool = True, check_errors: bool = False) -> Any:
    x, info = _solve_ex("linalg.solve_ex", A, B, left)
    if check_errors:
        _raise_if(info, _solve_message)
    return x, info


solve_ex.impl.result_type = _returns("linalg_solve_ex", "result", "info")  # type: ignore[attr-defined]


# --- Cholesky -----------------------------------------------------------------------------

def _not_pd_message(name: str) -> Any:
    def message(prefix: str, info: int) -> str:
        return (f"{name}: {prefix}The factorization could not be completed because the input is "
                f"not positive-definite (the leading minor of order {info} is not "
                "positive-definite).")  # fmt: skip

    return message


def _cholesky_ex(name: str, A: Array, upper: bool) -> tuple[Array, Array]:
    _check_square(name, A)
    if A.shape[-1] == 0:
        return A, jnp.zeros(A.shape[:-2], jnp.int32)
    h = _triangle_valued(A, lower=not upper)
    L = lax.linalg.cholesky(h, symmetrize_input=False)
    info = _cholesky_info(h)
    return (_mH(L) if upper else L), info


@op("linalg_cholesky", grad_fn="LinalgCholeskyExBackward0", namespaces=("linalg",),
    aliases=("cholesky",), method=False, opinfo=OpInfoTest(name="linalg.cholesky"))  # fmt: skip
def linalg_cholesky(A: Array, *, upper: bool = False) -> Array:
    L, info = _cholesky_ex("linalg.cholesky", A, upper)
    _raise_if(info, _not_pd_message("linalg.cholesky"))
    return L


@op("cholesky_ex", grad_fn="LinalgCholeskyExBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def cholesky_ex(A: Array, *, upper: bool = False, check_errors: bool = False) -> Any:
    L, info = _cholesky_ex("linalg.cholesky_ex", A, upper)
    if check_errors:
        _raise_if(info, _not_pd_message("linalg.cholesky_ex"))
    return L, info


cholesky_ex.impl.result_type = _returns("linalg_cholesky_ex", "L", "info")  # type: ignore[attr-defined]


@op("cholesky", grad_fn="CholeskyBackward0")
def cholesky(input: Array, upper: bool = False) -> Array:
    L, info = _cholesky_ex("cholesky", input, upper)
    _raise_if(info, _not_pd_message("cholesky"))
    return L


# --- QR, SVD, eigh ------------------------------------------------------------------------

def _qr(name: str, A: Array, mode: str) -> tuple[Array, Array]:
    _check_matrix(name, A)
    _check_float(name, A)
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")  # fmt: skip
    m, n = A.shape[-2:]
    if m < n and mode != "r":
        # Note [Wide QR]: A = [X | Y] = Q [R1 | Q^H Y] with X = Q R1 square. JAX
        # differentiates QR of square and tall matrices only; torch also the wide reduced one.
        q, r1 = jnp.linalg.qr(A[..., :m], mode="reduced")
        return q, jnp.concatenate([r1, _mH(q) @ A[..., m:]], axis=-1)
    if mode == "r":
        r = jnp.linalg.qr(A, mode="r")
        return jnp.zeros((0,), A.dtype), r
    q, r = jnp.linalg.qr(A, mode=mode)
    return q, r


@op("linalg_qr", grad_fn="LinalgQrBackward0", namespaces=("linalg",), aliases=("qr",),
    method=False, multi_output=True, opinfo=OpInfoTest(name="linalg.qr"))  # fmt: skip
def linalg_qr(A: Array, mode: str = "reduced") -> Any:
    return _qr("linalg.qr", A, mode)


linalg_qr.impl.result_type = _returns("linalg_qr", "Q", "R")  # type: ignore[attr-defined]


@op("qr", grad_fn="LinalgQrBackward0", multi_output=True)
def qr(input: Array, some: bool = True) -> Any:
    return _qr("linalg.qr", input, "reduced" if some else "complete")


qr.impl.result_type = _returns("qr", "Q", "R")  # type: ignore[attr-defined]


def _svd(name: str, A: Array, full_matrices: bool) -> tuple[Array, Array, Array]:
    _check_matrix(name, A)
    _check_float(name, A)
    m, n = A.shape[-2:]
    k = min(m, n)
    if k == 0:
        real = jnp.real(A).dtype
        s = jnp.zeros(A.shape[:-2] + (0,), real)
        if not full_matrices:
            return (jnp.zeros(A.shape[:-2] + (m, 0), A.dtype), s,
                    jnp.zeros(A.shape[:-2] + (0, n), A.dtype))  # fmt: skip
        return (_eye_like(jnp.zeros(A.shape[:-2] + (m, m), A.dtype)), s,
                _eye_like(jnp.zeros(A.shape[:-2] + (n, n), A.dtype)))  # fmt: skip
    u, s, vh = jnp.linalg.svd(A, full_matrices=False)
    if full_matrices and m != n:
        # torch: svd_backward uses the first k columns of U and rows of Vh only; the rest
        # (any orthonormal completion, LAPACK's here) carries no gradient.
        uf, _, vhf = jnp.linalg.svd(lax.stop_gradient(A), full_matrices=True)
        u = jnp.concatenate([u, uf[..., k:]], axis=-1)
        vh = jnp.concatenate([vh, vhf[..., k:, :]], axis=-2)
    return u, s, vh


@op("linalg_svd", grad_fn="LinalgSvdBackward0", namespaces=("linalg",), aliases=("svd",),
    method=False, multi_output=True, opinfo=OpInfoTest(name="linalg.svd"))  # fmt: skip
def linalg_svd(A: Array, full_matrices: bool = True, *, driver: Any = None) -> Any:
    return _svd("linalg.svd", A, full_matrices)


linalg_svd.impl.result_type = _returns("linalg_svd", "U", "S", "Vh")  # type: ignore[attr-defined]


@op("svdvals", grad_fn="LinalgSvdBackward0", namespaces=("linalg",), method=False)
def svdvals(A: Array, *, driver: Any = None) -> Array:
    _check_matrix("linalg.svdvals", A)
    _check_float("linalg.svdvals", A)
    if min(A.shape[-2:]) == 0:
        return jnp.zeros(A.shape[:-2] + (0,), jnp.real(A).dtype)
    return jnp.linalg.svd(A, compute_uv=False)


def _eigh(name: str, A: Array, UPLO: str) -> tuple[Array, Array]:  # noqa: N803
    _check_square(name, A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    if A.shape[-1] == 0:
        return jnp.zeros(A.shape[:-1], jnp.real(A).dtype), A
    v, w = lax.linalg.eigh(_triangle_valued(A, lower=UPLO == "L"), lower=UPLO == "L",
                           symmetrize_input=False)  # fmt: skip
    return w, v


_EIGH_SIGNS = ("eigenvector signs with UPLO='U': torch's LAPACK (MKL) and JAX's differ in the "
               "arbitrary sign of some eigenvectors (sample 0; with 'L' they agree); the "
               "sign-invariant |eigenvectors| and the eigenvalues match in the grad phases")


@op("eigh", grad_fn="LinalgEighBackward0", namespaces=("linalg",), method=False,
    multi_output=True, opinfo=OpInfoTest(xfail={"forward:float32": _EIGH_SIGNS,
                                                "forward:float64": _EIGH_SIGNS}))  # fmt: skip
def eigh(A: Array, UPLO: str = "L") -> Any:  # noqa: N803
    return _eigh("linalg.eigh", A, UPLO)


eigh.impl.result_type = _returns("linalg_eigh", "eigenvalues", "eigenvectors")  # type: ignore[attr-defined]


@op("eigvalsh", grad_fn="LinalgEighBackward0", namespaces=("linalg",), method=False)
def eigvalsh(A: Array, UPLO: str = "L") -> Array:  # noqa: N803
    return _eigh("linalg.eigvalsh", A, UPLO)[0]


# --- norms --------------------------------------------------------------------------------

_INF = float("inf")


def _norm_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    axes = tuple(_errors.wrap_dim(d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    return axes


def _pow_safe(a: Array, p: float) -> Array:
    """a ** p for a >= 0, with derivative 0 where a == 0 (torch masks norm_backward there)."""
    zero = a == 0
    safe = jnp.where(zero, jnp.ones_like(a), a)
    return jnp.where(zero, jnp.zeros_like(a), safe**p)


def _abs(x: Array) -> Array:
    """|x| whose derivative is torch's sgn(x): 0 at x == 0 (jnp.abs's is 1 there)."""
    if jnp.iscomplexobj(x):
        zero = x == 0
        return jnp.where(zero, 0, jnp.abs(jnp.where(zero, 1, x)))
    return x * jnp.sign(x)


def _vector_norm(x: Array, ord: float, axes: Any, keepdim: bool) -> Array:  # noqa: A002
    a = _abs(x)
    if ord == _INF:
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == -_INF:
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=axes, keepdims=keepdim)
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    if ord < 0:
        # (sum |x|^p)^(1/p) with p < 0 is 0 where some |x| is 0, with gradient 0 (torch's
        # norm_backward: the norm^(1 - p) factor)
        zero = jnp.any(a == 0, axis=axes, keepdims=keepdim)
        safe = jnp.where(a == 0, jnp.ones_like(a), a)
        s = jnp.sum(safe**ord, axis=axes, keepdims=keepdim)
        return jnp.where(zero, jnp.zeros_like(s), s ** (1.0 / ord))
    # torch: norm_backward masks |x|^(p-1) at x == 0 and the whole gradient at norm == 0.
    s = jnp.sum(_pow_safe(a, ord), axis=axes, keepdims=keepdim)
    return _pow_safe(s, 1.0 / ord)


def _vector_norm_checked(name: str, x: Array, ord: Any, dim: Any, keepdim: bool,  # noqa: A002
                         dtype: Any) -> Array:  # fmt: skip
    _check_float(name, x)
    if dtype is not None:
        x = x.astype(dtype.np)
    ord = float(ord)
    axes = _norm_dims(dim, x.ndim)
    if x.ndim == 0:
        x = x.reshape(1)
        axes = None if axes is None else (0,)
        out = _vector_norm(x, ord, axes, False)
        return out
    if ord < 0 or ord == _INF:
        reduced = x.shape if axes is None else tuple(x.shape[a] for a in axes)
        if 0 in reduced:
            shown = "inf" if ord == _INF else ("-inf" if ord == -_INF else f"{ord:g}")
            raise RuntimeError(f"linalg.vector_norm cannot compute the {shown} norm on an empty "
                               "tensor because the operation does not have an identity")  # fmt: skip
    return _vector_norm(x, ord, axes, keepdim)


_NORM_0 = ("torch's backward for ord=0 returns an undefined gradient, which autograd.grad gives "
           "as None; here a reachable input always gets a gradient (zeros)")


@op("vector_norm", grad_fn="LinalgVectorNormBackward0", namespaces=("linalg",), method=False)
def vector_norm(x: Array, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Array:  # fmt: skip
    return _vector_norm_checked("linalg.vector_norm", x, ord, dim, keepdim, dtype)


def _matrix_norm_name(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,  # noqa: A002, N803
                      **kwargs: Any) -> str:  # fmt: skip
    if ord == "fro":
        return "LinalgVectorNormBackward0"
    if keepdim and ord in ("nuc", 2, -2):
        return "PermuteBackward0"
    if ord == "nuc":
        return "SumBackward1"
    return "AmaxBackward0" if ord in (2, 1, _INF) else "AminBackward0"


def _matrix_norm(name: str, A: Array, ord: Any, dim: Any, keepdim: bool,  # noqa: A002, N803
                 dtype: Any) -> Array:  # fmt: skip
    _check_matrix(name, A)
    _check_float(name, A)
    if dtype is not None:
        A = A.astype(dtype.np)
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (_errors.wrap_dim(d, A.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return _vector_norm(A, 2.0, (d0, d1), keepdim)
    if isinstance(ord, str) and ord != "nuc":
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if not isinstance(ord, str) and ord not in (1, -1, 2, -2, _INF, -_INF):
        raise RuntimeError(f"{name}: Order {ord:g} not supported.")
    if ord in ("nuc", 2, -2):
        sv = svdvals.impl(jnp.moveaxis(A, (d0, d1), (-2, -1)))
        if ord == "nuc":
            out = jnp.sum(sv, axis=-1)
        else:
            out = jnp.max(sv, axis=-1) if ord == 2 else jnp.min(sv, axis=-1)
        return jnp.expand_dims(out, sorted((d0, d1))) if keepdim else out
    # 1/-1: the max/min column sum; inf/-inf: the max/min row sum
    summed, reduced = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = jnp.sum(_abs(A), axis=summed, keepdims=True)
    out = jnp.max(sums, axis=reduced, keepdims=True) if ord > 0 else jnp.min(
        sums, axis=reduced, keepdims=True)  # fmt: skip
    return out if keepdim else jnp.squeeze(out, (d0, d1))


@op("matrix_norm", grad_fn=_matrix_norm_name, namespaces=("linalg",), method=False)
def matrix_norm(A: Array, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002, N803
                dtype: Any = None) -> Array:  # fmt: skip
    return _matrix_norm("linalg.matrix_norm", A, ord, dim, keepdim, dtype)


def _is_matrix_norm(A: Any, ord: Any, dim: Any) -> bool:  # noqa: A002, N803
    if dim is not None:
        return not isinstance(dim, int) and len(dim) == 2
    return ord is not None and A.ndim == 2


def _linalg_norm_name(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False,  # noqa: A002, N803
                      **kwargs: Any) -> str:  # fmt: skip
    if ord is not None and _is_matrix_norm(A, ord, dim):
        return _matrix_norm_name(A, ord, dim, keepdim)
    return "LinalgVectorNormBackward0"


_NORM_AT_0 = ("torch's second derivative of the 2-norm at x = 0 is nan (its backward's "
              "grad / norm, masked to 0, still differentiates to 0/0); ours is 0: the guard that "
              "gives torch's first-order 0 gives 0 at second order too")


@op("linalg_norm", grad_fn=_linalg_norm_name, namespaces=("linalg",), aliases=("norm",),
    method=False, opinfo=OpInfoTest(name="linalg.norm", xfail={
        "linalg.norm/grad": _NORM_0, "linalg.norm/batched": _NORM_0,
        "linalg.norm.subgradients_at_zero/grad": _NORM_0,
        "linalg.norm.subgradients_at_zero/batched": _NORM_0,
        "linalg.norm.subgradients_at_zero/gradgrad": _NORM_AT_0}))  # fmt: skip
def linalg_norm(A: Array, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002, N803
                dtype: Any = None) -> Array:  # fmt: skip
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D "
                           f"or 2D. Got {A.ndim}D.")  # fmt: skip
    if _is_matrix_norm(A, ord, dim):
        return _matrix_norm("linalg.norm", A, "fro" if ord is None else ord,
                            (-2, -1) if dim is None else dim, keepdim, dtype)  # fmt: skip
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: The input must be 2D or dim must be a 2-tuple for ord={ord}")
    return _vector_norm_checked("linalg.vector_norm", A, 2 if ord is None else ord, dim, keepdim,
                                dtype)  # fmt: skip


@op("cond", grad_fn=lambda A, p=None: "SqueezeBackward1" if p in (None, 2, -2) else
    "NanToNumBackward0", namespaces=("linalg",), method=False)  # fmt: skip
def cond(A: Array, p: Any = None) -> Array:  # noqa: N803
    _check_matrix("linalg.cond", A)
    _check_float("linalg.cond", A)
    if p in (None, 2, -2):
        sv = svdvals.impl(A)
        big, small = sv[..., 0], sv[..., -1]
        return big / small if p in (None, 2) else small / big
    _check_square("linalg.cond", A)
    norm_a = _matrix_norm("linalg.cond", A, p, (-2, -1), False, None)
    norm_inv = _matrix_norm("linalg.cond", jnp.linalg.inv(A), p, (-2, -1), False, None)
    # torch: a singular input's condition number is inf (nan_to_num of the product)
    out = norm_a * norm_inv
    return jnp.where(jnp.isnan(out), _INF, out)


# --- pseudo-inverse, least squares, rank, powers ------------------------------------------

def _default_rtol(A: Array, atol: Any, rtol: Any) -> Any:
    if rtol is not None:
        return rtol
    if atol is not None and not (isinstance(atol, (int, float)) and atol <= 0):
        return 0.0
    return jnp.finfo(A.dtype).eps * max(A.shape[-2:])


def _tolerance(top: Array, A: Array, atol: Any, rtol: Any) -> Array:
    """torch's max(atol, rtol * largest singular value), per matrix."""
    rtol = _default_rtol(A, atol, rtol)
    tol = jnp.asarray(rtol, top.dtype) * top
    if atol is not None:
        tol = jnp.maximum(jnp.asarray(atol, top.dtype), tol)
    return tol


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _pinv_from(A: Array, atol: Array, rtol: Array, hermitian: bool) -> Array:  # noqa: N803
    """torch's pinv: singular values (|eigenvalues| if hermitian) above max(atol, rtol * the
    largest) are inverted, the rest dropped."""
    if hermitian:
        w, v = _eigh("linalg.pinv", A, "L")
        s, left, right = jnp.abs(w), v, _mH(v)
        s_inv_of = w
    else:
        left, s, right = jnp.linalg.svd(A, full_matrices=False)
        s_inv_of = s
    tol = jnp.maximum(atol, rtol * jnp.max(s, axis=-1))
    keep = s > tol[..., None]
    s_inv = jnp.where(keep, 1 / jnp.where(keep, s_inv_of, 1), 0).astype(A.dtype)
    return (_mH(right) * s_inv[..., None, :]) @ _mH(left)


@_pinv_from.defjvp
def _pinv_jvp(hermitian: bool, primals: Any, tangents: Any) -> Any:
    # torch: pinv_backward, the derivative at constant rank (Golub and Pereyra), as JAX's pinv
    A, atol, rtol = primals
    dA = tangents[0]
    p = _pinv_from(A, atol, rtol, hermitian)
    m, n = A.shape[-2:]
    eye_m = jnp.eye(m, dtype=A.dtype)
    eye_n = jnp.eye(n, dtype=A.dtype)
    dp = (-p @ dA @ p + p @ _mH(p) @ _mH(dA) @ (eye_m - A @ p)
          + (eye_n - p @ A) @ _mH(dA) @ _mH(p) @ p)  # fmt: skip
    return p, dp


def _pinv(name: str, A: Array, atol: Any, rtol: Any, hermitian: bool) -> Array:  # noqa: N803
    if A.ndim < 2 or not jnp.issubdtype(A.dtype, jnp.inexact):
        kind = _dtype.legacy_name(_dtype.from_np(A.dtype))
        raise RuntimeError(f"{name}({kind}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")  # fmt: skip
    m, n = A.shape[-2:]
    if m == 0 or n == 0:
        return jnp.zeros(A.shape[:-2] + (n, m), A.dtype)
    real = jnp.real(A).dtype
    rtol_ = jnp.asarray(_default_rtol(A, atol, rtol), real)
    atol_ = jnp.asarray(0.0 if atol is None else atol, real)
    return _pinv_from(A, lax.stop_gradient(atol_), lax.stop_gradient(rtol_), hermitian)


@op("pinv", grad_fn="LinalgPinvBackward0", namespaces=("linalg",), method=False)
def pinv(A: Array, rcond: Any = None, hermitian: bool = False, *, atol: Any = None,  # noqa: N803
         rtol: Any = None) -> Array:  # fmt: skip
    if rcond is not None:
        rtol = rcond
    return _pinv("linalg.pinv", A, atol, rtol, hermitian)


@op("pinverse", out=False, grad_fn="LinalgPinvBackward0")
def pinverse(input: Array, rcond: float = 1e-15) -> Array:
    return _pinv("linalg.pinv", input, None, rcond, False)


@op("matrix_rank", grad_fn=None, namespaces=("linalg",), method=False)
def matrix_rank(A: Array, tol: Any = None, hermitian: bool = False, *, atol: Any = None,  # noqa: N803
                rtol: Any = None) -> Array:  # fmt: skip
    _check_matrix("linalg.matrix_rank", A)
    _check_float("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    if min(A.shape[-2:]) == 0:
        return jnp.zeros(A.shape[:-2], jnp.int64)
    s = jnp.abs(jnp.linalg.eigvalsh(A)) if hermitian else jnp.linalg.svd(A, compute_uv=False)
    tol_ = _tolerance(jnp.max(s, axis=-1), A, atol, rtol)
    return jnp.sum(s > tol_[..., None], axis=-1).astype(jnp.int64)


def _matrix_power_name(A: Any, n: int) -> str:
    if n == 0:
        return "torch::autograd::CopyBackwards"
    if n == 1:
        return "CloneBackward0"
    if n == -1:
        return "LinalgInvExBackward0"
    return "MmBackward0" if A.ndim == 2 else "UnsafeViewBackward0"


@op("matrix_power", grad_fn=_matrix_power_name, namespaces=("torch", "linalg"))
def matrix_power(A: Array, n: int) -> Array:  # noqa: N803
    _check_square("linalg.matrix_power", A, float_=False)
    if n == 0:
        return _eye_like(A) + 0 * A
    if n < 0:
        A = inv.impl(A)
        n = -n
    # torch: repeated squaring, the result multiplied in from the lowest bit up
    result = None
    z = A
    while True:
        if n % 2:
            result = z if result is None else result @ z
        n //= 2
        if n == 0:
            return result if result is not None else A
        z = z @ z


def _lstsq_constant(rank: Array) -> tuple[int, ...]:
    return (2, 3)


@op("lstsq", grad_fn="LinalgLstsqBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def lstsq(A: Array, B: Array, rcond: Any = None, *, driver: Any = None) -> Any:  # noqa: N803
    _check_matrix("torch.linalg.lstsq", A, "input")
    _check_float("torch.linalg.lstsq", A)
    _check_same_dtype("torch.linalg.lstsq", A, B, "input", "other")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           f"gelsd, gelss)")  # fmt: skip
    vector = B.ndim == A.ndim - 1
    b = B[..., None] if vector else B
    m, n = A.shape[-2:]
    batch = _errors.broadcast_shapes(A.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(A, batch + A.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    real = jnp.real(a).dtype
    if m == 0 or n == 0:
        x = jnp.zeros(batch + (n, b.shape[-1]), a.dtype)
        sv = jnp.zeros(batch + (0,), real)
    else:
        # torch: linalg_lstsq_backward differentiates pinv(A) @ B
        rtol = rcond if rcond is not None and rcond >= 0 else jnp.finfo(a.dtype).eps * max(m, n)
        x = _pinv("torch.linalg.lstsq", a, None, rtol, False) @ b
        sv = jnp.linalg.svd(lax.stop_gradient(a), compute_uv=False)
    rank = jnp.zeros((0,), jnp.int64) if driver == "gels" else jnp.sum(
        sv > (jnp.max(sv, axis=-1, keepdims=True) * (
            rcond if rcond is not None and rcond >= 0 else jnp.finfo(a.dtype).eps * max(m, n))),
        axis=-1).astype(jnp.int64)  # fmt: skip
    full_rank = True if driver == "gels" else bool(np.all(np.asarray(rank) == n)) if not (
        _errors.is_traced(rank)) else True  # fmt: skip
    if m > n and driver != "gelsy" and full_rank:
        r = a @ x - b
        residuals = jnp.sum(jnp.real(r * jnp.conj(r)), axis=-2)
    else:
        residuals = jnp.zeros((0,), real)
    if vector:
        x = x[..., 0]
        if residuals.ndim:
            residuals = residuals[..., 0] if residuals.shape[-1] else residuals
    singular_values = sv if driver in ("gelsd", "gelss") else jnp.zeros((0,), real)
    return x, residuals, rank, lax.stop_gradient(singular_values)


lstsq.impl.result_type = _returns("linalg_lstsq", "solution", "residuals", "rank",  # type: ignore[attr-defined]
                                  "singular_values")
lstsq.impl.constant_outputs = (3,)  # type: ignore[attr-defined]


# --- triangular and Cholesky solvers --------------------------------------------------------

def _broadcast_batch(a: Array, b: Array) -> tuple[Array, Array]:
    batch = _errors.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return (jnp.broadcast_to(a, batch + a.shape[-2:]), jnp.broadcast_to(b, batch + b.shape[-2:]))


def _tri_solve(a: Array, b: Array, *, lower: bool, left: bool = True, transpose: bool = False,
               conjugate: bool = False, unit: bool = False) -> Array:  # fmt: skip
    a, b = _broadcast_batch(a, b)
    if 0 in b.shape or a.shape[-1] == 0:
        return jnp.zeros(b.shape, b.dtype)
    return lax.linalg.triangular_solve(a, b, left_side=left, lower=lower, transpose_a=transpose,
                                       conjugate_a=conjugate, unit_diagonal=unit)  # fmt: skip


@op("solve_triangular", grad_fn="LinalgSolveTriangularBackward0", namespaces=("linalg",),
    method=False)  # fmt: skip
def solve_triangular(A: Array, B: Array, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False) -> Array:  # fmt: skip
    name = "linalg.solve_triangular"
    _check_square(name, A)
    _check_matrix(name, B, "B")
    _check_same_dtype(name, A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")  # fmt: skip
    return _tri_solve(A, B, lower=not upper, left=left, unit=unitriangular)


@op("triangular_solve", grad_fn="TriangularSolveBackward0", multi_output=True)
def triangular_solve(input: Array, A: Array, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> Any:  # fmt: skip
    if input.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but "
                           f"it has {input.ndim} dimensions instead")  # fmt: skip
    _check_same_dtype("triangular_solve", input, A, "b", "A")
    x = _tri_solve(A, input, lower=not upper, transpose=transpose, unit=unitriangular)
    batch = x.shape[:-2]
    return x, jnp.broadcast_to(A, batch + A.shape[-2:])


triangular_solve.impl.result_type = _returns("triangular_solve", "solution",  # type: ignore[attr-defined]
                                             "cloned_coefficient")


def _cholesky_product(L: Array, upper: bool) -> Array:  # noqa: N803
    return _mH(L) @ L if upper else L @ _mH(L)


@op("cholesky_solve", grad_fn="CholeskySolveBackward0")
def cholesky_solve(input: Array, input2: Array, upper: bool = False) -> Array:
    _check_matrix("cholesky_solve", input, "b")
    _check_same_dtype("cholesky_solve", input, input2, "b", "A")
    b, L = _broadcast_batch(input, input2)
    if L.shape[-1] == 0 or 0 in b.shape:
        return jnp.zeros(b.shape, b.dtype)
    # torch: cholesky_solve_backward is the derivative of (L L^H)^-1 B in all of L
    return jnp.linalg.solve(_cholesky_product(L, upper), b)


@op("cholesky_inverse", grad_fn="CholeskyInverseBackward0")
def cholesky_inverse(input: Array, upper: bool = False) -> Array:
    _check_square("cholesky_inverse", input, "input")
    if input.shape[-1] == 0:
        return input
    return jnp.linalg.inv(_cholesky_product(input, upper))


# --- LU ---------------------------------------------------------------------------------------

def _lu(name: str, A: Array) -> tuple[Array, Array, Array]:
    """LU, 1-based int32 pivots (LAPACK getrf's) and the row permutation of A."""
    _check_matrix(name, A)
    _check_float(name, A)
    m, n = A.shape[-2:]
    if m == 0 or n == 0:
        k = min(m, n)
        return (A, jnp.zeros(A.shape[:-2] + (k,), jnp.int32),
                jnp.broadcast_to(jnp.arange(m, dtype=jnp.int32), A.shape[:-2] + (m,)))  # fmt: skip
    lu_, pivots, perm = lax.linalg.lu(A)
    return lu_, pivots.astype(jnp.int32) + 1, perm


def _permutation_matrix(perm: Array, dtype: Any) -> Array:
    """P with A = P L U where A[perm] = L U."""
    return jnp.swapaxes(jax.nn.one_hot(perm, perm.shape[-1], dtype=dtype), -1, -2)


def _unpack(lu_: Array) -> tuple[Array, Array]:
    m, n = lu_.shape[-2:]
    k = min(m, n)
    L = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=lu_.dtype)
    U = jnp.triu(lu_[..., :k, :])
    return L, U


@op("lu_factor", grad_fn="LinalgLuFactorExBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def lu_factor(A: Array, *, pivot: bool = True) -> Any:  # noqa: N803
    lu_, pivots, _ = _lu("linalg.lu_factor", A)
    return lu_, pivots


lu_factor.impl.result_type = _returns("linalg_lu_factor", "LU", "pivots")  # type: ignore[attr-defined]


@op("lu_factor_ex", grad_fn="LinalgLuFactorExBackward0", namespaces=("linalg",), method=False,
    multi_output=True)  # fmt: skip
def lu_factor_ex(A: Array, *, pivot: bool = True, check_errors: bool = False) -> Any:  # noqa: N803
    lu_, pivots, _ = _lu("linalg.lu_factor_ex", A)
    return lu_, pivots, _lu_info(lax.stop_gradient(lu_))


lu_factor_ex.impl.result_type = _returns("linalg_lu_factor_ex", "LU", "pivots", "info")  # type: ignore[attr-defined]


@op("linalg_lu", grad_fn="LinalgLuBackward0", namespaces=("linalg",), aliases=("lu",),
    method=False, multi_output=True, opinfo=OpInfoTest(name="linalg.lu"))  # fmt: skip
def linalg_lu(A: Array, *, pivot: bool = True) -> Any:  # noqa: N803
    lu_, _, perm = _lu("linalg.lu", A)
    L, U = _unpack(lu_)
    return _permutation_matrix(perm, A.dtype), L, U


linalg_lu.impl.result_type = _returns("linalg_lu", "P", "L", "U")  # type: ignore[attr-defined]
linalg_lu.impl.constant_outputs = (0,)  # type: ignore[attr-defined]


def _lu_result(*tensors: Any) -> Any:
    return tuple(tensors) if len(tensors) == 2 else _LU_WITH_INFO(*tensors)


_LU_WITH_INFO = _return_type("_lu_with_info", ("LU", "pivots", "info"))


@op("lu", grad_fn="LinalgLuFactorExBackward0", multi_output=True)
def lu(A: Array, pivot: bool = True, get_infos: bool = False) -> Any:  # noqa: N803
    lu_, pivots, _ = _lu("linalg.lu_factor_ex", A)
    if get_infos:
        return lu_, pivots, _lu_info(lax.stop_gradient(lu_))
    return lu_, pivots


lu.impl.result_type = _lu_result  # type: ignore[attr-defined]


def _pivots_to_perm(pivots: Array, m: int) -> Array:
    if pivots.shape[-1] == 0:
        return jnp.broadcast_to(jnp.arange(m, dtype=jnp.int32), pivots.shape[:-1] + (m,))
    return lax.linalg.lu_pivots_to_permutation(pivots.astype(jnp.int32) - 1, m)


@op("lu_unpack", grad_fn="LuUnpackBackward0", multi_output=True, method=False)
def lu_unpack(LU_data: Array, LU_pivots: Array, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True) -> Any:  # fmt: skip
    m = LU_data.shape[-2]
    L, U = _unpack(LU_data) if unpack_data else (jnp.zeros((0,), LU_data.dtype),) * 2
    if unpack_pivots:
        P = _permutation_matrix(_pivots_to_perm(LU_pivots, m), LU_data.dtype)
    else:
        P = jnp.zeros((0,), LU_data.dtype)
    return P, L, U


lu_unpack.impl.result_type = _returns("lu_unpack", "P", "L", "U")  # type: ignore[attr-defined]
lu_unpack.impl.constant_outputs = (0,)  # type: ignore[attr-defined]


def _lu_solve(LU: Array, pivots: Array, B: Array, left: bool, adjoint: bool) -> Array:  # noqa: N803
    n = LU.shape[-1]
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return _mH(_lu_solve(LU, pivots, _mH(B), True, not adjoint))
    LU, B = _broadcast_batch(LU, B)
    pivots = jnp.broadcast_to(pivots, LU.shape[:-2] + pivots.shape[-1:])
    if n == 0 or 0 in B.shape:
        return jnp.zeros(B.shape, B.dtype)
    perm = _pivots_to_perm(pivots, n)
    P = _permutation_matrix(perm, LU.dtype)
    if not adjoint:  # U^-1 L^-1 P^T B
        y = _tri_solve(LU, _mH(P) @ B, lower=True, unit=True)
        return _tri_solve(LU, y, lower=False)
    # A^H = U^H L^H P^T: X = P L^-H U^-H B
    y = _tri_solve(LU, B, lower=False, transpose=True, conjugate=True)
    return P @ _tri_solve(LU, y, lower=True, unit=True, transpose=True, conjugate=True)


@op("linalg_lu_solve", grad_fn="LinalgLuSolveBackward0", namespaces=("linalg",),
    aliases=("lu_solve",), method=False, opinfo=OpInfoTest(name="linalg.lu_solve"))  # fmt: skip
def linalg_lu_solve(LU: Array, pivots: Array, B: Array, *, left: bool = True,  # noqa: N803
                    adjoint: bool = False) -> Array:  # fmt: skip
    _check_square("linalg.lu_solve", LU, "LU")
    _check_matrix("linalg.lu_solve", B, "B")
    return _lu_solve(LU, pivots, B, left, adjoint)


@op("lu_solve", grad_fn="LinalgLuSolveBackward0")
def lu_solve(input: Array, LU_data: Array, LU_pivots: Array) -> Array:  # noqa: N803
    return _lu_solve(LU_data, LU_pivots, input, True, False)


# --- tensors, exponential ---------------------------------------------------------------------

@op("tensorinv", grad_fn="ReshapeAliasBackward0", namespaces=("linalg",), method=False)
def tensorinv(A: Array, ind: int = 2) -> Array:  # noqa: N803
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")  # fmt: skip
    out = inv.impl(A.reshape(rows, cols))
    return out.reshape(A.shape[ind:] + A.shape[:ind])


@op("tensorsolve", grad_fn="ViewBackward0", namespaces=("linalg",), method=False)
def tensorsolve(A: Array, B: Array, dims: Any = None) -> Array:  # noqa: N803
    if dims is not None:
        axes = [_errors.wrap_dim(d, A.ndim) for d in dims]
        A = jnp.moveaxis(A, axes, list(range(A.ndim - len(axes), A.ndim)))
    rest = A.shape[B.ndim:]
    rows, cols = math.prod(B.shape), math.prod(rest)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {cols} != {rows}")  # fmt: skip
    x = solve.impl(A.reshape(rows, cols), B.reshape(rows))
    return x.reshape(rest)


_EXPM_F32 = ("float32, sample 1 (entries up to 5e4): ours and torch's are both within 1e-6 of the "
             "float64 result relative to the largest entry (ours 4e-7, torch's 1e-6), but small "
             "entries that cancel differ elementwise by up to 8e-4 (different Pade degrees and "
             "scaling)")


@op("matrix_exp", out=False, grad_fn="LinalgMatrixExpBackward0", namespaces=("torch", "linalg"),
    opinfo=OpInfoTest(xfail={"forward:float32": _EXPM_F32, "grad:float32": _EXPM_F32}))
def matrix_exp(A: Array) -> Array:  # noqa: N803
    _check_square("linalg.matrix_exp", A)
    if A.shape[-1] == 0:
        return A
    if A.shape[-1] == 1:
        return jnp.exp(A)
    return jax.scipy.linalg.expm(A)


# --- Householder ------------------------------------------------------------------------------

def _reflector(A: Array, i: int) -> Array:
    """v_i of LAPACK's packed reflectors: 1 at i, A's column i below it, 0 above."""
    m = A.shape[-2]
    col = A[..., :, i]
    index = jnp.arange(m)
    return jnp.where(index > i, col, jnp.where(index == i, jnp.ones_like(col), 0))


def _apply_reflectors(A: Array, tau: Array, C: Array) -> Array:
    """H_1 H_2 ... H_k C with H_i = I - tau_i v_i v_i^H."""
    for i in reversed(range(tau.shape[-1])):
        v = _reflector(A, i)
        C = C - (tau[..., i, None, None] * v[..., :, None]) * (jnp.conj(v)[..., None, :] @ C)
    return C


@op("householder_product", grad_fn="LinalgHouseholderProductBackward0", namespaces=("linalg",),
    method=False)  # fmt: skip
def householder_product(A: Array, tau: Array) -> Array:  # noqa: N803
    name = "torch.linalg.householder_product"
    _check_matrix(name, A, "input")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")  # fmt: skip
    if tau.shape[-1] > n:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")  # fmt: skip
    batch = _errors.broadcast_shapes(A.shape[:-2], tau.shape[:-1])
    eye = jnp.broadcast_to(jnp.eye(m, n, dtype=A.dtype), batch + (m, n))
    return _apply_reflectors(A, tau, eye)


@op("ormqr", grad_fn="OrmqrBackward0")
def ormqr(input: Array, input2: Array, input3: Array, left: bool = True,
          transpose: bool = False) -> Array:  # fmt: skip
    m = input.shape[-2]
    batch = input.shape[:-2]
    Q = _apply_reflectors(input, input2, jnp.broadcast_to(jnp.eye(m, dtype=input.dtype),
                                                          batch + (m, m)))  # fmt: skip
    if transpose:
        Q = _mH(Q)
    return Q @ input3 if left else input3 @ Q


@op("geqrf", grad_fn=NOT_IMPLEMENTED, multi_output=True)
def geqrf(input: Array) -> Any:
    # LAPACK geqr2: column by column, the reflector (dlarfg) that zeroes it below the diagonal
    _check_matrix("geqrf", input, "input")
    a = input
    m, n = a.shape[-2:]
    k = min(m, n)
    taus = []
    index = jnp.arange(m)
    for i in range(k):
        alpha = a[..., i, i]
        below = jnp.where(index > i, a[..., :, i], 0)
        xnorm = jnp.sqrt(jnp.sum(jnp.abs(below) ** 2, axis=-1))
        alphr = jnp.real(alpha)
        alphi = jnp.imag(alpha) if jnp.iscomplexobj(a) else jnp.zeros_like(alphr)
        trivial = (xnorm == 0) & (alphi == 0)
        beta = -jnp.where(alphr >= 0, 1.0, -1.0) * jnp.sqrt(alphr**2 + alphi**2 + xnorm**2)
        beta_safe = jnp.where(trivial, 1.0, beta)
        if jnp.iscomplexobj(a):
            tau = lax.complex((beta_safe - alphr) / beta_safe, -alphi / beta_safe)
        else:
            tau = (beta_safe - alphr) / beta_safe
        tau = jnp.where(trivial, 0, tau).astype(a.dtype)
        scale = jnp.where(trivial, 1, 1 / jnp.where(trivial, 1, alpha - beta_safe))
        v = below * scale[..., None]
        col = jnp.where(index > i, v, jnp.where(index == i, jnp.where(trivial, alpha, beta_safe
                                                                      ).astype(a.dtype)[..., None], a[..., :, i]))  # fmt: skip
        a = a.at[..., :, i].set(col)
        # apply H^H = I - conj(tau) v v^H to the columns right of i
        vfull = jnp.where(index > i, v, jnp.where(index == i, 1, 0)).astype(a.dtype)
        rest = a[..., :, i + 1:]
        w = jnp.conj(vfull)[..., None, :] @ rest
        rest = rest - (jnp.conj(tau)[..., None, None] * vfull[..., :, None]) * w
        a = a.at[..., :, i + 1:].set(rest)
        taus.append(tau)
    tau_all = jnp.stack(taus, axis=-1) if taus else jnp.zeros(a.shape[:-2] + (0,), a.dtype)
    return a, tau_all


geqrf.impl.result_type = _returns("geqrf", "a", "tau")  # type: ignore[attr-defined]


# --- eig --------------------------------------------------------------------------------------

@jax.custom_jvp
def _eig(a: Array) -> tuple[Array, Array]:
    w, v = jnp.linalg.eig(a)
    return w, v


@_eig.defjvp
def _eig_jvp(primals: Any, tangents: Any) -> Any:
    # Note [eig derivative]: JAX differentiates eigenvalues only. With X = V^-1 dA V:
    # dL = diag(X), dV = V (F o X) with F_ij = 1 / (L_j - L_i) off the diagonal, then kept
    # unit-norm (LAPACK's normalisation): dV - V re(diag(V^H dV)). Its transpose is torch's
    # linalg_eig_backward for phase-invariant losses.
    (a,), (da,) = primals, tangents
    w, v = _eig(a)
    n = a.shape[-1]
    x = jnp.linalg.solve(v, da.astype(v.dtype) @ v)
    dw = jnp.diagonal(x, axis1=-2, axis2=-1)
    e = w[..., None, :] - w[..., :, None]
    off = ~jnp.eye(n, dtype=bool)
    f = jnp.where(off, 1 / jnp.where(off, e, 1), 0)
    dv = v @ (f * x)
    dv = dv - v * jnp.real(jnp.diagonal(_mH(v) @ dv, axis1=-2, axis2=-1))[..., None, :]
    return (w, v), (dw, dv)


def _complex_of(dtype: Any) -> Any:
    return jnp.result_type(dtype, jnp.complex64)


def _eig_checked(name: str, A: Array) -> tuple[Array, Array]:  # noqa: N803
    _check_square(name, A)
    if A.shape[-1] == 0:
        c = _complex_of(A.dtype)
        return jnp.zeros(A.shape[:-1], c), jnp.zeros(A.shape, c)
    return _eig(A)


_EIG_SIGNS = ("eigenvector phases: in float64 sample 0, torch's LAPACK (MKL) and JAX's return "
              "one complex pair of eigenvectors multiplied by -1 (both unit-norm with the "
              "largest entry real); eigenvalues and the phase-invariant |eigenvectors| match "
              "in the grad phases")


@op("eig", grad_fn="LinalgEigBackward0", namespaces=("linalg",), method=False, multi_output=True,
    opinfo=OpInfoTest(xfail={"forward:float64": _EIG_SIGNS}))
def eig(A: Array) -> Any:  # noqa: N803
    return _eig_checked("linalg.eig", A)


eig.impl.result_type = _returns("linalg_eig", "eigenvalues", "eigenvectors")  # type: ignore[attr-defined]


@op("eigvals", grad_fn="LinalgEigBackward0", namespaces=("linalg",), method=False)
def eigvals(A: Array) -> Array:  # noqa: N803
    return _eig_checked("linalg.eigvals", A)[0]


_SVD_NAMES = ("torch's V is a TransposeBackward0 view of the svd node's Vh; ours is one "
              "multi-output node, so every output is named LinalgSvdBackward0")


@op("svd", grad_fn="LinalgSvdBackward0", multi_output=True,
    opinfo=OpInfoTest(xfail={"grad_fn": _SVD_NAMES}))  # fmt: skip
def svd(input: Array, some: bool = True, compute_uv: bool = True) -> Any:
    if not compute_uv:
        m, n = input.shape[-2:]
        s = svdvals.impl(input)
        batch = input.shape[:-2]
        return (jnp.zeros(batch + (m, m), input.dtype), s,
                jnp.zeros(batch + (n, n), input.dtype))  # fmt: skip
    u, s, vh = _svd("linalg.svd", input, not some)
    return u, s, _mH(vh)


svd.impl.result_type = _returns("svd", "U", "S", "V")  # type: ignore[attr-defined]


# --- LDL (LAPACK sytf2/sytrs, lower, Bunch-Kaufman pivoting) ----------------------------------

_BK_ALPHA = (1 + math.sqrt(17)) / 8


def _cabs1(x: Array) -> Array:
    return jnp.abs(jnp.real(x)) + jnp.abs(jnp.imag(x)) if jnp.iscomplexobj(x) else jnp.abs(x)


def _swap_trailing(m: Array, k: int, i: Array, j: Array) -> Array:
    """Swap rows and columns i and j (>= k) of the symmetric trailing block m[k:, k:]."""
    n = m.shape[-1]
    perm = jnp.arange(n)
    perm = perm.at[i].set(j).at[j].set(i)
    trail = m[k:, k:][perm[k:] - k][:, perm[k:] - k]
    return m.at[k:, k:].set(trail)


def _ldl_single(a: Array) -> tuple[Array, Array, Array]:
    """One matrix: LAPACK sytf2's compact LD (upper triangle zeroed), ipiv and info."""
    n = a.shape[-1]
    tri = jnp.tril(a)
    m = tri + jnp.swapaxes(jnp.tril(a, -1), -1, -2)  # symmetric (sytrf: no conjugate)
    ipiv = jnp.zeros((n,), jnp.int32)
    info = jnp.zeros((), jnp.int32)
    skip = jnp.zeros((), bool)  # k is the second index of a 2x2 pivot
    for k in range(n):
        absakk = _cabs1(m[k, k])
        if k < n - 1:
            col = _cabs1(m[k + 1:, k])
            imax = k + 1 + jnp.argmax(col)
            colmax = jnp.max(col)
        else:
            imax, colmax = jnp.asarray(k), jnp.zeros((), absakk.dtype)
        zero = ~(jnp.maximum(absakk, colmax) > 0)
        row = jnp.where(jnp.arange(n) == imax, 0, _cabs1(m[imax]))
        row = jnp.where(jnp.arange(n) >= k, row, 0)
        rowmax = jnp.max(row)
        no_swap = (absakk >= _BK_ALPHA * colmax) | (
            absakk * rowmax >= _BK_ALPHA * colmax * colmax)  # fmt: skip
        one_swap = _cabs1(m[imax, imax]) >= _BK_ALPHA * rowmax
        two = ~zero & ~no_swap & ~one_swap if k < n - 1 else jnp.zeros((), bool)
        kp = jnp.where(zero | no_swap, k, imax)
        target = jnp.where(two, k + 1, k)
        swapped = _swap_trailing(m, k, target, kp)
        # 1x1 pivot
        one = swapped
        if k < n - 1:
            d11 = 1 / jnp.where(zero, 1, swapped[k, k])
            x = swapped[k + 1:, k]
            upd = swapped[k + 1:, k + 1:] - d11 * x[:, None] * x[None, :]
            one = one.at[k + 1:, k + 1:].set(upd).at[k + 1:, k].set(x * d11)
            one = one.at[k, k + 1:].set(x * d11)
        one = jnp.where(zero, m, one)
        result = one
        if k < n - 1:
            twom = swapped
            d21 = jnp.where(two, swapped[k + 1, k], 1)
            if k < n - 2:
                d11 = swapped[k + 1, k + 1] / d21
                d22 = swapped[k, k] / d21
                t = 1 / jnp.where(two, d11 * d22 - 1, 1)
                d21t = t / d21
                xk, xk1 = swapped[k + 2:, k], swapped[k + 2:, k + 1]
                wk = d21t * (d11 * xk - xk1)
                wkp1 = d21t * (d22 * xk1 - xk)
                upd = swapped[k + 2:, k + 2:] - (xk[:, None] * wk[None, :]
                                                 + xk1[:, None] * wkp1[None, :])  # fmt: skip
                upd = jnp.tril(upd) + jnp.swapaxes(jnp.tril(upd, -1), -1, -2)
                twom = (twom.at[k + 2:, k + 2:].set(upd).at[k + 2:, k].set(wk)
                        .at[k + 2:, k + 1].set(wkp1).at[k, k + 2:].set(wk)
                        .at[k + 1, k + 2:].set(wkp1))  # fmt: skip
            result = jnp.where(two, twom, one)
        m = jnp.where(skip, m, result)
        piv_k = jnp.where(two, -(kp + 1), kp + 1).astype(jnp.int32)
        ipiv = ipiv.at[k].set(jnp.where(skip, ipiv[k], piv_k))
        if k < n - 1:
            ipiv = ipiv.at[k + 1].set(jnp.where(~skip & two, piv_k, ipiv[k + 1]))
        info = jnp.where(~skip & zero & (info == 0), k + 1, info)
        skip = ~skip & two
    return jnp.tril(m), ipiv, info


def _ldl_factor(name: str, A: Array, hermitian: bool) -> tuple[Array, Array, Array]:  # noqa: N803
    _check_square(name, A)
    if hermitian and jnp.iscomplexobj(A):
        raise NotImplementedError(f"{name}: hermitian=True for complex input is not implemented")
    batch, n = A.shape[:-2], A.shape[-1]
    if n == 0 or 0 in batch:
        return (A, jnp.zeros(batch + (n,), jnp.int32), jnp.zeros(batch, jnp.int32))
    flat = A.reshape((-1, n, n))
    ld, piv, info = jax.vmap(_ldl_single)(flat)
    return ld.reshape(A.shape), piv.reshape(batch + (n,)), info.reshape(batch)


@op("ldl_factor", grad_fn=NOT_IMPLEMENTED, namespaces=("linalg",), method=False,
    multi_output=True, no_derivative="linalg_ldl_factor_ex")  # fmt: skip
def ldl_factor(A: Array, *, hermitian: bool = False) -> Any:  # noqa: N803
    ld, piv, _ = _ldl_factor("torch.linalg.ldl_factor", A, hermitian)
    return ld, piv


ldl_factor.impl.result_type = _returns("linalg_ldl_factor", "LD", "pivots")  # type: ignore[attr-defined]


@op("ldl_factor_ex", grad_fn=NOT_IMPLEMENTED, namespaces=("linalg",), method=False,
    multi_output=True, no_derivative="linalg_ldl_factor_ex")  # fmt: skip
def ldl_factor_ex(A: Array, *, hermitian: bool = False, check_errors: bool = False) -> Any:  # noqa: N803
    return _ldl_factor("torch.linalg.ldl_factor_ex", A, hermitian)


ldl_factor_ex.impl.result_type = _returns("linalg_ldl_factor_ex", "LD", "pivots", "info")  # type: ignore[attr-defined]


def _ldl_solve_single(ld: Array, piv: Array, b: Array) -> Array:
    n = ld.shape[-1]
    piv = piv.astype(jnp.int32)
    # block roles: 0 single, 1 first of a 2x2 pivot, 2 second
    roles = []
    prev_first = jnp.zeros((), bool)
    for k in range(n):
        first = ~prev_first & (piv[k] < 0)
        roles.append(jnp.where(prev_first, 2, jnp.where(first, 1, 0)))
        prev_first = first

    def swap(x: Array, i: Any, j: Array) -> Array:
        xi, xj = x[i], x[j]
        return x.at[i].set(xj).at[j].set(xi)

    for k in range(n):  # L D X = B
        role = roles[k]
        # single
        s = swap(b, k, piv[k] - 1)
        s = s.at[k + 1:].add(-ld[k + 1:, k, None] * s[k][None, :])
        s = s.at[k].set(s[k] / ld[k, k])
        if k < n - 1:
            t = swap(b, k + 1, -piv[k] - 1)
            t = t.at[k + 2:].add(-ld[k + 2:, k, None] * t[k][None, :]
                                 - ld[k + 2:, k + 1, None] * t[k + 1][None, :])  # fmt: skip
            akm1k = jnp.where(role == 1, ld[k + 1, k], 1)
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denom = jnp.where(role == 1, akm1 * ak - 1, 1)
            bkm1, bk = t[k] / akm1k, t[k + 1] / akm1k
            t = t.at[k].set((ak * bkm1 - bk) / denom).at[k + 1].set((akm1 * bk - bkm1) / denom)
        else:
            t = b
        b = jnp.where(role == 0, s, jnp.where(role == 1, t, b))
    for k in reversed(range(n)):  # L^T X = B
        role = roles[k]
        s = b.at[k].add(-ld[k + 1:, k] @ b[k + 1:]) if k < n - 1 else b
        single = swap(s, k, piv[k] - 1)
        if k > 0:
            second = s.at[k - 1].add(-ld[k + 1:, k - 1] @ b[k + 1:]) if k < n - 1 else s
            second = swap(second, k, -piv[k] - 1)
        else:
            second = b
        b = jnp.where(role == 0, single, jnp.where(role == 2, second, b))
    return b


@op("ldl_solve", grad_fn=NOT_IMPLEMENTED, namespaces=("linalg",), method=False,
    no_derivative="linalg_ldl_solve")  # fmt: skip
def ldl_solve(LD: Array, pivots: Array, B: Array, *, hermitian: bool = False) -> Array:  # noqa: N803
    name = "torch.linalg.ldl_solve"
    _check_square(name, LD, "LD")
    _check_matrix(name, B, "B")
    if hermitian and jnp.iscomplexobj(LD):
        raise NotImplementedError(f"{name}: hermitian=True for complex input is not implemented")
    LD, B = _broadcast_batch(LD, B)
    n = LD.shape[-1]
    batch = LD.shape[:-2]
    if n == 0 or 0 in B.shape:
        return jnp.zeros(B.shape, B.dtype)
    pivots = jnp.broadcast_to(pivots, batch + (n,))
    solve_one = jax.vmap(_ldl_solve_single)
    out = solve_one(LD.reshape((-1, n, n)), pivots.reshape((-1, n)),
                    B.reshape((-1,) + B.shape[-2:]))  # fmt: skip
    return out.reshape(B.shape)
