"""`grad`: argument checks in torch's order, then one `jax.vjp` over the traced subgraph.

With `create_graph=True` the vjp itself is recorded as a node whose inputs are the
trace's frontier, so differentiating a gradient again is nested tracing: any order works.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from . import _errors
from ._core import Node, Value, is_grad_enabled
from ._tensor import Tensor
from ._trace import Subgraph, collect, vjp_function
from .autograd.graph import GradientEdge

# Note [Compile on repeat]: the first time a subgraph structure is seen its vjp runs
# without compiling (no compile latency in notebooks); when it repeats, the same
# function is jit-compiled and reused. Bounded, least recently used first out.
_CACHE_SIZE = 256
_seen: OrderedDict[Hashable, Callable[..., Any] | None] = OrderedDict()


def _grad_function(sub: Subgraph, batched: bool) -> Callable[..., Any]:
    key = (sub.key, batched)
    fn = vjp_function(sub.program, batched)
    if key not in _seen:
        _seen[key] = None
    else:
        if _seen[key] is None:
            _seen[key] = jax.jit(fn)
        fn = _seen[key]  # type: ignore[assignment]
        _seen.move_to_end(key)
    while len(_seen) > _CACHE_SIZE:
        _seen.popitem(last=False)
    return fn


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, (Tensor, GradientEdge)):
        return (x,)
    return tuple(x)


def _value_of(x: Tensor | GradientEdge) -> Value:
    return x._value


def _make_grads(outputs: Sequence[Any], grads: Sequence[Any], batched: bool) -> list[Tensor | None]:
    """torch/autograd/__init__.py `_make_grads`: check and fill in grad_outputs."""
    new: list[Tensor | None] = []
    for i, (out, grad) in enumerate(zip(outputs, grads)):
        if isinstance(grad, Tensor):
            first_shape = tuple(grad.shape[1:]) if batched else tuple(grad.shape)
            if tuple(out.shape) != first_shape:
                out_shape, grad_shape = out.shape, (grad.shape[1:] if batched else grad.shape)
                template = _errors.BATCHED_SHAPE_MISMATCH if batched else _errors.SHAPE_MISMATCH
                raise RuntimeError(
                    template.format(list(grads).index(grad), _size(grad_shape), i, _size(out_shape)))
            if out.dtype.is_complex != grad.dtype.is_complex:
                raise RuntimeError(
                    _errors.COMPLEX_DTYPE_MISMATCH.format(i, grad.dtype, i, out.dtype))
            new.append(grad)
        elif grad is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError(_errors.IMPLICIT_NOT_SCALAR)
                if not out.dtype.is_floating_point:
                    raise RuntimeError(_errors.IMPLICIT_NOT_REAL.format(out.dtype))
                new.append(Tensor._from_array(jnp.ones(out.shape, out.dtype.np)))
            else:
                new.append(None)
        else:
            raise TypeError(_errors.GRAD_OUTPUT_TYPE.format(type(grad).__name__))
    return new


def _size(shape: Any) -> str:
    from ._tensor import Size

    return repr(Size(shape))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> Any:  # fmt: skip
    """Same as `torch.autograd.grad`.

    >>> import autograd_grad as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> torch.autograd.grad((x ** 3).sum(), x)
    (tensor([ 3., 12.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(_errors.MATERIALIZE_NOT_ALLOW_UNUSED)
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    if isinstance(inputs, (Tensor, GradientEdge)):
        inputs_tuple: tuple[Any, ...] = (inputs,)
    elif type(inputs) is dict:
        inputs_tuple = tuple(inputs.values())
    elif isinstance(inputs, Mapping):
        raise TypeError(_errors.MAPPING_INPUTS.format(type(inputs).__name__))
    else:
        inputs_tuple = tuple(inputs)
    if len(inputs_tuple) == 0:
        raise RuntimeError(_errors.EMPTY_INPUTS)
    if not only_inputs:
        warnings.warn(_errors.ONLY_INPUTS_DEPRECATED, FutureWarning, stacklevel=2)

    if grad_outputs is None:
        grads_in: tuple[Any, ...] = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grads_in = (grad_outputs,)
    else:
        grads_in = tuple(grad_outputs)
    grads = _make_grads(outputs, grads_in, is_grads_batched)
    if retain_graph is None:
        retain_graph = create_graph

    result = run_backward(outputs, grads, retain_graph, create_graph, inputs_tuple, allow_unused,
                          is_grads_batched)  # fmt: skip
    if materialize_grads:
        if any(r is None and not isinstance(x, Tensor) for r, x in zip(result, inputs_tuple)):
            raise RuntimeError(_errors.MATERIALIZE_GRADIENT_EDGE)
        result = tuple(
            r if r is not None else _zeros_like(x, create_graph) for r, x in zip(result, inputs_tuple))
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return result


def _zeros_like(x: Tensor, requires_grad: bool) -> Tensor:
    return Tensor._from_array(jnp.zeros(x.shape, x.dtype.np), requires_grad)


def run_backward(outputs: Sequence[Any], grads: Sequence[Tensor | None], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Any], allow_unused: bool,
                 batched: bool) -> tuple[Tensor | None, ...]:  # fmt: skip
    """The engine (torch: python_engine.cpp `THPEngine_run_backward` + engine.cpp)."""
    if len(outputs) != len(grads):
        raise RuntimeError(_errors.LENGTH_MISMATCH.format(len(outputs), len(grads)))
    out_values: list[Value] = []
    cotangents: list[Tensor] = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        v = _value_of(out)
        if not v.requires_grad:
            raise RuntimeError(_errors.OUTPUT_NO_GRAD.format(i))
        if g is None:
            continue  # torch skips outputs whose grad_output is None
        out_values.append(v)
        cotangents.append(g)
    in_values = [_value_of(x) for x in inputs]
    for v in in_values:
        if not v.requires_grad:
            raise RuntimeError(_errors.INPUT_NO_GRAD)

    sub = collect(out_values, in_values)
    for node in sub.nodes:
        if node.freed and node.saves:
            raise RuntimeError(_errors.FREED_GRAPH)
    for i, used in enumerate(sub.used):
        if not used and not allow_unused:
            raise RuntimeError(_errors.UNUSED_INPUT.format(i))

    # Cotangents take the output's dtype (torch: engine.cpp validate_outputs).
    ct_arrays = [g._data.astype(v.data.dtype) for g, v in zip(cotangents, out_values)]
    args = ([v.data for v in in_values], [v.data for v in sub.consts], ct_arrays)
    fn = _grad_function(sub, batched)
    if create_graph and is_grad_enabled():
        results = _record_grad(sub, fn, batched, in_values, cotangents)
    else:
        arrays = fn(*args)
        results = [Tensor._from_array(a) for a in arrays]
    if not retain_graph:
        for node in sub.nodes:
            node.freed = True
    return tuple(r if used else None for r, used in zip(results, sub.used))


def _record_grad(sub: Subgraph, fn: Callable[..., Any], batched: bool, in_values: list[Value],
                 cotangents: list[Tensor]) -> list[Tensor]:  # fmt: skip
    """Run the vjp and record it as one node, so its result can be differentiated again."""
    n_in, n_const = len(in_values), len(sub.consts)

    def call(*arrays: jax.Array) -> tuple[jax.Array, ...]:
        return fn(arrays[:n_in], arrays[n_in:n_in + n_const], arrays[n_in + n_const:])

    frontier = tuple(in_values) + tuple(sub.consts) + tuple(g._value for g in cotangents)
    arrays = call(*(v.data for v in frontier))
    node = Node(_GRAD_NODE_NAME, call, ("grad", sub.key, batched), frontier, saves=True,
                multi_output=True)  # fmt: skip
    requires = any(node.needs_input_grad)
    return [Tensor._from_value(Value(a, node if requires else None, i, requires))
            for i, a in enumerate(arrays)]  # fmt: skip


# torch names a gradient's node after the last op of the backward formula that made it
# (often MulBackward0); here the whole vjp is one node.
_GRAD_NODE_NAME = "GradBackward"
