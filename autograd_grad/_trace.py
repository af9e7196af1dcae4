"""Recorded subgraph -> pure JAX function, and its structural key.

Note [Frontier]: a trace is a pure function of the values where the walk back from
the outputs stops: the requested inputs, and "constants" (leaves, detached values and
any value not computed from a requested input). Constants are arguments, not baked
in, so one compiled function serves every step whose graph has the same structure.

Note [Non-leaf inputs]: the gradient w.r.t. an intermediate value `y` is taken by
adding a zero perturbation `eps` where `y` is used and differentiating w.r.t. `eps`.
Then `grad(z, [x, y])` gives the total derivative for `x` and the partial for `y`,
exactly as torch does. Where `y` is used, the trace reads `y + (eps + (base - offset))`:
`y` is the recorded value (an argument), `base` recomputes it inside the vjp (so the
gradient flows on to `x`) and `offset` is that same recomputation done outside the vjp.
`base - offset` is exactly 0 with derivative base' inside the vjp, yet it is constant as
a function of the trace's arguments. So a recorded vjp (create_graph) depends on `y`
itself, as torch's backward graph does through the saved `y`, and differentiating it
again counts the path from `x` to `y` once: through `y`'s own node.

Note [Primal values]: a vjp computes the forward values of its subgraph on the way. Where
a live Tensor's value is one of them and still pending (the loss, usually: See Note
[Deferred values] in _lazy.py), the program returns it too (`aux`), and the grad's recipe
becomes that value's recipe: the forward pass runs once, inside the vjp, not once more for
the loss. The value's node (its grad_fn) does not change, only how its array is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from ._core import Node, Value

Array = jax.Array
# A reference to an array inside the trace: ("input", i), ("const", i), ("node", step, out).
Ref = tuple[Any, ...]


@dataclass(frozen=True)
class Program:
    """A recorded subgraph as an index-based program, free of Values and arrays."""

    steps: tuple[tuple[Callable[..., Any], bool, tuple[Ref, ...]], ...]  # (call, multi, args)
    outputs: tuple[Ref, ...]
    aux: tuple[Ref, ...]  # values computed on the way, returned too: See Note [Primal values]
    n_inputs: int
    nonleaf_inputs: tuple[Ref | None, ...]  # base value of a non-leaf input, or None for leaves
    n_consts: int

    def run(self, diff: Sequence[Array], consts: Sequence[Array], values: Sequence[Array],
            offsets: Sequence[Array | None]) -> tuple[tuple[Array, ...], tuple[Array, ...]]:  # fmt: skip
        """The subgraph's outputs and aux values, inside the vjp. `diff` holds the leaf inputs
        and the perturbations of non-leaf inputs, `values` the inputs' recorded values and
        `offsets` the non-leaf inputs' bases (from `offsets`); See Note [Non-leaf inputs]."""
        read = self._evaluate(diff, consts, values, offsets, len(self.steps))
        return tuple(read(r) for r in self.outputs), tuple(read(r) for r in self.aux)

    def offsets(self, inputs: Sequence[Array], consts: Sequence[Array]) -> list[Array | None]:
        """The non-leaf inputs' bases, computed outside the vjp: See Note [Non-leaf inputs]."""
        needed = [ref[1] for ref in self.nonleaf_inputs if ref is not None and ref[0] == "node"]
        read = self._evaluate(inputs, consts, inputs, None, max(needed, default=-1) + 1)
        return [None if ref is None else read(ref) for ref in self.nonleaf_inputs]

    def _evaluate(self, diff: Sequence[Array], consts: Sequence[Array], values: Sequence[Array],
                  offsets: Sequence[Array | None] | None,
                  n_steps: int) -> Callable[[Ref], Array]:  # fmt: skip
        """Run the first `n_steps` steps; return the reader of refs. Without `offsets` (outside
        the vjp) a non-leaf input reads as its recorded value."""
        results: list[tuple[Array, ...]] = []

        def read(ref: Ref) -> Array:
            kind = ref[0]
            if kind == "input":
                i = ref[1]
                base = self.nonleaf_inputs[i]
                if base is None:
                    return diff[i]
                if offsets is None:
                    # `+ 0` as inside the vjp, so both runs see the same bits (-0.0 + 0 is 0).
                    return values[i] + jnp.zeros_like(values[i])
                offset = offsets[i]
                assert offset is not None  # every non-leaf input has one
                return values[i] + (diff[i] + (read(base) - offset))
            if kind == "const":
                return consts[ref[1]]
            return results[ref[1]][ref[2]]

        for call, multi, args in self.steps[:n_steps]:
            out = call(*(read(a) for a in args))
            results.append(tuple(out) if multi else (out,))
        return read


