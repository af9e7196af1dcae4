"""Same as `torch.autograd.Function`: custom forward and backward, on `jax.custom_vjp`.

Note [Custom functions]: `apply` records one node (named `<Class>Backward`, as torch names
it) whose function is a `jax.custom_vjp`: its forward runs the user's `forward` on Tensors
wrapping the arrays (under no_grad, as torch runs it), its backward runs the user's
`backward` on the cotangents. What the context holds goes through the custom_vjp residuals:
tensors as arrays, everything else as static data. So a custom Function composes with
`create_graph` (a backward written with differentiable ops is differentiated again, to any
order), `is_grads_batched` (jax.vmap of the backward), `torch.func` and `jax.jit`.

`ctx.set_materialize_grads(False)` passes None to `backward` for the outputs no gradient
reaches (custom_vjp's symbolic zeros), zeros otherwise. Deviations: `mark_dirty` is accepted without
in-place semantics; a tensor computed inside `forward` and saved is differentiable in a
double backward (torch treats it as a constant, since its forward runs without a graph).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.custom_derivatives import SymbolicZero

from .. import _dtype, _lazy
from .._core import Node, Value, is_grad_enabled, no_grad
from .._tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

_DIFFERENTIABLE = frozenset(d.np for d in _dtype.ALL_DTYPES if d.is_floating_point or d.is_complex)


class FunctionCtx:
    """Same as torch's `ctx`: `save_for_backward`, `saved_tensors`, `needs_input_grad`,
    `mark_non_differentiable`, `set_materialize_grads`, `mark_dirty`, and any attribute."""

    def __init__(self) -> None:
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True
        self._saved: tuple[Any, ...] = ()
        self._non_differentiable: set[int] = set()

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")  # fmt: skip
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    def mark_dirty(self, *tensors: Tensor) -> None:
        pass  # See the module's docstring


class _Static:
    """Context state that is not an array, carried through custom_vjp residuals as pytree
    metadata (See Note [Custom functions])."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state


jax.tree_util.register_pytree_node(_Static, lambda s: ((), s), lambda s, _: _Static(s.state))


def _pack(ctx: FunctionCtx) -> tuple[Any, ...]:
    """The context as residuals: arrays of its tensors, the rest static."""
    saved = tuple(None if t is None else t._value.data for t in ctx._saved)
    arrays: dict[str, Any] = {}
    static: dict[str, Any] = {}
    for name, value in vars(ctx).items():
        if name in ("_saved", "_non_differentiable"):
            continue
        if isinstance(value, Tensor):
            arrays[name] = value._value.data
        else:
            static[name] = value
    return saved, arrays, _Static(static)


def _unpack(residuals: tuple[Any, ...]) -> FunctionCtx:
    saved, arrays, static = residuals
    ctx = FunctionCtx()
    vars(ctx).update(static.state)
    for name, a in arrays.items():
        setattr(ctx, name, Tensor._from_array(a))
    ctx._saved = tuple(None if a is None else Tensor._from_array(a) for a in saved)
    return ctx


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Same as `torch.autograd.function.once_differentiable`: the gradients this backward
    returns have no graph (a second backward through them finds nothing to differentiate)."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            out = fn(ctx, *args)
        return out

    wrapper._once_differentiable = True  # type: ignore[attr-defined]
    return wrapper


class Function:
    """Same as `torch.autograd.Function`. See Note [Custom functions].

    >>> import autograd_grad as torch
    >>> class Exp(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (y,) = ctx.saved_tensors
    ...         return grad * y
    >>> x = torch.tensor([0.0, 1.0], requires_grad=True)
    >>> torch.autograd.grad(Exp.apply(x).sum(), x)
    (tensor([1.0000, 2.7183]),)
    """

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        values = tuple(args[i]._value for i in positions)
        record = is_grad_enabled() and any(v.requires_grad for v in values)
        # torch: requires_grad of each argument, whatever the grad mode
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        info: dict[str, Any] = {}
        call = _custom_vjp(cls, args, kwargs, positions, needs, info)
        arrays = call(*[v.data for v in values])
        node = None
        if record:
            key = ("function", cls, _lazy.intern(_static_key(args, positions, kwargs)), needs)
            node = Node(f"{cls.__name__}Backward", call, key, values, saves=True,
                        multi_output=True)  # fmt: skip
        outs = []
        for j, a in enumerate(arrays):
            differentiable = (node is not None and a.dtype in _DIFFERENTIABLE
                              and j not in info["non_differentiable"])  # fmt: skip
            outs.append(Tensor._from_value(Value(a, node if differentiable else None, j,
                                                 differentiable)))  # fmt: skip
        return outs[0] if info["single"] else tuple(outs)


