"""Matrix products."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import _dtype, _errors
from ._table import BINARY, OpInfoTest, op

Array = jax.Array


def _same_dtype(name: str, a: Array, b: Array) -> None:
    # torch does not promote in matrix products.
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_dtype.from_np(a.dtype)} != "
            f"{_dtype.from_np(b.dtype)}")


def _matmul_name(input: Any, other: Any) -> str:
    a, b = input.ndim, other.ndim
    if a == 1 and b == 1:
        return "DotBackward0"
    if a == 2 and b == 1:
        return "MvBackward0"
    if a == 2 and b == 2:
        return "MmBackward0"
    if a == 1 and b == 2:
        return "SqueezeBackward4"
    if a == 2 and getattr(input, "requires_grad", False):
        # torch: _matmul_impl folds other.mT and returns output.mT().contiguous(), a copy
        # unless the transposed result is contiguous already.
        p, q = input.shape[0], other.shape[-1]
        empty = math.prod(other.shape[:-2]) * p * q == 0
        return "TransposeBackward0" if empty or p == 1 or q == 1 else "CloneBackward0"
    return "UnsafeViewBackward0"  # torch: _unsafe_view of the folded mm/mv or of bmm


@op("matmul", grad_fn=_matmul_name, operators=("__matmul__",))
def matmul(input: Array, other: Array) -> Array:
    _same_dtype("matmul", input, other)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input.ndim}D and "
            f"{other.ndim}D")
    k1 = input.shape[-1]
    k2 = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k1 != k2:
        if input.ndim == 1 and other.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                f"[{other.shape[0]}] to have the same number of elements, but got "
                f"{input.shape[0]} and {other.shape[0]} elements respectively")
        a = input.reshape(-1, k1) if input.ndim > 1 else input.reshape(1, k1)
        b = other if other.ndim == 2 else other.reshape(k2, -1)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})")
    return jnp.matmul(input, other)


@op("rmatmul", grad_fn=lambda input, other: _matmul_name(other, input), method="__rmatmul__",
    namespaces=())  # fmt: skip
def rmatmul(input: Array, other: Array) -> Array:
    return matmul.impl(other, input)


@op("mm", grad_fn="MmBackward0")
def mm(input: Array, mat2: Array) -> Array:
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype("mm", input, mat2)
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})")
    return input @ mat2


@op("bmm", grad_fn="BmmBackward0")
def bmm(input: Array, mat2: Array) -> Array:
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
            f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _same_dtype("bmm", input, mat2)
    return input @ mat2


@op("mv", grad_fn="MvBackward0")
def mv(input: Array, vec: Array) -> Array:
    _same_dtype("mv", input, vec)
    return input @ vec


@op("dot", grad_fn="DotBackward0")
def dot(input: Array, tensor: Array) -> Array:
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.dtype != tensor.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_dtype_name(input)} and {_dtype_name(tensor)}")
    return jnp.dot(input, tensor)


@op("outer", grad_fn="MulBackward0", promote=BINARY, aliases=("ger",))
def outer(input: Array, vec2: Array) -> Array:
    return jnp.outer(input, vec2)


@op("addmm", grad_fn="AddmmBackward0", inplace="addmm_")
def addmm(input: Array, mat1: Array, mat2: Array, *, beta: Any = 1, alpha: Any = 1) -> Array:
    prod = mm.impl(mat1, mat2)
    return beta * input + alpha * prod if (beta, alpha) != (1, 1) else input + prod


def _einsum_name(equation: str, *operands: Any) -> str:
    # torch: einsum in aten/native/Linear.cpp. One operand is permuted, then summed over the
    # labels the output lacks; more are combined pairwise by mul, or by a bmm viewed back
    # when some label is summed out.
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    labels = [c for c in lhs if c.isalpha()]
    out = set(rhs) if "->" in equation else {c for c in labels if labels.count(c) == 1}
    summed = set(labels) - out
    if len(operands) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


@op("einsum", grad_fn=_einsum_name, method=False)
def einsum(equation: str, *operands: Any) -> Array:
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return jnp.einsum(equation, *_dtype.promote(*operands))


# --- matrix-vector and batched products with an added term ------------------------------------

def _expand_check(input: Array, target: tuple[int, ...]) -> None:
    """torch's expand error where `input` does not broadcast to the product's shape."""
    shape = tuple(input.shape)
    ok = len(shape) <= len(target) and all(
        s in (1, t) for s, t in zip(reversed(shape), reversed(target)))  # fmt: skip
    if ok:
        return
    for i in range(1, len(target) + 1):
        s = shape[-i] if i <= len(shape) else 1
        if s not in (1, target[-i]):
            raise RuntimeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                f"({s}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}")
    raise RuntimeError(
        f"expand: the requested shape has too few dimensions; target {list(target)}, "
        f"tensor {list(shape)}")


def _plus_scaled(input: Array, prod: Array, beta: Any, alpha: Any) -> Array:
    """beta * input + alpha * prod; torch ignores input (its NaNs too) when beta is 0, and
    truncates beta and alpha to integers for integer tensors."""
    if jnp.issubdtype(prod.dtype, jnp.integer):
        beta, alpha = int(beta), int(alpha)
    scaled = prod if alpha == 1 else alpha * prod
    if beta == 0:
        return jnp.broadcast_to(jnp.zeros_like(scaled), scaled.shape) + scaled
    out = (input if beta == 1 else beta * input) + scaled
    return out.astype(prod.dtype)


def _dtype_name(x: Array) -> str:
    return _dtype.legacy_name(_dtype.from_np(x.dtype))


@op("addmv", grad_fn="AddmvBackward0", inplace="addmv_")
def addmv(input: Array, mat: Array, vec: Array, *, beta: Any = 1, alpha: Any = 1) -> Array:
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")  # fmt: skip
    n, k = mat.shape
    if vec.shape[0] != k or (input.ndim == 1 and input.shape[0] not in (1, n)):
        size = f"({input.shape[0]})" if input.ndim == 1 else "()"
        raise RuntimeError(
            f"size mismatch, got input {size}, mat ({n}x{k}), vec ({vec.shape[0]})")
    if not (input.dtype == mat.dtype == vec.dtype):
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_dtype_name(input)}, "
            f"{_dtype_name(mat)}, and {_dtype_name(vec)}")
    return _plus_scaled(input, mat @ vec, beta, alpha)


@op("addr", grad_fn="AddrBackward0", promote=BINARY, inplace="addr_")
def addr(input: Array, vec1: Array, vec2: Array, *, beta: Any = 1, alpha: Any = 1) -> Array:
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    _expand_check(input, (vec1.shape[0], vec2.shape[0]))
    if input.dtype == jnp.bool_:
        # torch: for bool tensors, beta and alpha act as logical and/or.
        prod = jnp.logical_and(vec1[:, None], vec2[None, :])
        if not alpha:
            prod = jnp.zeros_like(prod)
        return jnp.logical_or(jnp.logical_and(input, bool(beta)), prod)
    return _plus_scaled(input, jnp.outer(vec1, vec2), beta, alpha)


def _check_bmm(batch1: Array, batch2: Array, same_batches_message: bool) -> None:
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if same_batches_message:
        if batch1.shape[0] != batch2.shape[0]:
            raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                               f"{batch1.shape[0]} and {batch2.shape[0]}")  # fmt: skip
        if batch1.shape[2] != batch2.shape[1]:
            raise RuntimeError(
                f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
                f"{batch2.shape[1]}x{batch2.shape[2]})")
    elif batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch1.shape[0]}, "
            f"{batch1.shape[2]}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")


@op("addbmm", grad_fn="AddbmmBackward0", inplace="addbmm_")
def addbmm(input: Array, batch1: Array, batch2: Array, *, beta: Any = 1, alpha: Any = 1) -> Array:
    _check_bmm(batch1, batch2, same_batches_message=True)
    _same_dtype("addbmm", batch1, batch2)
    _expand_check(input, (batch1.shape[1], batch2.shape[2]))
    return _plus_scaled(input, jnp.einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


@op("baddbmm", grad_fn="BaddbmmBackward0", inplace="baddbmm_")
def baddbmm(input: Array, batch1: Array, batch2: Array, *, beta: Any = 1,
            alpha: Any = 1) -> Array:  # fmt: skip
    _check_bmm(batch1, batch2, same_batches_message=False)
    _same_dtype("baddbmm", batch1, batch2)
    _expand_check(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return _plus_scaled(input, batch1 @ batch2, beta, alpha)


# --- products of vectors and tensors -----------------------------------------------------------

@op("vdot", grad_fn="VdotBackward0")
def vdot(input: Array, other: Array) -> Array:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype != other.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_dtype_name(input)} and {_dtype_name(other)}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got "
            f"{input.shape[0]} and {other.shape[0]} elements respectively")
    return jnp.vdot(input, other)


def _tensordot_dims(a: Array, b: Array, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    dims_a, dims_b = dims
    dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return ([_errors.wrap_dim(d, a.ndim) for d in dims_a],
            [_errors.wrap_dim(d, b.ndim) for d in dims_b])  # fmt: skip


def _listed(dims: Any, i: int) -> int:
    return dims if isinstance(dims, int) else list(dims)[i]


@op("tensordot", grad_fn="ViewBackward0", method=False)
def tensordot(a: Array, b: Array, dims: Any = 2) -> Array:
    if hasattr(dims, "shape"):
        raise TypeError("tensordot expects dims as an int or a pair of lists (not a tensor)")
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    # torch (functional.tensordot): an int n contracts a's dims -n..-1 with b's 0..n-1.
    shown = (list(range(-dims, 0)), dims_b) if isinstance(dims, int) else dims
    for i, (da, db) in enumerate(zip(dims_a, dims_b)):
        sa, sb = a.shape[da], b.shape[db]
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa} in dim "
                f"{_listed(shown[0], i)} and second has size {sb} in dim {_listed(shown[1], i)}")
        # torch: a contracted dim of size 1 against a longer one sums the other over it.
        if sa == 1 and sb != 1:
            b = jnp.sum(b, axis=db, keepdims=True)
        elif sb == 1 and sa != 1:
            a = jnp.sum(a, axis=da, keepdims=True)
    return jnp.tensordot(a, b, axes=(dims_a, dims_b))


@op("inner", grad_fn=lambda input, other: "MulBackward0" if input.ndim == 0 or other.ndim == 0
    else "ViewBackward0")  # fmt: skip
def inner(input: Array, other: Array) -> Array:
    if input.ndim == 0 or other.ndim == 0:
        return jnp.multiply(*_dtype.promote(input, other))
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}")
    return tensordot.impl(input, other, ([-1], [-1]))


@op("kron", grad_fn="UnsafeViewBackward0", promote=BINARY)
def kron(input: Array, other: Array) -> Array:
    return jnp.kron(input, other)


# --- linalg: cross products, vecdot, multi_dot, vander ------------------------------------------

def _linalg_cross(input: Array, other: Array, dim: int) -> Array:
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _errors.wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[d]} and {other.shape[d]}")
    shape = _errors.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if input.dtype != other.dtype:
        raise RuntimeError(
            f"expected scalar type {_dtype_name(input)} but found {_dtype_name(other)}")
    a = jnp.broadcast_to(input, shape)
    b = jnp.broadcast_to(other, shape)
    return jnp.cross(a, b, axis=d)


@op("linalg_cross", grad_fn="LinalgCrossBackward0", namespaces=("linalg",), aliases=("cross",),
    method=False, opinfo=OpInfoTest(name="linalg.cross"))  # fmt: skip
def linalg_cross(input: Array, other: Array, *, dim: int = -1) -> Array:
    return _linalg_cross(input, other, dim)


@op("cross", grad_fn="LinalgCrossBackward0")
def cross(input: Array, other: Array, dim: int | None = None) -> Array:
    if dim is None:
        # torch: the first dimension of size 3 (deprecated default; linalg.cross uses -1).
        dim = next((i for i, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _linalg_cross(input, other, dim)


@op("vecdot", grad_fn=lambda x, y, *, dim=-1: "VdotBackward0" if x.ndim == 1 and y.ndim == 1
    else "SumBackward1", namespaces=("linalg",), method=False)  # fmt: skip
def vecdot(x: Array, y: Array, *, dim: int = -1) -> Array:
    d = _dtype.from_np(x.dtype)
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as "
                           f"input. Got {_dtype.legacy_name(d)}")  # fmt: skip
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_dtype_name(x)} and y of type {_dtype_name(y)} instead")
    if x.ndim == 1 and y.ndim == 1:
        return vdot.impl(x, y)
    shape = _errors.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    axis = _errors.wrap_dim(dim, len(shape))
    return jnp.sum(jnp.conj(x) * y, axis=axis)


def _multi_dot_order(shapes: list[tuple[int, int]]) -> list[list[int]]:
    """torch's matrix-chain order (linalg.multi_dot: the classic O(n^3) dynamic program)."""
    n = len(shapes)
    p = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    order = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] == -1 or q < cost[i][j]:
                    cost[i][j] = q
                    order[i][j] = k
    return order


