"""The one place an op runs and, when grad is needed, is recorded as a Node."""

from __future__ import annotations

import inspect
from typing import Any

import jax
import numpy as np

from . import _device, _dtype, _errors, _lazy, _views
from ._core import Node, Recipe, Value, is_grad_enabled
from ._ops._table import FLOAT, NONE, OpDef
from ._tensor import Tensor

_NUMBER = (bool, int, float, complex)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _promoted(opdef: OpDef, args: list[Any]) -> list[Any]:
    """Positional array/number operands cast to the op's result dtype."""
    if opdef.promote == NONE:
        return args
    operands = [a for a in args if isinstance(a, (jax.Array, *_NUMBER, _dtype.Weak))]
    if not operands:  # operands inside a list (cat): the implementation promotes them
        return args
    d = _dtype.result_type(*operands)
    if opdef.promote == FLOAT:
        d = _dtype.to_float(d)
    return [_dtype.cast(a, d) if isinstance(a, (jax.Array, *_NUMBER, _dtype.Weak)) else a
            for a in args]  # fmt: skip


def make_call(opdef: OpDef, treedef: Any, leaves: list[Any], tensor_pos: list[int],
              numbers: dict[int, type] | None = None) -> Any:  # fmt: skip
    """The op as a pure function of its operands' arrays: the tensors', then the dynamic
    numbers' (`numbers`: position -> Python type; See Note [Dynamic numbers])."""
    default = _dtype.get_default_dtype()

    def call(*arrays: Any) -> Any:
        filled = list(leaves)
        for pos, a in zip(tensor_pos, arrays):
            filled[pos] = a if numbers is None or pos not in numbers else _dtype.Weak(
                a, numbers[pos])  # fmt: skip
        args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        if _dtype.get_default_dtype() is default:
            return opdef.impl(*_promoted(opdef, list(args)), **kwargs)
        # Run later (deferred, or inside a vjp) under another default dtype: the op's result
        # dtype is the one it had when it ran.
        with _dtype.default_dtype(default):
            return opdef.impl(*_promoted(opdef, list(args)), **kwargs)

    return call


# Note [Dynamic numbers]: a Python number that changes from step to step (a learning rate,
# Adam's bias corrections, L-BFGS's step sizes) would make a new signature, and so a new
# program, for every value, if it were a static argument. For the arithmetic ops that take
# numbers as operands (their OpDef says `dynamic_numbers`), a float, int or complex operand
# whose value has changed at its place is instead a 0-d float64/int64/complex128 array, a
# recipe input like a tensor's array, that reaches the implementation as `_dtype.Weak`: it
# promotes as the Python number (weakly), and casting it rounds, overflows and wraps as
# casting the number does. Numbers that never change stay constants; bools, and numbers of
# every other op (exponents, bounds, dims), are always static.
_DYNAMIC_TYPES = (int, float, complex)
_INT64 = (-(1 << 63), (1 << 63) - 1)


# A number stays static (a constant XLA folds in) until the same op, at the same place in
# the same signature, sees another value: from then on that place is a program argument.
# value-free signature -> the values first seen, or None once they have changed.
_number_values: dict[Any, tuple[Any, ...] | None] = {}
_UNSEEN = object()


def _number_key(x: Any) -> Any:
    return x.hex() if type(x) is float else x  # -0.0 and 0.0 differ, nan equals itself


def _numbers(leaves: list[Any]) -> dict[int, type] | None:
    """The positions of the numbers that may be program arguments, and their Python types."""
    found = None
    for i, leaf in enumerate(leaves):
        kind = type(leaf)
        if kind in _DYNAMIC_TYPES and (kind is not int or _INT64[0] <= leaf <= _INT64[1]):
            if found is None:
                found = {}
            found[i] = kind
    return found


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
_NOT_DIFFERENTIABLE = frozenset({"index", "indices", "mask", "condition", "key", "running_mean",
                                 "running_var"})  # fmt: skip
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


def _cast_output(call: Any, out_dtype: _dtype.dtype, src: _dtype.dtype) -> Any:
    """An in-place op's result in its tensor's dtype, with torch's error where that is not a
    safe cast (TensorIterator: "result type Float can't be cast to ... Long"); the cast is
    part of the op's node, as torch records x.mul_(y) as one MulBackward0."""
    if src is out_dtype:
        return call
    if not _dtype.can_cast(src, out_dtype):
        raise RuntimeError(
            f"result type {_dtype.legacy_name(src)} can't be cast to the desired output type "
            f"{_dtype.legacy_name(out_dtype)}")

    def cast_call(*arrays: Any) -> Any:
        return _dtype.cast(call(*arrays), out_dtype)

    return cast_call


# Note [Deferred values] (_lazy.py): what dispatch learns from the first, eager run of an
# op signature (op, static arguments, tensor positions, input shapes and dtypes), so later
# runs of the same signature need not run it. Bounded by clearing.
class _Signature:
    __slots__ = ("id", "avals", "graph")

    def __init__(self, avals: tuple[tuple[Any, Any], ...] | None) -> None:
        self.id = _lazy.new_key_id()  # the op's structural key in programs
        self.avals = avals  # output shapes and dtypes; None: always run eagerly
        self.graph: tuple[str, bool, Any] | None = None  # node name, saves, edges