def _static_key(args: tuple[Any, ...], positions: list[int], kwargs: dict[str, Any]) -> Any:
    def key(x: Any) -> Any:
        try:
            hash(x)
        except TypeError:
            return ("unhashable", id(x))
        return (type(x), x)

    others = tuple(key(a) for i, a in enumerate(args) if i not in positions)
    return others, tuple(sorted((k, key(v)) for k, v in kwargs.items()))


def _custom_vjp(cls: type[Function], args: tuple[Any, ...], kwargs: dict[str, Any],
                positions: list[int], needs: tuple[bool, ...],
                info: dict[str, Any]) -> Callable[..., tuple[jax.Array, ...]]:  # fmt: skip
    """The function as a pure function of its tensor arguments' arrays, with the user's
    backward as its vjp. See Note [Custom functions]."""
    name = f"{cls.__name__}Backward"
    setup_style = cls.setup_context is not Function.setup_context

    def run_forward(arrays: tuple[jax.Array, ...]) -> tuple[FunctionCtx, tuple[Any, ...]]:
        inputs = list(args)
        for i, a in zip(positions, arrays):
            inputs[i] = Tensor._from_array(a)
        ctx = FunctionCtx()
        ctx.needs_input_grad = needs
        with no_grad():
            if setup_style:
                out = cls.forward(*inputs, **kwargs)
                cls.setup_context(ctx, tuple(inputs), out)
            else:
                out = cls.forward(ctx, *inputs, **kwargs)
        info["single"] = isinstance(out, Tensor)
        outs = (out,) if info["single"] else tuple(out)
        info["non_differentiable"] = {j for j, o in enumerate(outs)
                                      if id(o) in ctx._non_differentiable}  # fmt: skip
        return ctx, outs

    @jax.custom_vjp
    def call(*arrays: jax.Array) -> tuple[jax.Array, ...]:
        _, outs = run_forward(arrays)
        return tuple(o._value.data for o in outs)

    def fwd(*primals: Any) -> Any:
        # symbolic_zeros: the primals come wrapped, and the cotangents of outputs no gradient
        # reaches arrive as SymbolicZero, which `set_materialize_grads(False)` shows as None.
        arrays = tuple(p.value for p in primals)
        ctx, outs = run_forward(arrays)
        shapes = _Static({"avals": [(a.shape, a.dtype) for a in arrays]})
        return tuple(o._value.data for o in outs), (_pack(ctx), shapes)

    def bwd(residuals: Any, cotangents: tuple[jax.Array, ...]) -> tuple[Any, ...]:
        packed, shapes = residuals
        ctx = _unpack(packed)
        ctx.needs_input_grad = needs
        given = []
        for c in cotangents:
            if isinstance(c, SymbolicZero):
                c = jax.numpy.zeros(c.aval.shape, c.aval.dtype) if ctx.materialize_grads else None
            given.append(None if c is None else Tensor._from_array(c))
        grads = cls.backward(ctx, *given)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(args):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {len(args)}, got {len(grads)})")  # fmt: skip
        once = getattr(cls.backward, "_once_differentiable", False)
        out = []
        for i, (shape, dtype) in zip(positions, shapes.state["avals"]):
            g = grads[i]
            if dtype not in _DIFFERENTIABLE:
                out.append(np.zeros(shape, dtype=jax.dtypes.float0))
                continue
            if g is None:
                out.append(jax.numpy.zeros(shape, dtype))
                continue
            if tuple(g.shape) != tuple(shape):
                if g.numel() != int(np.prod(shape)):
                    raise RuntimeError(
                        f"Function {name} returned an invalid gradient at index {i} - got "
                        f"{list(g.shape)} but expected shape compatible with {list(shape)}")
                g = g.reshape(shape)
            a = g._value.data.astype(dtype)
            out.append(jax.lax.stop_gradient(a) if once else a)
        return tuple(out)

    call.defvjp(fwd, bwd, symbolic_zeros=True)
    return call


def autograd_function(forward: Callable[..., Any], backward: Callable[..., Any]) -> Any:
    """R torch's `autograd_function(forward, backward)`: a custom function to call directly.

    >>> import autograd_grad as torch
    >>> def fwd(ctx, x):
    ...     ctx.save_for_backward(x)
    ...     return x ** 2
    >>> def bwd(ctx, grad):
    ...     (x,) = ctx.saved_tensors
    ...     return 2 * x * grad
    >>> square = torch.autograd_function(forward=fwd, backward=bwd)
    >>> x = torch.tensor([3.0], requires_grad=True)
    >>> torch.autograd.grad(square(x), x)
    (tensor([6.]),)
    """
    fn = type("RFunction", (Function,), {"forward": staticmethod(forward),
                                         "backward": staticmethod(backward)})  # fmt: skip
    return fn.apply
