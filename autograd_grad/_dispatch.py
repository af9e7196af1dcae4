"""The one place an op runs and, when grad is needed, is recorded as a Node."""

from __future__ import annotations

import inspect
from typing import Any

import jax

from . import _dtype
from ._core import Node, Value, is_grad_enabled
from ._ops._table import FLOAT, NONE, OpDef
from ._tensor import Tensor

_NUMBER = (bool, int, float, complex)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _promoted(opdef: OpDef, args: list[Any]) -> list[Any]:
    """Positional array/number operands cast to the op's result dtype."""
    if opdef.promote == NONE:
        return args
    operands = [a for a in args if isinstance(a, (jax.Array, *_NUMBER))]
    if not operands:  # operands inside a list (cat): the implementation promotes them
        return args
    d = _dtype.result_type(*operands)
    if opdef.promote == FLOAT:
        d = _dtype.to_float(d)
    return [_dtype.cast(a, d) if isinstance(a, (jax.Array, *_NUMBER)) else a for a in args]


def make_call(opdef: OpDef, treedef: Any, leaves: list[Any], tensor_pos: list[int]) -> Any:
    """The op as a pure function of its tensor operands' arrays."""
    def call(*arrays: Any) -> Any:
        filled = list(leaves)
        for pos, a in zip(tensor_pos, arrays):
            filled[pos] = a
        args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        return opdef.impl(*_promoted(opdef, list(args)), **kwargs)

    return call


def _static_key(leaf: Any) -> Any:
    # Floats are keyed with their type so 1 and 1.0 (different promotion) never collide.
    if isinstance(leaf, _NUMBER):
        return (type(leaf), leaf)
    if isinstance(leaf, slice):  # unhashable before Python 3.12
        return (slice, leaf.start, leaf.stop, leaf.step)
    try:
        hash(leaf)
    except TypeError:
        return ("unhashable", id(leaf))
    return leaf


# Where torch wraps a Python number into a tensor argument, which becomes a next_functions
# entry (None, 0): add/sub/mul/div (python_arg_parser.cpp `should_allow_numbers_as_tensors`)
# and where's self/other (where.ScalarSelf/ScalarOther): op name -> positions.
_WRAPS_NUMBERS = {"add": (0, 1), "sub": (0, 1), "mul": (0, 1), "div": (0, 1), "where": (1, 2)}
# Tensor arguments torch never differentiates (derivatives.yaml): no next_functions entry.
_NOT_DIFFERENTIABLE = frozenset({"index", "indices", "mask", "condition", "key"})
_param_names: dict[str, tuple[tuple[str, ...], str | None]] = {}


def _names(opdef: OpDef) -> tuple[tuple[str, ...], str | None]:
    """The positional parameter names of an op's implementation, and its *args name."""
    if opdef.name not in _param_names:
        params = inspect.signature(opdef.impl).parameters.values()
        positional = tuple(p.name for p in params
                           if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))  # fmt: skip
        var = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
        _param_names[opdef.name] = (positional, var)
    return _param_names[opdef.name]


def _edges(opdef: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int | None, ...]:
    """torch's next_functions layout for this call. See Note [Edges] in _core.py."""
    positional, var = _names(opdef)
    edges: list[int | None] = []
    k = 0  # position among the tensor operands, in tree_flatten order

    def visit(arg: Any, name: str | None, wraps: bool) -> None:
        nonlocal k
        if isinstance(arg, _NUMBER) and wraps:
            edges.append(None)
            return
        for leaf in jax.tree_util.tree_leaves(arg, is_leaf=_is_tensor):
            if isinstance(leaf, Tensor):
                if name not in _NOT_DIFFERENTIABLE:
                    edges.append(k)
                k += 1

    for i, arg in enumerate(args):
        name = positional[i] if i < len(positional) else var
        visit(arg, name, i in _WRAPS_NUMBERS.get(opdef.name, ()))
    for name in sorted(kwargs):
        visit(kwargs[name], name, False)
    return tuple(edges)


def _cast_output(call: Any, out: Any, out_dtype: _dtype.dtype) -> tuple[Any, Any]:
    """An in-place op's result in its tensor's dtype, with torch's error where that is not a
    safe cast (TensorIterator: "result type Float can't be cast to ... Long"); the cast is
    part of the op's node, as torch records x.mul_(y) as one MulBackward0."""
    src = _dtype.from_np(out.dtype)
    if src is out_dtype:
        return call, out
    if not _dtype.can_cast(src, out_dtype):
        raise RuntimeError(
            f"result type {_dtype.legacy_name(src)} can't be cast to the desired output type "
            f"{_dtype.legacy_name(out_dtype)}")

    def cast_call(*arrays: Any) -> Any:
        return _dtype.cast(call(*arrays), out_dtype)

    return cast_call, _dtype.cast(out, out_dtype)


def dispatch(opdef: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any],
             grad_fn: str | None = None, out_dtype: _dtype.dtype | None = None) -> Any:  # fmt: skip
    """Run `opdef` on torch-style arguments and wrap the result in Tensors.

    `grad_fn` overrides the recorded node's name, where it depends on more than the op's
    arguments (setitem: torch names it after the in-place op its indexing ended in).
    `out_dtype` is an in-place op's tensor dtype, which the result is cast to."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)
    tensor_pos = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    tensors = [leaves[i] for i in tensor_pos]
    values = tuple(t._value for t in tensors)
    static = list(leaves)
    for i in tensor_pos:
        static[i] = None
    call = make_call(opdef, treedef, static, tensor_pos)
    out = call(*(v.data for v in values))
    if out_dtype is not None:
        call, out = _cast_output(call, out, out_dtype)

    record = (opdef.grad_fn is not None and is_grad_enabled()
              and any(v.requires_grad for v in values))  # fmt: skip
    outs = tuple(out) if opdef.multi_output else (out,)
    node = None
    if record:
        key = (opdef.name, treedef, tuple(_static_key(s) for s in static), tuple(tensor_pos),
               None if out_dtype is None else out_dtype.name)
        edges = _edges(opdef, args, kwargs)
        node = Node(grad_fn or opdef.node_name(args, kwargs), call, key, values,
                    opdef.node_saves(args, kwargs), opdef.multi_output,
                    opdef.no_derivative, edges=None if len(edges) == len(values) and all(
                        e == i for i, e in enumerate(edges)) else edges)  # fmt: skip
    results = []
    for i, array in enumerate(outs):
        # torch: only floating and complex outputs can require grad (argmax, comparisons...).
        out_dtype = _dtype.from_np(array.dtype)
        differentiable = node is not None and (out_dtype.is_floating_point or out_dtype.is_complex)
        value = Value(array, node if differentiable else None, i, differentiable)
        results.append(Tensor._from_value(value))
    if opdef.multi_output:
        return _multi_output_result(opdef, results)
    return results[0]


def _multi_output_result(opdef: OpDef, results: list[Tensor]) -> Any:
    wrap = getattr(opdef.impl, "result_type", None)
    return wrap(*results) if wrap is not None else tuple(results)
