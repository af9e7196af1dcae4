"""Recorded subgraph -> pure JAX function, and its structural key.

Note [Frontier]: a trace is a pure function of the values where the walk back from
the outputs stops: the requested inputs, and "constants" (leaves, detached values and
any value not computed from a requested input). Constants are arguments, not baked
in, so one compiled function serves every step whose graph has the same structure.

Note [Non-leaf inputs]: the gradient w.r.t. an intermediate value `y` is taken by
adding a zero perturbation `eps` where `y` is used and differentiating w.r.t. `eps`.
Then `grad(z, [x, y])` gives the total derivative for `x` and the partial for `y`,
exactly as torch does.
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
    n_inputs: int
    nonleaf_inputs: tuple[Ref | None, ...]  # base value of a non-leaf input, or None for leaves
    n_consts: int

    def run(self, inputs: Sequence[Array], consts: Sequence[Array]) -> tuple[Array, ...]:
        """The subgraph's outputs. Non-leaf inputs are perturbations; See Note [Non-leaf inputs]."""
        results: list[tuple[Array, ...]] = []

        def read(ref: Ref) -> Array:
            kind = ref[0]
            if kind == "input":
                base = self.nonleaf_inputs[ref[1]]
                return inputs[ref[1]] if base is None else read(base) + inputs[ref[1]]
            if kind == "const":
                return consts[ref[1]]
            return results[ref[1]][ref[2]]

        for call, multi, args in self.steps:
            out = call(*(read(a) for a in args))
            results.append(tuple(out) if multi else (out,))
        return tuple(read(r) for r in self.outputs)


@dataclass
class Subgraph:
    """What `grad` needs from the graph: the program, its frontier and the walked nodes."""

    program: Program
    key: Hashable
    consts: list[Value]
    nodes: list[Node]  # the nodes the backward pass goes through (torch "executes")
    used: list[bool]  # per requested input: reachable from the outputs


def toposort(outputs: Sequence[Value]) -> list[Node]:
    """Nodes reachable from `outputs` through edges that required grad, inputs first."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(v.node, False) for v in outputs if v.node is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node.id in seen:
            continue
        seen.add(node.id)
        stack.append((node, True))
        for v, needed in zip(node.inputs, node.needs_input_grad):
            if needed and v.node is not None and v.node.id not in seen:
                stack.append((v.node, False))
    return order


def _aval(v: Value) -> tuple[Any, ...]:
    return (v.data.shape, str(v.data.dtype))


def collect(outputs: Sequence[Value], inputs: Sequence[Value]) -> Subgraph:
    """Walk back from `outputs`; build the program computing them from `inputs` and constants."""
    input_index = {id(v): i for i, v in enumerate(inputs)}
    order = toposort(outputs)
    # A node is walked when a requested input lies behind it.
    reaches: dict[int, bool] = {}
    used = [False] * len(inputs)
    for node in order:
        hit = False
        for v, needed in zip(node.inputs, node.needs_input_grad):
            if not needed:
                continue
            if id(v) in input_index:
                used[input_index[id(v)]] = True
                hit = True
            elif v.node is not None and reaches.get(v.node.id, False):
                hit = True
        reaches[node.id] = hit
    for v in outputs:
        if id(v) in input_index:
            used[input_index[id(v)]] = True
    walked = [n for n in order if reaches[n.id]]
    step_of = {n.id: i for i, n in enumerate(walked)}

    consts: list[Value] = []
    const_index: dict[int, int] = {}

    def ref_no_input(v: Value) -> Ref:
        if v.node is not None and v.node.id in step_of:
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
        args = tuple(ref(v, needed) for v, needed in zip(node.inputs, node.needs_input_grad))
        steps.append((node.call, node.multi_output, args))
        key_steps.append((node.key, args))
    out_refs = tuple(ref(v) for v in outputs)
    nonleaf = tuple(None if v.node is None else ref_no_input(v) for v in inputs)
    program = Program(tuple(steps), out_refs, len(inputs), nonleaf, len(consts))
    key = (tuple(key_steps), out_refs, nonleaf,
           tuple(_aval(v) for v in inputs), tuple(_aval(v) for v in consts))  # fmt: skip
    return Subgraph(program, key, consts, walked, used)


def vjp_function(program: Program, batched: bool) -> Callable[..., tuple[Array, ...]]:
    """(inputs, consts, cotangents) -> grads w.r.t. inputs, as one pure function.

    Leaf inputs are differentiated at their values, non-leaf inputs at a zero perturbation."""

    def grads(inputs: Sequence[Array], consts: Sequence[Array],
              cotangents: Sequence[Array]) -> tuple[Array, ...]:  # fmt: skip
        primals = [jnp.zeros_like(x) if program.nonleaf_inputs[i] is not None else x
                   for i, x in enumerate(inputs)]  # fmt: skip

        def f(*diff: Array) -> tuple[Array, ...]:
            return program.run(diff, consts)

        _, pullback = jax.vjp(f, *primals)
        if batched:
            return jax.vmap(pullback)(tuple(cotangents))
        return pullback(tuple(cotangents))

    return grads
