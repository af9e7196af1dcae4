"""Deferred forward values: everything pending is computed by one XLA program.

Note [Deferred values]: running each op through JAX's eager dispatch costs tens of
microseconds, more than a whole compiled training step of small models. So an op is not
run: dispatch knows its output shapes and dtypes from the first sight of its signature
(op, static arguments, input shapes and dtypes), traced with `jax.eval_shape`, and gives
back pending values (`Value.recipe`). When something looks at a pending value (printing,
`.item()`, `bool()`, numpy, an op that must see values, a `grad` without `create_graph`),
`materialize` computes it together with every other pending value a live Tensor points
to, as one program over the recipes behind them. Like grad programs, a program structure
seen once is evaluated without compiling; a structure seen again is `jax.jit`-compiled and
reused (See Note [Compile on repeat] in _engine.py). A training step thus runs as one XLA
call, and nothing is visible to the user but the speed:

- an op whose first-sight trace raises runs eagerly, so errors (shapes, dtypes, index
  values) are raised at the op that causes them, and later runs of the same signature take
  the same checks' outcome (checks that need values: See `_errors.is_traced`);
- an op that looks at values (index bounds, data-dependent shapes) always runs eagerly,
  and so does an op that sees JAX tracers (inside `jax.jit`, `jax.vmap`...);
- values are immutable, so a pending recipe always reads the inputs it was given;
- pending chains are bounded (`MAX_DEPTH`), so a loop that never looks at its values
  still runs in programs of bounded size.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import jax
from jax.extend import core as jax_core

from . import _core
from ._core import Recipe, Value

Array = jax.Array
# A reference inside a program: (i,) for argument i, (j, k) for output k of step j.
Ref = tuple[int, ...]

MAX_DEPTH = 1000  # pending recipes behind one value before it is computed anyway
_CACHE_SIZE = 256
# program key -> None (seen once) or the compiled program. See Note [Compile on repeat].
_programs: OrderedDict[Hashable, Callable[..., Any] | None] = OrderedDict()
# Tensors that may point to a pending value: what a program computes besides its targets.
_live: list[weakref.ref[Any]] = []
enabled = True
_key_ids = itertools.count()
_interned: dict[Hashable, int] = {}


def track(tensor: Any) -> None:
    """Remember a Tensor whose value is pending, so the next program computes it too."""
    _live.append(weakref.ref(tensor))
    if len(_live) > 65536:  # a long run of pending values that no one looks at
        _live[:] = [r for r in _live if (t := r()) is not None and t._value._data is None]


def live_pending() -> list[Value]:
    """The pending values of live Tensors (what the next program computes besides its
    targets)."""
    out: dict[Value, None] = {}
    for r in _live:
        t = r()
        if t is not None and t._value._data is None:
            out[t._value] = None
    return list(out)


def new_key_id() -> int:
    """A small int standing for a structural key (cheap to hash inside program keys)."""
    return next(_key_ids)


def intern(key: Hashable) -> int:
    """The int standing for `key`: equal keys, the same int. Bounded by clearing: a key seen
    again after that gets a new int, which only costs a cache miss."""
    found = _interned.get(key)
    if found is None:
        if len(_interned) >= 65536:
            _interned.clear()
        found = _interned[key] = new_key_id()
    return found


def remember(cache: OrderedDict[Hashable, Any], key: Hashable, value: Any) -> None:
    """Bounded, least recently used first out."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def compiled_on_repeat(cache: OrderedDict[Hashable, Any], key: Hashable,
                       make: Callable[[], Callable[..., Any]]) -> Callable[..., Any]:  # fmt: skip
    """The function for `key`. See Note [Compile on repeat] in _engine.py: a small program
    seen once runs op by op; a large one, or one seen before, runs `jax.jit`-compiled."""
    if key not in cache:
        return _first_sight(cache, key, make())
    fn = cache[key]
    if fn is None:
        fn = jax.jit(make())
    remember(cache, key, fn)
    return fn


# Note [First sight]: evaluating a jaxpr op by op costs no whole-program compile, but JAX
# compiles every primitive it has not run at that shape before; past a few dozen equations
# (a create_graph vjp, a training step) those small compiles cost more than compiling the
# whole program once. So a program this large is compiled at first sight, from the jaxpr the
# first trace made, and cached.
FIRST_SIGHT_COMPILE_EQNS = 48