@dataclass
class Subgraph:
    """What `grad` needs from the graph: the program, its frontier and the walked nodes."""

    program: Program
    key: Hashable
    consts: list[Value]
    nodes: list[Node]  # the nodes the backward pass goes through (torch "executes")
    used: list[bool]  # per requested input: reachable from the outputs
    # per requested input: the output that is that input itself and its only use, whose
    # grad_output torch hands back as the gradient (the same Tensor), else None
    passthrough: list[int | None]
    aux: list[Value]  # pending values the program computes on the way (Program.aux)


def walk(outputs: Sequence[Value],
         stop: frozenset[int] = frozenset()) -> tuple[list[Node], dict[int, tuple[bool, ...]]]:  # fmt: skip
    """Nodes reachable from `outputs`, inputs first, and per node which input edges the walk
    follows: those that required grad when the op ran and, for a node with `output_deps`,
    that a reached output depends on (torch's edges of a gradient's own backward graph).
    The walk does not go on behind the values whose ids are in `stop` (See Note [Hooks])."""
    follows: dict[int, list[bool]] = {}
    nodes: dict[int, Node] = {}
    reached: set[tuple[int, int]] = set()
    stack = [(v.node, v.index) for v in outputs if v.node is not None]
    while stack:
        node, index = stack.pop()
        deps = None if node.output_deps is None else node.output_deps[index]
        mark = (node.id, -1 if deps is None else index)
        if mark in reached:
            continue
        reached.add(mark)
        nodes[node.id] = node
        followed = follows.setdefault(node.id, [False] * len(node.inputs))
        for j, (v, needed) in enumerate(zip(node.inputs, node.needs_input_grad)):
            if needed and not followed[j] and (deps is None or j in deps):
                followed[j] = True
                if v.node is not None and id(v) not in stop:
                    stack.append((v.node, v.index))

    # Depth-first post-order over the followed edges: every node after its inputs' nodes.
    order: list[Node] = []
    done: set[int] = set()
    for root in sorted(nodes.values(), key=lambda n: n.id):
        todo: list[tuple[Node, bool]] = [(root, False)]
        while todo:
            node, expanded = todo.pop()
            if expanded:
                order.append(node)
                continue
            if node.id in done:
                continue
            done.add(node.id)
            todo.append((node, True))
            for v, edge in zip(node.inputs, follows[node.id]):
                if edge and v.node is not None and v.node.id not in done and id(v) not in stop:
                    todo.append((v.node, False))
    return order, {k: tuple(f) for k, f in follows.items()}


def behind(outputs: Sequence[Value]) -> list[Value]:
    """The values backward() reaches from `outputs` (themselves included): the inputs of
    the walked nodes along the edges the walk follows, in first-seen order."""
    order, follows = walk(outputs)
    seen: dict[int, Value] = {id(v): v for v in outputs}
    for node in order:
        for v, followed in zip(node.inputs, follows[node.id]):
            if followed:
                seen.setdefault(id(v), v)
    return list(seen.values())


def _aval(v: Value) -> tuple[Any, ...]:
    return (v.shape, v.dtype)


