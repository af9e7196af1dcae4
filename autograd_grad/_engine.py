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
from jax.extend import core as jax_core

from . import _core, _dtype, _errors, _lazy
from ._core import Node, Recipe, Value, is_inference_mode_enabled, set_grad_enabled
from ._tensor import Size, Tensor
from ._trace import Subgraph, behind, collect, vjp_function
from .autograd.graph import GradientEdge

# Note [Compile on repeat]: the first time a program structure is seen (a grad's vjp, or
# the pending forward values: See Note [Deferred values] in _lazy.py) it runs without
# compiling (no compile latency in notebooks): traced once to a jaxpr, which is evaluated op
# by op. When the structure repeats, the same function is jit-compiled and reused. A grad
# is one recipe of its program, so the forward values it needs and the vjp run as one.
_deps_seen: OrderedDict[Hashable, tuple[frozenset[int], ...]] = OrderedDict()


# --- arguments, in torch/autograd/__init__.py's order ------------------------------------

def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, (Tensor, GradientEdge)):
        return (x,)
    return tuple(x)


def _inputs_tuple(inputs: Any, mapping_error: str) -> tuple[Any, ...]:
    """grad's and backward's `inputs`: one Tensor or GradientEdge, a dict (its values), or a
    sequence; another Mapping gets torch's TypeError (`mapping_error`, which names the
    function)."""
    if isinstance(inputs, (Tensor, GradientEdge)):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(mapping_error.format(type(inputs).__name__))
    return tuple(inputs)


def _tensor_or_tensors(grads: Any, length: int) -> tuple[Any, ...]:
    """torch's `_tensor_or_tensors_to_tuple`: None for every output, one Tensor, or a sequence."""
    if grads is None:
        return (None,) * length
    if isinstance(grads, Tensor):
        return (grads,)
    return tuple(grads)


def _out_meta(out: Tensor | GradientEdge) -> tuple[Size, Any]:
    """Shape and dtype of an output (torch reads a GradientEdge's from its node's metadata)."""
    if isinstance(out, GradientEdge):
        return Size(out._value.shape), _dtype.from_np(out._value.dtype)
    if not isinstance(out, Tensor):
        raise AssertionError(_errors.OUTPUT_TYPE)  # noqa: TRY004 - torch's class
    return out.shape, out.dtype


def _make_grads(outputs: tuple[Any, ...], grads: tuple[Any, ...],
                batched: bool) -> list[Tensor | None]:  # fmt: skip
    """torch/autograd/__init__.py `_make_grads`: check and fill in grad_outputs.

    Error indices come from `grads.index(grad)` and `outputs.index(out)` as in torch, which
    compare Tensors with `==`: a quirk we keep, errors included."""
    new: list[Tensor | None] = []
    for out, grad in zip(outputs, grads):
        out_size, out_dtype = _out_meta(out)
        if isinstance(grad, Tensor):
            first_shape = grad.shape
            if batched:
                # torch reads grad[0]: its errors for a 0-d or empty grad_output.
                if grad.ndim == 0:
                    raise IndexError(_errors.SELECT_0D)
                if grad.shape[0] == 0:
                    raise IndexError(_errors.SELECT_EMPTY)
                first_shape = Size(grad.shape[1:])
            if tuple(out_size) != tuple(first_shape):
                if batched and isinstance(out, GradientEdge):
                    raise RuntimeError(_errors.BATCHED_GRADIENT_EDGE)
                template = _errors.BATCHED_SHAPE_MISMATCH if batched else _errors.SHAPE_MISMATCH
                # torch's _calculate_shape drops the batch dimension of grad[0] a second time.
                shown = Size(first_shape[1:]) if batched else first_shape
                raise RuntimeError(template.format(
                    grads.index(grad), shown, outputs.index(out), out_size))
            if out_dtype.is_complex != grad.dtype.is_complex:
                raise RuntimeError(_errors.COMPLEX_DTYPE_MISMATCH.format(
                    grads.index(grad), grad.dtype, outputs.index(out), out_dtype))
            new.append(grad)
        elif grad is None:
            if isinstance(out, GradientEdge) or out.requires_grad:
                if any(n != 1 for n in out_size):
                    raise RuntimeError(_errors.IMPLICIT_NOT_SCALAR)
                if not out_dtype.is_floating_point:
                    raise RuntimeError(_errors.IMPLICIT_NOT_REAL.format(out_dtype))
                new.append(Tensor._from_value(_lazy.filled(tuple(out_size), 1, out_dtype.np)))
            else:
                new.append(None)
        else:
            raise TypeError(_errors.GRAD_OUTPUT_TYPE.format(type(grad).__name__))
    return new