def _c_type(x: Array) -> str:
    # c10's toString for the dtype, as multi_dot's message prints it.
    name = _dtype.from_np(x.dtype).name
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}.get(
                name, name)  # fmt: skip


@op("multi_dot", grad_fn="ViewBackward0", namespaces=("linalg",), method=False)
def multi_dot(tensors: Any) -> Array:
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i in range(1, n - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].ndim}D")
    for i in range(1, n):
        if tensors[i].dtype != first.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_c_type(first)} and tensor {i} {_c_type(tensors[i])}")
    mats = [first.reshape(1, -1) if first.ndim == 1 else first, *tensors[1:-1],
            last.reshape(-1, 1) if last.ndim == 1 else last]  # fmt: skip
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                f"{list(tensors[i + 1].shape)} cannot be multiplied")
    if n == 2:
        out = mats[0] @ mats[1]
    else:
        order = _multi_dot_order([m.shape for m in mats])

        def chain(i: int, j: int) -> Array:
            if i == j:
                return mats[i]
            k = order[i][j]
            return chain(i, k) @ chain(k + 1, j)

        out = chain(0, n - 1)
    shape = [s for s, t in ((out.shape[0], first), (out.shape[1], last)) if t.ndim == 2]
    return out.reshape(shape)


@op("linalg_vander", out=False, grad_fn="CatBackward0", namespaces=("linalg",), aliases=("vander",),
    method=False, opinfo=OpInfoTest(name="linalg.vander"))  # fmt: skip