_signatures: dict[Any, _Signature] = {}
ABSTRACT_FIRST_RUN = True  # See _abstract_first_run
_DIFFERENTIABLE = frozenset(d.np for d in _dtype.ALL_DTYPES if d.is_floating_point or d.is_complex)
_SIGNATURES_MAX = 65536
# (args, {}) of n plain operands: the treedef of the common case, without tree_flatten.
_FLAT_TREEDEFS = [jax.tree_util.tree_structure(((0,) * n, {})) for n in range(8)]


def _flatten(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], Any]:
    if not kwargs and len(args) < 8 and all(isinstance(a, (Tensor, *_NUMBER)) for a in args):
        return list(args), _FLAT_TREEDEFS[len(args)]
    return jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)


def _first_run(call: Any, values: tuple[Value, ...], signature: Any) -> Any:
    """Run the op eagerly and remember its signature: output shapes and dtypes, or that it
    must always run eagerly (it checked values, or saw tracers)."""
    arrays = [v.data for v in values]
    _errors.VALUE_CHECKS.seen = False
    out = call(*arrays)
    if _errors.VALUE_CHECKS.seen or any(isinstance(a, jax.core.Tracer) for a in arrays):
        avals = None
    else:
        avals = tuple((o.shape, o.dtype) for o in jax.tree_util.tree_leaves(out))
    if len(_signatures) >= _SIGNATURES_MAX:
        _signatures.clear()
    _signatures[signature] = _Signature(avals)
    return out


def _abstract_first_run(call: Any, values: tuple[Value, ...], signature: Any) -> bool:
    """First sight of a signature without running the op: its output shapes and dtypes from
    tracing it (`jax.eval_shape`: no device work, no compile), so even a first step's ops are
    deferred into one program. False where the op must run now: inside a JAX transform, an op
    that checks values or whose output shape depends on them, or one that raised (running it
    raises the same error, at the op). See Note [Deferred values] in _lazy.py."""
    if not _lazy.enabled or any(isinstance(v._data, jax.core.Tracer) for v in values):
        return False
    structs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in values]
    _errors.VALUE_CHECKS.traced = False
    try:
        out = jax.eval_shape(call, *structs)
    except Exception:  # noqa: BLE001 - the eager run raises it where torch does
        return False
    if _errors.VALUE_CHECKS.traced:
        return False
    if len(_signatures) >= _SIGNATURES_MAX:
        _signatures.clear()
    _signatures[signature] = _Signature(
        tuple((o.shape, o.dtype) for o in jax.tree_util.tree_leaves(out)))
    return True