def _check_batch(grads: Sequence[Tensor | None]) -> None:
    """torch runs the batched engine under its vmap over grad_outputs: vmap's own checks."""
    sizes = []
    for g in grads:
        if g is None:
            continue
        if g.ndim == 0:
            raise ValueError(_errors.VMAP_0D)
        sizes.append(g.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError(_errors.VMAP_SIZES.format(sizes))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> Any:  # fmt: skip
    """Same as `torch.autograd.grad`.

    Deviation: with `create_graph=True` a gradient's `grad_fn` is one node for the whole
    vjp, named "GradBackward" (torch names it after the last op of the backward formula).

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
    inputs_tuple = _inputs_tuple(inputs, _errors.MAPPING_INPUTS)
    if len(inputs_tuple) == 0:
        raise RuntimeError(_errors.EMPTY_INPUTS)
    if not only_inputs:
        warnings.warn(_errors.ONLY_INPUTS_DEPRECATED, FutureWarning, stacklevel=2)

    grads = _make_grads(outputs, _tensor_or_tensors(grad_outputs, len(outputs)),
                        is_grads_batched)  # fmt: skip
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        _check_batch(grads)

    result = run_backward(outputs, grads, retain_graph, create_graph, inputs_tuple, allow_unused,
                          is_grads_batched)  # fmt: skip
    if materialize_grads:
        if any(r is None and not isinstance(x, Tensor) for r, x in zip(result, inputs_tuple)):
            raise RuntimeError(_errors.MATERIALIZE_GRADIENT_EDGE)
        result = tuple(r if r is not None else _zeros_like(x, create_graph)
                       for r, x in zip(result, inputs_tuple))  # fmt: skip
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return result


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None,
             inputs: Any = None) -> None:  # fmt: skip
    """Same as `torch.autograd.backward`: accumulates the gradients of `tensors` into the
    `.grad` of the leaves behind them (and of non-leaf tensors that `retain_grad()`), or of
    `inputs` only. Gradients are summed across calls; set `.grad = None` to start again.

    >>> import autograd_grad as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> torch.autograd.backward((x ** 2).sum())
    >>> x.grad
    tensor([2., 4.])
    """
    if grad_variables is not None:
        warnings.warn(_errors.GRAD_VARIABLES_DEPRECATED, FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError(_errors.GRAD_TENSORS_AND_VARIABLES)
        grad_tensors = grad_variables
    inputs_tuple = () if inputs is None else _inputs_tuple(inputs, _errors.BACKWARD_MAPPING_INPUTS)
    if inputs is not None and len(inputs_tuple) == 0:
        raise RuntimeError(_errors.BACKWARD_EMPTY_INPUTS)
    outputs = (tensors,) if isinstance(tensors, (Tensor, GradientEdge)) else tuple(tensors)
    grads = _make_grads(outputs, _tensor_or_tensors(grad_tensors, len(outputs)), False)
    if retain_graph is None:
        retain_graph = create_graph
    accumulate(outputs, grads, retain_graph, create_graph, inputs_tuple)


def accumulate(outputs: Sequence[Any], grads: Sequence[Tensor | None], retain_graph: bool,
               create_graph: bool, inputs: Sequence[Any]) -> None:  # fmt: skip
    """backward()'s engine call (torch: `_engine_run_backward` with accumulate_grad=True):
    the gradients w.r.t. `inputs`, or w.r.t. every leaf and retained tensor behind the
    outputs, go into their tensors' `.grad`. See Note [Owners] in _core.py."""
    for i, out in enumerate(outputs):
        if not out._value.requires_grad:
            raise RuntimeError(_errors.OUTPUT_NO_GRAD.format(i))
    if inputs:
        targets: list[Tensor] = []
        for x in inputs:
            if isinstance(x, GradientEdge):
                owner = x._value.owner() if x._value.owner is not None else None
                if owner is None:
                    continue  # an edge no tensor accumulates into
                x = owner
            # torch retains the grad of non-leaf inputs (python_engine.cpp), and raises for
            # inputs that do not require grad as retain_grad() does.
            x.retain_grad()
            targets.append(x)
    else:
        targets = []
        for v in behind([out._value for out in outputs]):
            owner = v.owner() if v.owner is not None else None
            if owner is None:
                continue
            if v.node is None:
                # A leaf, even one its tensor has moved on from: See Note [Owners].
                if v.requires_grad:
                    targets.append(owner)
            elif owner._retains_grad and owner._value is v:
                targets.append(owner)
    if create_graph:
        warnings.warn(_errors.BACKWARD_CREATE_GRAPH, UserWarning, stacklevel=3)
    if not targets:
        return
    values = [t._value for t in targets]
    results = run_backward(outputs, grads, retain_graph, create_graph, values, True, False,
                           values_given=True)  # fmt: skip
    for t, g in zip(targets, results):
        if g is not None:
            _accumulate_grad(t, g, create_graph)


def _accumulate_grad(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """torch's AccumulateGrad (leaves) and retain_grad hook (non-leaves): the first gradient
    is stored, later ones added; a leaf's `.grad` is updated in place (the same Tensor)
    unless the graph of the sum is wanted."""
    _accumulate_into(t, g, create_graph)
    for hook in list(t.__dict__.get("_post_accumulate_hooks", ())):
        hook(t)


def _accumulate_into(t: Tensor, g: Tensor, create_graph: bool) -> None:
    old = t._grad
    if old is None:
        t._grad = g if create_graph else Tensor._from_value(g._value.with_graph())
    elif create_graph or not t.is_leaf or old.requires_grad:
        # A `.grad` with a graph (from create_graph=True) keeps one: torch adds in place and
        # keeps its grad_fn; we add out of place, so later grads through it see the sum.
        with set_grad_enabled(create_graph or old.requires_grad):
            t._grad = old + g
    else:
        with set_grad_enabled(False):
            old.add_(g)


def _zeros_like(x: Tensor, requires_grad: bool) -> Tensor:
    return Tensor._from_value(_lazy.filled(tuple(x.shape), 0, x.dtype.np).with_graph(
        requires_grad=requires_grad))


# --- the engine ----------------------------------------------------------------------------

def run_backward(outputs: Sequence[Any], grads: Sequence[Tensor | None], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Any], allow_unused: bool, batched: bool,
                 values_given: bool = False) -> tuple[Tensor | None, ...]:  # fmt: skip
    """The engine (torch: python_engine.cpp `THPEngine_run_backward` + engine.cpp).

    `values_given`: `inputs` are Values, from backward() (`accumulate`), where a retained
    tensor's gradient is the one after its hooks; from autograd.grad they are Tensors or
    GradientEdges (See `_hooked_gradients`' capture_raw).

    Every check runs before anything is computed or freed, so an error leaves the graph as
    it was. (torch frees the graph before its unused-input error; we keep it usable.)"""
    if len(outputs) != len(grads):
        raise RuntimeError(_errors.LENGTH_MISMATCH.format(len(outputs), len(grads)))
    out_values: list[Value] = []
    cotangents: list[Tensor] = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        v: Value = out._value
        if not v.requires_grad:
            raise RuntimeError(_errors.OUTPUT_NO_GRAD.format(i))
        if g is None:
            continue  # torch skips outputs whose grad_output is None
        out_values.append(v)
        cotangents.append(g)
    # The same value asked for twice gets the same gradient twice: trace it once.
    in_values: list[Value] = []
    position: dict[int, int] = {}
    slots: list[int] = []
    for x in inputs:
        if values_given:
            v = x
        elif not isinstance(x, (Tensor, GradientEdge)):
            raise RuntimeError(_errors.INPUT_TYPE.format(type(x).__name__))  # noqa: TRY004
        else:
            v = x._value
        if not v.requires_grad:
            raise RuntimeError(_errors.INPUT_NO_GRAD)
        if id(v) not in position:
            position[id(v)] = len(in_values)
            in_values.append(v)
        slots.append(position[id(v)])

    sub = collect(out_values, in_values, _lazy.live_pending())
    # torch's engine runs nodes newest first and raises at the first that cannot run.
    for node in sorted(sub.nodes, key=lambda n: n.id, reverse=True):
        if node.no_derivative is not None:
            raise RuntimeError(_errors.NOT_IMPLEMENTED.format(node.no_derivative))
        if node.freed and node.saves:
            raise RuntimeError(_errors.FREED_GRAPH)
    for i, slot in enumerate(slots):
        if not sub.used[slot] and not allow_unused:
            raise RuntimeError(_errors.UNUSED_INPUT.format(i))

    record = create_graph and not is_inference_mode_enabled()
    hooked = _hooked(out_values) if _core.hooks_registered else []
    check_nan = _core.anomaly.enabled and _core.anomaly.check_nan
    if check_nan:  # node by node: See autograd/anomaly_mode.py
        hooked = [v for v in behind(out_values) if v.node is not None]
    if hooked:
        results = _hooked_gradients(out_values, cotangents, in_values, hooked, batched, record,
                                    capture_raw=not values_given, check_nan=check_nan)  # fmt: skip
    else:
        results = _gradients(sub, batched, in_values, cotangents, record)
        if not batched:
            # torch's engine passes a grad_output through untouched when the output is the
            # input itself: the gradient is that very Tensor (requires_grad and all).
            for i, j in enumerate(sub.passthrough):
                if j is not None and cotangents[j].dtype == results[i].dtype:
                    results[i] = cotangents[j]
    if _core.hooks_registered:
        for i, v in enumerate(in_values):
            if v.node is None and v.hooks and sub.used[i] and results[i] is not None:
                # leaf hooks, before accumulation
                results[i] = _run_hooks(v, results[i])
    if not retain_graph:
        for node in sub.nodes:
            node.freed = True
    return tuple(results[slot] if sub.used[slot] else None for slot in slots)


# Note [Hooks]: a tensor hook can replace the gradient flowing through a non-leaf tensor, so
# a backward with hooked tensors runs in stages, newest hooked tensor first. Each stage is one
# vjp from the stage's outputs to the requested inputs and the hooked tensors not yet done,
# with every hooked tensor cut (read as a constant, See `collect`'s `stop`): when a hooked
# tensor's turn comes, every path into it has been summed, its hooks run on that sum, and the
# next stage starts from it with the hooked gradient. Leaf hooks run on the final gradient.
# Node hooks stage the same way: a node with hooks is a stage of all its outputs at once (its
# prehooks see every grad_output, None where no gradient reached one); a node with post hooks
# also cuts at its non-leaf inputs, so its stage's vjp is the node's own backward, whose
# grad_inputs the hooks see and may replace before they are summed into its inputs.

def _hooked(out_values: Sequence[Value]) -> list[Value]:
    """The non-leaf values backward from `out_values` stages at: those with tensor hooks, the
    outputs of nodes with hooks, the inputs of nodes with post hooks."""
    staged: dict[int, Value] = {}
    for v in behind(out_values):
        node = v.node
        if node is None:
            continue
        if v.hooks or node.prehooks or node.posthooks:
            staged[id(v)] = v
        if node.posthooks:
            for u, needs in zip(node.inputs, node.needs_input_grad):
                if needs and u.node is not None:
                    staged.setdefault(id(u), u)
    return list(staged.values())


def _run_hooks(v: Value, grad: Tensor) -> Tensor:
    for hook in list(v.hooks or ()):
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def _hook_result(hook: Any, result: Any, expected: int) -> tuple[Any, ...]:
    """A node hook's replacement, checked as torch checks it."""
    if not isinstance(result, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(result).__name__}'")
    if len(result) != expected:
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect "
                           f"number of values (got {len(result)}, but expected {expected})")
    return result