def _first_sight(cache: OrderedDict[Hashable, Any], key: Hashable,
                 fn: Callable[..., Any]) -> Callable[..., Any]:  # fmt: skip
    def run(*args: Any) -> tuple[Array, ...]:
        closed = jax.make_jaxpr(fn)(*args)
        leaves = jax.tree_util.tree_leaves(args)
        if len(closed.jaxpr.eqns) < FIRST_SIGHT_COMPILE_EQNS:
            remember(cache, key, None)
            return tuple(jax_core.jaxpr_as_fun(closed)(*leaves))
        compiled = jax.jit(jax_core.jaxpr_as_fun(closed))

        def from_jaxpr(*call_args: Any) -> tuple[Array, ...]:
            return tuple(compiled(*jax.tree_util.tree_leaves(call_args)))

        remember(cache, key, from_jaxpr)
        return tuple(compiled(*leaves))

    return run


def staged(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` traced to a jaxpr and evaluated op by op, without compiling (about 3x faster
    than running a vjp eagerly)."""

    def run(*args: Any) -> tuple[Array, ...]:
        closed = jax.make_jaxpr(fn)(*args)
        return tuple(jax_core.jaxpr_as_fun(closed)(*jax.tree_util.tree_leaves(args)))

    return run


def made(key: Hashable, make: Callable[[], Array], shape: tuple[int, ...], dtype: Any) -> Value:
    """A pending array that `make()` creates (filled, eye): inside a program it is a constant
    XLA folds in, and creating it costs no device work. `key` identifies what `make` does."""
    recipe = Recipe(make, intern(key), (), False)
    return Value.pending(shape, dtype, recipe, 0, 1)


def filled(shape: tuple[int, ...], value: Any, dtype: Any) -> Value:
    """A pending array of `shape` filled with `value`."""
    return made(("full", shape, type(value), value, dtype),
                functools.partial(jax.numpy.full, shape, value, dtype), shape, dtype)


def materialize(values: Sequence[Value]) -> None:
    """Compute `values` and every pending value of a live Tensor, in one program."""
    targets: dict[Value, None] = {}  # ordered, no repeats (Values hash by identity)
    for v in values:
        if v._data is None:
            targets[v] = None
    for v in live_pending():
        targets[v] = None
    _live.clear()
    if targets:
        # Pending values read only concrete arrays (an op that sees tracers runs eagerly),
        # so they are computed concretely even when looked at inside a JAX transform
        # (jax.eval_shape, jax.jit of a function that prints): no tracer is ever stored.
        with jax.ensure_compile_time_eval():
            _run(list(targets))


def _run(targets: list[Value]) -> None:
    # Recipes in dependency order (iterative post-order), and the computed values they read.
    # Recipes and Values hash by identity.
    step_of: dict[Recipe, int] = {}
    steps: list[Recipe] = []
    entered: set[Recipe] = set()
    for target in targets:
        assert target.recipe is not None
        todo: list[tuple[Recipe, bool]] = [(target.recipe, False)]
        while todo:
            recipe, expanded = todo.pop()
            if expanded:
                step_of[recipe] = len(steps)
                steps.append(recipe)
                continue
            if recipe in entered:
                continue
            entered.add(recipe)
            todo.append((recipe, True))
            for v in recipe.inputs:
                if v._data is None and v.recipe not in entered:
                    todo.append((v.recipe, False))  # type: ignore[arg-type]

    arg_of: dict[Value, int] = {}

    def ref(v: Value) -> Ref:
        if v._data is None:
            return (step_of[v.recipe], v.out)  # type: ignore[index]
        i = arg_of.get(v)
        if i is None:
            i = arg_of[v] = len(arg_of)
        return (i,)

    wiring = tuple(tuple([ref(v) for v in r.inputs]) for r in steps)
    outputs = tuple([ref(v) for v in targets])
    args = list(arg_of)
    key = (tuple([r.key for r in steps]), wiring, outputs,
           tuple([(v.shape, v.dtype) for v in args]))  # fmt: skip
    fn = compiled_on_repeat(_programs, key, lambda: _program(steps, wiring, outputs))
    arrays = fn(*[v._data for v in args])
    for v, a in zip(targets, arrays):
        v.set_data(a)


def _program(recipes: list[Recipe], wiring: tuple[tuple[Ref, ...], ...],
             outputs: tuple[Ref, ...]) -> Callable[..., tuple[Array, ...]]:  # fmt: skip
    """The recipes as one pure function of the computed values they read. A ref is (i,) for
    argument i, or (j, k) for output k of step j."""
    steps = [(r.call, r.multi_output, refs) for r, refs in zip(recipes, wiring)]

    def program(*args: Array) -> tuple[Array, ...]:
        results: list[tuple[Array, ...]] = []

        def read(ref: Ref) -> Array:
            if len(ref) == 1:
                return args[ref[0]]
            return results[ref[0]][ref[1]]

        for call, multi, refs in steps:
            out = call(*[read(r) for r in refs])
            results.append(tuple(out) if multi else (out,))
        return tuple(read(r) for r in outputs)

    return program


_core.materialize = materialize