def collect(outputs: Sequence[Value], inputs: Sequence[Value], pending: Sequence[Value] = (),
            stop: frozenset[int] = frozenset()) -> Subgraph:  # fmt: skip
    """Walk back from `outputs`; build the program computing them from `inputs` and constants.
    Those of the `pending` values that the program computes on the way become its aux. The
    values in `stop` are cut: read as constants (or inputs), never recomputed."""
    input_index = {id(v): i for i, v in enumerate(inputs)}
    order, follows = walk(outputs, stop)
    # A node is walked when a requested input lies behind it.
    reaches: dict[int, bool] = {}
    used = [False] * len(inputs)
    for node in order:
        hit = False
        for v, followed in zip(node.inputs, follows[node.id]):
            if not followed:
                continue
            if id(v) in input_index:
                used[input_index[id(v)]] = True
                hit = True
            elif v.node is not None and id(v) not in stop and reaches.get(v.node.id, False):
                hit = True
        reaches[node.id] = hit
    for v in outputs:
        if id(v) in input_index:
            used[input_index[id(v)]] = True
    walked = [n for n in order if reaches[n.id]]
    step_of = {n.id: i for i, n in enumerate(walked)}

    consts: list[Value] = []
    const_index: dict[int, int] = {}

    def ref_no_input(v: Value, cut: bool = True) -> Ref:
        if v.node is not None and v.node.id in step_of and not (cut and id(v) in stop):
            return ("node", step_of[v.node.id], v.index)
        if id(v) not in const_index:
            const_index[id(v)] = len(consts)
            consts.append(v)
        return ("const", const_index[id(v)])

    def ref(v: Value, needed: bool = True) -> Ref:
        if needed and id(v) in input_index:
            return ("input", input_index[id(v)])
        return ref_no_input(v)

    steps = []
    key_steps = []
    for node in walked:
        args = tuple(ref(v, followed) for v, followed in zip(node.inputs, follows[node.id]))
        steps.append((node.call, node.multi_output, args))
        key_steps.append((node.key, args))
    # An output is computed even where it is cut (a hooked tensor's own stage).
    out_refs = tuple(("input", input_index[id(v)]) if id(v) in input_index
                     else ref_no_input(v, cut=False) for v in outputs)  # fmt: skip
    aux = [v for v in pending if isinstance(v.recipe, Node) and v.recipe.id in step_of]
    aux_refs = tuple(("node", step_of[v.recipe.id], v.out) for v in aux)  # type: ignore[union-attr]
    nonleaf = tuple(None if v.node is None else ref_no_input(v) for v in inputs)
    program = Program(tuple(steps), out_refs, aux_refs, len(inputs), nonleaf, len(consts))
    key = (tuple(key_steps), out_refs, aux_refs, nonleaf,
           tuple(_aval(v) for v in inputs), tuple(_aval(v) for v in consts))  # fmt: skip
    read_by_steps = {a for _, _, args in steps for a in args if a[0] == "input"}
    passthrough: list[int | None] = []
    for i in range(len(inputs)):
        hits = [j for j, r in enumerate(out_refs) if r == ("input", i)]
        alone = len(hits) == 1 and ("input", i) not in read_by_steps
        passthrough.append(hits[0] if alone else None)
    return Subgraph(program, key, consts, walked, used, passthrough, aux)


def vjp_function(program: Program, batched: bool) -> Callable[..., tuple[Array, ...]]:
    """(inputs, consts, cotangents) -> grads w.r.t. inputs, then the program's aux values,
    as one pure function.

    Leaf inputs are differentiated at their values, non-leaf inputs at a zero perturbation.
    Cotangents take their output's dtype (torch: engine.cpp validate_outputs), inside the
    function so that a float64 grad_output of a float32 output is differentiable too.

    Note [Complex gradients]: torch's gradient is the conjugate Wirtinger derivative and JAX's
    vjp the plain transpose; they agree as conj(vjp(conj(ct))), a no-op for real arrays."""

    def grads(inputs: Sequence[Array], consts: Sequence[Array],
              cotangents: Sequence[Array]) -> tuple[Array, ...]:  # fmt: skip
        nonleaf = program.nonleaf_inputs
        offsets = program.offsets(inputs, consts) if any(b is not None for b in nonleaf) else []
        primals = [x if nonleaf[i] is None else jnp.zeros_like(x) for i, x in enumerate(inputs)]

        def f(*diff: Array) -> tuple[tuple[Array, ...], tuple[Array, ...]]:
            return program.run(diff, consts, inputs, offsets)

        outs, pullback, aux = jax.vjp(f, *primals, has_aux=True)
        cts = tuple(jnp.conj(ct.astype(out.dtype)) for ct, out in zip(cotangents, outs))
        if batched:
            results = jax.vmap(pullback)(cts)
        else:
            results = pullback(cts)
        return tuple(jnp.conj(r) for r in results) + tuple(aux)

    return grads