def _stages(hooked: list[Value]) -> list[list[Value]]:
    """The hooked values grouped by node, newest node first, outputs in order."""
    groups: list[list[Value]] = []
    for v in sorted(hooked, key=lambda v: (-v.node.id, v.index)):  # type: ignore[union-attr]
        if groups and groups[-1][0].node is v.node:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def _hooked_gradients(out_values: list[Value], cotangents: list[Tensor], in_values: list[Value],
                      hooked: list[Value], batched: bool, record: bool,
                      capture_raw: bool, check_nan: bool = False) -> list[Tensor]:  # fmt: skip
    """The gradients w.r.t. `in_values`, stage by stage. See Note [Hooks]."""
    stages = _stages(hooked)
    stop = frozenset(id(v) for v in hooked)
    totals: dict[int, Tensor] = {}

    def add(v: Value, g: Tensor) -> None:
        prev = totals.get(id(v))
        with set_grad_enabled(record):
            totals[id(v)] = g if prev is None else prev + g

    def sweep(outs: list[Value], cts: list[Tensor], targets: list[Value]) -> list[Tensor | None]:
        if not targets:
            return []
        sub = collect(outs, targets, _lazy.live_pending(), stop)
        grads = _gradients(sub, batched, targets, cts, record)
        return [g if used else None for g, used in zip(grads, sub.used)]

    def sweep_on(outs: list[Value], cts: list[Tensor], remaining: list[Value]) -> None:
        skip = {id(v) for v in outs}
        targets = [v for v in in_values if id(v) not in skip]
        targets += [v for v in remaining if id(v) not in skip and v not in targets]
        for v, g in zip(targets, sweep(outs, cts, targets)):
            if g is not None:
                add(v, g)

    # A hooked output's gradient goes through its hooks before going anywhere.
    plain = [(v, g) for v, g in zip(out_values, cotangents) if id(v) not in stop]
    for v, g in zip(out_values, cotangents):
        if id(v) in stop:
            add(v, g)
    if plain:
        sweep_on([v for v, _ in plain], [g for _, g in plain], hooked)
    requested = {id(v) for v in in_values}
    raw: dict[int, Tensor] = {}
    for k, group in enumerate(stages):
        node = group[0].node
        assert node is not None
        for h in group:
            g = totals.get(id(h))
            if g is None:
                continue  # no gradient reaches it
            if capture_raw and id(h) in requested and any(
                    id(v) in requested for v in behind([h])[1:]):  # fmt: skip
                # torch: autograd.grad captures a requested tensor's gradient before its hooks
                # when its grad_fn runs anyway (a requested input lies behind it).
                raw[id(h)] = g
            g = totals[id(h)] = _run_hooks(h, g)
            if check_nan:
                _check_nan(h, g)
        grad_outputs: tuple[Any, ...] = ()
        if node.prehooks or node.posthooks:
            grad_outputs = _run_prehooks(node, group, totals)
        reached = [h for h in group if id(h) in totals]
        if not reached:
            continue
        cts = [totals[id(h)] for h in reached]
        if node.posthooks:
            _run_posthooks(node, grad_outputs, sweep(reached, cts, _node_inputs(node)), add)
        else:
            sweep_on(reached, cts, [v for later in stages[k + 1:] for v in later])
    totals.update(raw)
    # No gradient reached an input (a hook replaced it by None): None, as in torch.
    return [totals.get(id(v)) for v in in_values]


