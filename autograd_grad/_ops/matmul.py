"""Matrix products."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import _dtype
from ._table import BINARY, op

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
            f"{_dtype.from_np(input.dtype).name.capitalize()} and "
            f"{_dtype.from_np(tensor.dtype).name.capitalize()}")
    return jnp.dot(input, tensor)


@op("outer", grad_fn="MulBackward0", promote=BINARY, aliases=("ger",))
def outer(input: Array, vec2: Array) -> Array:
    return jnp.outer(input, vec2)


@op("addmm", grad_fn="AddmmBackward0")
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