def dispatch(opdef: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any],
             grad_fn: str | None = None, out_dtype: _dtype.dtype | None = None,
             wrapped: bool = False) -> Any:  # fmt: skip
    """Run `opdef` on torch-style arguments and wrap the result in Tensors; record a node
    when grad is needed. The op runs now on first sight of its signature, else it is
    deferred: See Note [Deferred values] in _lazy.py.

    `grad_fn` overrides the recorded node's name, where it depends on more than the op's
    arguments (setitem: torch names it after the in-place op its indexing ended in).
    `out_dtype` is an in-place op's tensor dtype, which the result is cast to.
    `wrapped`: called from the op's wrapper (See Note [Op wrappers])."""
    # Note [Op wrappers]: where torch's function does more than run its op (returns an
    # argument itself: x.float() of a float tensor, x.contiguous(), no new node; runs the op
    # per tensor: atleast_1d(x, y)), the implementation carries `wrapper`, called as
    # wrapper(run, *args, **kwargs), where run(*args, **kwargs) dispatches the op itself.
    wrapper = getattr(opdef.impl, "wrapper", None)
    if wrapper is not None and not wrapped and grad_fn is None and out_dtype is None:
        def run(*a: Any, **k: Any) -> Any:
            return dispatch(opdef, a, k, wrapped=True)

        return wrapper(run, *args, **kwargs)
    # Note [Value-dependent shapes]: an implementation's `prepare` turns the arguments that
    # decide its output's shape by their values (masked_select's mask, repeat_interleave's
    # repeats) into static arguments, from their concrete values, before the op is keyed and
    # recorded: the op's vjp, traced later, then has static shapes.
    prepare = getattr(opdef.impl, "prepare", None)
    if prepare is not None:
        args, kwargs = prepare(*args, **kwargs)
    # See Note [Creation ops] in _ops/creation.py: factory keywords and random keys.
    creation = getattr(opdef.impl, "creation", None)
    if creation is not None:
        from ._creation import creation_arguments

        args, kwargs, leaf = creation_arguments(opdef, creation, args, kwargs)
    leaves, treedef = _flatten(args, kwargs)
    tensor_pos = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    values = tuple(leaves[i]._value for i in tensor_pos)
    if _device.placed and len(values) > 1:
        _device.check_same_device([v._data for v in values])
    static = list(leaves)
    for i in tensor_pos:
        static[i] = None
    numbers = _numbers(leaves) if opdef.dynamic_numbers else None
    if numbers:
        # See Note [Dynamic numbers]: the signature without the numbers' values decides
        # whether they are constants (their values join the signature) or arguments.
        for i, kind in numbers.items():
            static[i] = ("dynamic number", kind)
        skeleton = (opdef.name, treedef, tuple(_static_key(x) for x in static), tuple(tensor_pos),
                    out_dtype, grad_fn, _dtype.get_default_dtype(),
                    tuple((v.shape, v.dtype) for v in values))  # fmt: skip
        current = tuple(_number_key(leaves[i]) for i in numbers)
        first = _number_values.get(skeleton, _UNSEEN)
        if first is _UNSEEN:
            if len(_number_values) >= _SIGNATURES_MAX:
                _number_values.clear()
            _number_values[skeleton] = first = current
        if first is not None and first == current:
            for i in numbers:
                static[i] = leaves[i]
            signature = skeleton + (current,)
            arg_pos, numbers = tensor_pos, None
        else:
            _number_values[skeleton] = None
            arg_pos = tensor_pos + list(numbers)
            values = values + tuple(Value(np.asarray(leaves[i])) for i in numbers)
            signature = skeleton + ("arguments",)
        call = make_call(opdef, treedef, static, arg_pos, numbers)
    else:
        call = make_call(opdef, treedef, static, tensor_pos)
        signature = (opdef.name, treedef, tuple(_static_key(x) for x in static),
                     tuple(tensor_pos), out_dtype, grad_fn, _dtype.get_default_dtype(),
                     tuple((v.shape, v.dtype) for v in values))  # fmt: skip
    sig = _signatures.get(signature)
    if sig is None and ABSTRACT_FIRST_RUN and _abstract_first_run(call, values, signature):
        sig = _signatures[signature]
    deferred = (sig is not None and sig.avals is not None and _lazy.enabled
                and not any(isinstance(v._data, jax.core.Tracer) for v in values))  # fmt: skip
    if deferred:
        out = None
        avals = sig.avals
    else:
        out = _first_run(call, values, signature) if sig is None else call(*(v.data for v in values))
        avals = tuple((o.shape, o.dtype) for o in jax.tree_util.tree_leaves(out))
        sig = _signatures[signature] if sig is None else sig
    assert avals is not None
    if out_dtype is not None:
        call = _cast_output(call, out_dtype, _dtype.from_np(avals[0][1]))
        if out is not None:
            out = _dtype.cast(out, out_dtype)
        avals = ((avals[0][0], out_dtype.np),)

    record = (opdef.grad_fn is not None and is_grad_enabled()
              and any(v.requires_grad for v in values))  # fmt: skip
    node = None
    recipe: Recipe | None = None
    if record:
        if sig.graph is None:
            edges = _edges(opdef, args, kwargs)
            plain = len(edges) == len(values) and all(e == i for i, e in enumerate(edges))
            sig.graph = (grad_fn or opdef.node_name(args, kwargs), opdef.node_saves(args, kwargs),
                         None if plain else edges)  # fmt: skip
        name, saves, edges = sig.graph
        node = Node(name, call, sig.id, values, saves, opdef.multi_output, opdef.no_derivative,
                    edges=edges)  # fmt: skip
        node.n_outputs = len(avals)
        recipe = node
    elif deferred:
        recipe = Recipe(call, sig.id, values, opdef.multi_output)
    depth = 1 + max([v.depth for v in values], default=0) if deferred else 0
    arrays = (tuple(out) if opdef.multi_output else (out,)) if out is not None else None
    results = []
    # An implementation's `constant_outputs`: float outputs torch never differentiates
    # (linalg.lu's permutation matrix P).
    constant = getattr(opdef.impl, "constant_outputs", ())
    for i, (shape, dtype) in enumerate(avals):
        # torch: only floating and complex outputs can require grad (argmax, comparisons...).
        differentiable = node is not None and dtype in _DIFFERENTIABLE and i not in constant
        owner = node if differentiable else None
        if arrays is None:
            assert recipe is not None
            value = Value.pending(shape, dtype, recipe, i, depth, owner, i, differentiable)
        else:
            value = Value(arrays[i], owner, i, differentiable)
        results.append(Tensor._from_value(value))
    if depth > _lazy.MAX_DEPTH:
        _lazy.materialize([t._value for t in results])
    if opdef.view and args and isinstance(args[0], Tensor):
        _views.track(opdef, args, kwargs, results)
    if creation is not None:
        from ._creation import creation_result

        return creation_result(results[0], leaf)
    if opdef.multi_output:
        return _multi_output_result(opdef, results)
    return results[0]


def _multi_output_result(opdef: OpDef, results: list[Tensor]) -> Any:
    wrap = getattr(opdef.impl, "result_type", None)
    return wrap(*results) if wrap is not None else tuple(results)