def _run_prehooks(node: Node, group: list[Value], totals: dict[int, Tensor]) -> tuple[Any, ...]:
    """Run the node's prehooks on its grad_outputs; their replacements go into `totals`."""
    by_index = {h.index: h for h in group}
    grads = tuple(totals.get(id(by_index[i])) if i in by_index else None
                  for i in range(node.n_outputs))  # fmt: skip
    for hook in list(node.prehooks or ()):
        replaced = hook(grads)
        if replaced is not None:
            grads = _hook_result(hook, replaced, len(grads))
    for i, h in by_index.items():
        if grads[i] is None:
            totals.pop(id(h), None)
        else:
            totals[id(h)] = grads[i]
    return grads


def _node_inputs(node: Node) -> list[Value]:
    """The node's inputs that need a gradient, each once."""
    out: list[Value] = []
    for v, needs in zip(node.inputs, node.needs_input_grad):
        if needs and all(v is not u for u in out):
            out.append(v)
    return out


def _run_posthooks(node: Node, grad_outputs: tuple[Any, ...], grads: list[Tensor | None],
                   add: Callable[[Value, Tensor], None]) -> None:  # fmt: skip
    """Run the node's post hooks on its grad_inputs (one per `next_functions` entry; an input
    used twice gets its whole gradient at its first entry), then sum them into its inputs."""
    inputs = _node_inputs(node)
    slots = list(range(len(node.inputs)) if node.edges is None else node.edges)
    grad_inputs: list[Any] = []
    values: list[Value | None] = []
    given: set[int] = set()
    for k in slots:
        v = None if k is None or not node.needs_input_grad[k] else node.inputs[k]
        i = next((i for i, u in enumerate(inputs) if u is v), None)
        values.append(v)
        grad_inputs.append(grads[i] if i is not None and i not in given else None)
        if i is not None:
            given.add(i)
    result = tuple(grad_inputs)
    for hook in list(node.posthooks or ()):
        replaced = hook(result, grad_outputs)
        if replaced is not None:
            result = _hook_result(hook, replaced, len(result))
    for v, g in zip(values, result):
        if v is not None and g is not None:
            add(v, g)


