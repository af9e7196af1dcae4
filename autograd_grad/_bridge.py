"""The border with JAX: arrays in and out, and torch-style functions as pure JAX functions.

Note [Pure functions]: a torch-style function runs unchanged on Tensors that wrap JAX
tracers: dispatch runs every op eagerly on them (See Note [Deferred values] in _lazy.py), so
`fn` becomes a pure function of arrays that any JAX transform can trace, `autograd.grad`
calls inside included. `jax_function` exports that function; `autograd_grad.func` applies
JAX's transforms to it. Where a transform's inputs require grad, its result is recorded as
one node of the graph (named "TransformBackward"), whose function is the transformed pure
function, so autograd flows through `torch.func` transforms as it does in torch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from . import _dtype, _lazy
from ._core import Node, Value, is_grad_enabled
from ._tensor import Tensor

Array = jax.Array
TRANSFORM_NODE_NAME = "TransformBackward"
_DIFFERENTIABLE = frozenset(d.np for d in _dtype.ALL_DTYPES if d.is_floating_point or d.is_complex)


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def from_jax(array: Any, requires_grad: bool = False) -> Tensor:
    """A Tensor holding a JAX array, without copying it.

    >>> import jax.numpy as jnp, autograd_grad as torch
    >>> torch.from_jax(jnp.arange(3.0), requires_grad=True)
    tensor([0., 1., 2.], requires_grad=True)
    """
    t = Tensor._from_array(jax.numpy.asarray(array))
    if requires_grad:
        t.requires_grad_()
    return t


def from_dlpack(ext_tensor: Any) -> Tensor:
    """Same as `torch.from_dlpack`: a Tensor over any DLPack array (numpy, CuPy, torch...),
    without copying where the device allows."""
    return Tensor._from_array(jax.dlpack.from_dlpack(ext_tensor))


def from_torch(tensor: Any) -> Tensor:
    """A real PyTorch tensor as a Tensor here, through DLPack (zero-copy where the device
    agrees); `requires_grad` carries over, the torch graph does not."""
    t = from_dlpack(tensor.detach())
    if tensor.requires_grad:
        t.requires_grad_()
    return t


def to_torch(tensor: Tensor) -> Any:
    """A Tensor as a real PyTorch tensor, through DLPack (needs torch installed; zero-copy
    where the device agrees). `requires_grad` carries over, the graph does not."""
    import importlib

    torch = importlib.import_module("torch")  # optional: the library never needs torch
    out = torch.from_dlpack(tensor._value.data)
    return out.requires_grad_() if tensor.requires_grad else out


def to_arrays(tree: Any) -> Any:
    """Every Tensor in a pytree replaced by its JAX array."""
    return jax.tree_util.tree_map(lambda x: x._value.data if isinstance(x, Tensor) else x, tree,
                                  is_leaf=is_tensor)  # fmt: skip


def to_tensors(tree: Any) -> Any:
    """Every JAX array (or tracer) in a pytree wrapped in a Tensor."""
    return jax.tree_util.tree_map(
        lambda x: Tensor._from_array(x) if isinstance(x, (jax.Array, np.ndarray)) else x, tree)


def jax_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A torch-style function as a pure function of JAX arrays (pytrees of them, such as a
    dict of parameters): Tensors in and out become arrays. It works under `jax.jit`,
    `jax.grad`, `jax.vmap` and `jax.jacfwd`, `autograd.grad` calls inside included.
    See Note [Pure functions].

    >>> import jax, jax.numpy as jnp, autograd_grad as torch
    >>> def f(x):
    ...     x = x.requires_grad_()
    ...     (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    ...     return g.sum()
    >>> jax.jit(jax.grad(torch.jax_function(f)))(jnp.array([1.0, 2.0]))
    Array([ 6., 12.], dtype=float32)
    """

    @functools.wraps(fn)
    def pure(*args: Any, **kwargs: Any) -> Any:
        return to_arrays(fn(*to_tensors(args), **to_tensors(kwargs)))

    return pure


def apply(fn: Callable[..., Sequence[Array]], tensors: Sequence[Tensor]) -> list[Tensor]:
    """`fn`, a pure function of the tensors' arrays returning arrays, run now; recorded as
    one node when grad is on and an input requires grad. See Note [Pure functions]."""
    values = tuple(t._value for t in tensors)
    arrays = tuple(fn(*[v.data for v in values]))
    node = None
    if is_grad_enabled() and any(v.requires_grad for v in values):

        def call(*xs: Array) -> tuple[Array, ...]:
            return tuple(fn(*xs))

        # A fresh key: the function is the user's, so no two calls share a structure.
        node = Node(TRANSFORM_NODE_NAME, call, ("transform", _lazy.new_key_id()), values,
                    saves=True, multi_output=True)  # fmt: skip
    out = []
    for i, a in enumerate(arrays):
        differentiable = node is not None and a.dtype in _DIFFERENTIABLE
        out.append(Tensor._from_value(Value(a, node if differentiable else None, i,
                                            differentiable)))  # fmt: skip
    return out