def linalg_vander(x: Array, *, N: int | None = None) -> Array:
    d = _dtype.from_np(x.dtype)
    if d is _dtype.bool_ or d.name in ("float16", "bfloat16"):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, "
                           f"but got {_dtype.legacy_name(d)}")  # fmt: skip
    x = x.reshape(1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    # torch: the powers are a cumulative product, after a column of ones.
    powers = jnp.cumprod(jnp.broadcast_to(x[..., None], (*x.shape, n - 1)), axis=-1)
    return jnp.concatenate([jnp.ones((*x.shape, 1), x.dtype), powers], axis=-1)


# --- distances -----------------------------------------------------------------------------------

def _pnorm(diff: Array, p: Any, axis: int, full_ties: bool) -> Array:
    """The p-norm over `axis`, written so that JAX's derivatives are torch's (cdist_backward,
    norm_backward): |x| has derivative sign(x), 0 at 0; terms and norms that are 0 have
    derivative 0 (no inf * 0); the inf-norm's ties each get the whole gradient in cdist
    (`full_ties`) and share it evenly in norm."""
    if jnp.iscomplexobj(diff):
        a = jnp.abs(diff)
    else:
        a = jnp.sign(diff) * diff
    if p == 0:
        return jnp.sum((diff != 0).astype(a.dtype), axis=axis)
    if p == 1:
        return jnp.sum(a, axis=axis)
    if p == float("inf"):
        if not full_ties:
            return jnp.max(a, axis=axis)
        top = jax.lax.stop_gradient(jnp.max(a, axis=axis, keepdims=True))
        ties = jnp.where(a == top, a - jax.lax.stop_gradient(a), jnp.zeros_like(a))
        return jnp.squeeze(top, axis) + jnp.sum(ties, axis=axis)
    if p == -float("inf"):
        return jnp.min(a, axis=axis)
    zero = a == 0
    terms = jnp.where(zero, jnp.zeros_like(a), jnp.where(zero, jnp.ones_like(a), a) ** p)
    total = jnp.sum(terms, axis=axis)
    empty = total == 0
    return jnp.where(empty, jnp.zeros_like(total),
                     jnp.where(empty, jnp.ones_like(total), total) ** (1.0 / p))  # fmt: skip


def _cdist_mm(x1: Any, x2: Any, p: float, compute_mode: str | None) -> bool:
    # torch: an empty operand always takes _cdist_forward.
    if p != 2 or math.prod(x1.shape) == 0 or math.prod(x2.shape) == 0:
        return False
    if compute_mode == "use_mm_for_euclid_dist":
        return True
    if compute_mode in (None, "use_mm_for_euclid_dist_if_necessary"):
        return x1.shape[-2] > 25 or x2.shape[-2] > 25
    return False


def _cdist_name(x1: Any, x2: Any, p: float = 2.0, compute_mode: str | None = None) -> str:
    # torch: the mm-based Euclidean distance is a composite, viewed to the output's shape.
    return "ViewBackward0" if _cdist_mm(x1, x2, p, compute_mode) else "CdistBackward0"


_COMPUTE_MODES = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")  # fmt: skip


@op("cdist", out=False, grad_fn=_cdist_name, method=False)
def cdist(x1: Array, x2: Array, p: float = 2.0, compute_mode: str | None = None) -> Array:
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")  # fmt: skip
    for name, x in (("X1", x1), ("X2", x2)):
        if not jnp.issubdtype(x.dtype, jnp.floating):
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {_dtype_name(x)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = _errors.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    a = jnp.broadcast_to(x1, (*batch, *x1.shape[-2:]))
    b = jnp.broadcast_to(x2, (*batch, *x2.shape[-2:]))
    if _cdist_mm(x1, x2, p, compute_mode):
        # torch: _euclidean_dist, one matmul of padded operands, clamp_min(1e-30), sqrt.
        a2 = jnp.sum(a * a, axis=-1, keepdims=True)
        b2 = jnp.sum(b * b, axis=-1, keepdims=True)
        a_ = jnp.concatenate([-2 * a, a2, jnp.ones_like(a2)], axis=-1)
        b_ = jnp.concatenate([b, jnp.ones_like(b2), b2], axis=-1)
        sq = a_ @ jnp.swapaxes(b_, -1, -2)
        floor = jnp.asarray(1e-30, sq.dtype)
        return jnp.sqrt(jnp.where(sq >= floor, sq, floor))
    diff = a[..., :, None, :] - b[..., None, :, :]
    return _pnorm(diff, p, diff.ndim - 1, full_ties=True)


@op("dist", out=False, grad_fn="DistBackward0")
def dist(input: Array, other: Array, p: Any = 2) -> Array:
    input, other = _dtype.promote(input, other)  # not p: an exponent, never cast
    d = _dtype.from_np(input.dtype)
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_dtype.legacy_name(d)} instead.")  # fmt: skip
    _errors.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    diff = (input - other).reshape(-1)
    return _pnorm(diff, p, 0, full_ties=False)


@op("chain_matmul", grad_fn=lambda *matrices, out=None: "CloneBackward0" if len(matrices) == 1
    else "ViewBackward0", method=False, opinfo=None)  # fmt: skip
def chain_matmul(*matrices: Array) -> Array:
    # torch: deprecated for linalg.multi_dot, which it calls for two or more matrices (torch
    # warns once here; this does not).
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return jnp.array(matrices[0], copy=True)
    return multi_dot.impl(list(matrices))