def _check_nan(h: Value, g: Tensor) -> None:
    """Anomaly mode: torch's error when the node that made `h` returns NaN gradients, with
    the index among its next_functions."""
    node = h.node
    assert node is not None
    outs, pullback = jax.vjp(node.call, *[v.data for v in node.inputs])
    if node.multi_output:
        cts: Any = tuple(g._value.data.astype(o.dtype) if k == h.index else jnp.zeros_like(o)
                         for k, o in enumerate(outs))  # fmt: skip
    else:
        cts = g._value.data.astype(outs.dtype)
    for i, gi in enumerate(pullback(cts)):
        if not node.needs_input_grad[i] or not jnp.issubdtype(gi.dtype, jnp.inexact):
            continue
        if bool(jnp.isnan(gi).any()):
            k = i if node.edges is None else node.edges.index(i)
            if node.stack is not None:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                              "caused the error:\n" + "".join(node.stack), UserWarning,
                              stacklevel=4)  # fmt: skip
            raise RuntimeError(_errors.ANOMALY_NAN.format(node.name(), k))


def _gradients(sub: Subgraph, batched: bool, in_values: list[Value], cotangents: list[Tensor],
               record: bool) -> list[Tensor]:  # fmt: skip
    """The gradients: one recipe, the vjp of the subgraph's program over its frontier (the
    inputs, constants and cotangents). Without `create_graph` they are computed at once,
    with every pending value, as one program; with it they stay pending and the vjp is also
    recorded as one node (torch's engine runs backward with grad mode set to create_graph,
    so even under no_grad(); inference_mode() records nothing).

    A recorded gradient requires grad only where it depends on a frontier value that does,
    as in torch: the gradient of `(2 * x).sum()` is a constant. See Note [Gradient
    dependencies]."""
    n_in, n_const = len(in_values), len(sub.consts)
    vjp = vjp_function(sub.program, batched)

    def call(*arrays: jax.Array) -> tuple[jax.Array, ...]:
        # The recipe's (and node's) function, traced into the vjp of any later grad through it.
        return vjp(arrays[:n_in], arrays[n_in:n_in + n_const], arrays[n_in + n_const:])

    frontier = tuple(in_values) + tuple(sub.consts) + tuple(g._value for g in cotangents)
    key = _lazy.intern(("grad", sub.key, batched))
    requires = [False] * n_in
    node = None
    if record:
        deps = _deps_seen.get(key)
        if deps is None:
            structs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in frontier]
            deps = _dependencies(jax.make_jaxpr(call)(*structs).jaxpr)
        _lazy.remember(_deps_seen, key, deps)
        requires = [any(frontier[j].requires_grad for j in d) for d in deps[:n_in]]
        if any(requires):
            node = Node(_GRAD_NODE_NAME, call, key, frontier, saves=True, multi_output=True,
                        output_deps=deps)  # fmt: skip
    if (batched and not cotangents) or any(isinstance(v._data, jax.core.Tracer) for v in frontier):
        # Inside a JAX transform (or nothing to batch over): run it now.
        arrays = call(*(v.data for v in frontier))[:n_in]
        return [Tensor._from_value(Value(a, node if r else None, i, r))
                for i, (a, r) in enumerate(zip(arrays, requires))]  # fmt: skip
    batch = (cotangents[0].shape[0],) if batched else ()
    depth = 1 + max((v.depth for v in frontier), default=0)
    recipe = node if node is not None else Recipe(call, key, frontier, True)
    values = [Value.pending(batch + v.shape, v.dtype, recipe, i, depth, node if r else None, i, r)
              for i, (v, r) in enumerate(zip(in_values, requires))]  # fmt: skip
    behind = _pending_behind(frontier)
    for k, v in enumerate(sub.aux):  # See Note [Primal values] in _trace.py
        if id(v) not in behind:  # a value the frontier reads cannot come from the grad
            v.recipe, v.out = recipe, n_in + k
    if not record or depth > _lazy.MAX_DEPTH:
        _lazy.materialize(values)
    return [Tensor._from_value(v) for v in values]


def _pending_behind(values: Sequence[Value]) -> set[int]:
    """Ids of the pending values that computing `values` computes (themselves included)."""
    seen: set[int] = set()
    todo = [v for v in values if v._data is None]
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        assert v.recipe is not None
        todo.extend(u for u in v.recipe.inputs if u._data is None and id(u) not in seen)
    return seen


# torch names a gradient's node after the last op of the backward formula that made it
# (often MulBackward0); here the whole vjp is one node.
_GRAD_NODE_NAME = "GradBackward"


# --- Note [Gradient dependencies] --------------------------------------------------------
# torch's gradient of an input requires grad when its backward formulas used a tensor that
# requires grad: `x * x` saves x, `2 * x` saves only the constant 2. We recover this from the
# jaxpr of the vjp: which frontier arguments each gradient depends on through data flow.
# Integer and boolean values carry no dependency, because torch never lets them require
# grad (the mask in clamp's or max's backward is a bool tensor). One analysis per subgraph
# structure, cached. Known difference: torch's fused backward kernels that take the input
# only for a comparison (relu's threshold_backward) make the gradient require grad; here
# such a gradient is a constant.

# Primitives that call a sub-jaxpr once with their operands (no loop): analysed inside.
_CALL_PRIMITIVES = frozenset({"pjit", "jit", "closed_call", "core_call", "custom_jvp_call",
                              "custom_vjp_call", "custom_vjp_call_jaxpr", "remat",
                              "checkpoint"})  # fmt: skip


def _dependencies(jaxpr: Any) -> tuple[frozenset[int], ...]:
    """Per output of `jaxpr`, the positions of the arguments it depends on."""
    n = len(jaxpr.invars)
    masks = _propagate(jaxpr, [1 << j for j in range(n)])
    return tuple(frozenset(j for j in range(n) if m >> j & 1) for m in masks)


def _propagate(jaxpr: Any, in_masks: list[int]) -> list[int]:
    """Forward data-flow over a jaxpr: a bit mask of the arguments each variable depends on."""
    env: dict[Any, int] = dict(zip(jaxpr.invars, in_masks))

    def read(atom: Any) -> int:
        if isinstance(atom, jax_core.Literal):
            return 0
        return env.get(atom, 0)

    for eqn in jaxpr.eqns:
        masks = [read(a) for a in eqn.invars]
        inner = _called_jaxpr(eqn)
        if eqn.primitive.name == "stop_gradient":  # once_differentiable: no graph behind it
            outs = [0] * len(eqn.outvars)
        elif inner is not None:
            outs = _propagate(inner, masks)
        else:
            union = 0
            for m in masks:
                union |= m
            outs = [union] * len(eqn.outvars)
        for var, m in zip(eqn.outvars, outs):
            env[var] = m if jnp.issubdtype(var.aval.dtype, jnp.inexact) else 0
    return [read(v) for v in jaxpr.outvars]


def _called_jaxpr(eqn: Any) -> Any:
    if eqn.primitive.name not in _CALL_PRIMITIVES:
        return None
    for name in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        inner = eqn.params.get(name)
        if isinstance(inner, jax_core.ClosedJaxpr):
            inner = inner.jaxpr
        if (isinstance(inner, jax_core.Jaxpr) and len(inner.invars) == len(eqn.invars)
                and len(inner.outvars) == len(eqn.outvars)):  # fmt: skip
            return inner
    return None
