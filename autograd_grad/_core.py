"""Values, nodes and grad mode: the recorded graph, and nothing about JAX transforms.

Note [Values and tensors]: a `Tensor` is a mutable handle; what the graph records
is the immutable `Value` it points to (an array, the `Node` that produced it and
the output index). An in-place op makes a new Value and moves the handle, so the
graph keeps the value each op actually consumed.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Hashable
from typing import Any

import jax

Array = jax.Array


class Recipe:
    """How to compute values that are not computed yet (See Note [Deferred values]):
    `call(*arrays)` computes the op's outputs from the arrays of `inputs`; `key` is its
    structural identity (op and static arguments) for the program cache."""

    __slots__ = ("call", "key", "inputs", "multi_output")

    def __init__(self, call: Callable[..., Any], key: Hashable, inputs: tuple[Value, ...],
                 multi_output: bool) -> None:  # fmt: skip
        self.call = call
        self.key = key
        self.inputs = inputs
        self.multi_output = multi_output


# Set by _lazy.py: computes the pending values given (and every pending value a live Tensor
# points to) in one program. _core knows nothing of JAX transforms.
materialize: Callable[[list[Value]], None]


class Value:
    """One immutable value in the graph: its array, the `node` that produced it (None for
    leaves and constants; torch's grad_fn) and the output `index` there. `requires_grad` is
    fixed for non-leaf values and set by the user (`requires_grad_`) for leaves.

    Note [Deferred values]: the array may not be computed yet. Then `recipe` (output `out`)
    says how, `shape` and `dtype` are known, and reading `data` computes it, together with
    every other pending value a live Tensor points to, as one XLA program (_lazy.py).
    `depth` counts the pending recipes behind the value, to bound programs."""

    __slots__ = ("_data", "shape", "dtype", "recipe", "out", "node", "index", "requires_grad",
                 "depth", "owner", "hooks", "__weakref__")  # fmt: skip

    def __init__(self, data: Array | None, node: Node | None = None, index: int = 0,
                 requires_grad: bool = False) -> None:  # fmt: skip
        self._data = data
        if data is not None:
            self.shape: tuple[int, ...] = data.shape
            self.dtype: Any = data.dtype
        self.recipe: Recipe | None = None
        self.out = 0
        self.node = node
        self.index = index
        self.requires_grad = requires_grad
        self.depth = 0
        # Note [Owners]: the Tensor whose `.grad` backward() fills for this value (a weakref;
        # None for values no Tensor can accumulate into). A leaf keeps its owner when an
        # in-place op under no_grad moves the Tensor to a new value, so graphs recorded
        # before the update still accumulate into it, as torch's AccumulateGrad does.
        self.owner: Any = None
        self.hooks: list[Callable[..., Any]] | None = None  # Tensor.register_hook's

    @classmethod
    def pending(cls, shape: tuple[int, ...], dtype: Any, recipe: Recipe, out: int, depth: int,
                node: Node | None = None, index: int = 0,
                requires_grad: bool = False) -> Value:  # fmt: skip
        v = cls(None, node, index, requires_grad)
        v.shape, v.dtype = shape, dtype
        v.recipe, v.out, v.depth = recipe, out, depth
        return v

    def with_graph(self, node: Node | None = None, index: int = 0,
                   requires_grad: bool = False) -> Value:  # fmt: skip
        """This value's array (computed or not) under another place in the graph."""
        if self._data is not None:
            return Value(self._data, node, index, requires_grad)
        assert self.recipe is not None
        return Value.pending(self.shape, self.dtype, self.recipe, self.out, self.depth, node,
                             index, requires_grad)  # fmt: skip

    @property
    def data(self) -> Array:
        if self._data is None:
            materialize([self])
        assert self._data is not None
        return self._data

    def set_data(self, data: Array) -> None:
        """Fill in a pending value's array; its recipe (and what it holds) can go."""
        self._data = data
        self.recipe = None
        self.depth = 0

    @property
    def is_leaf(self) -> bool:
        return self.node is None


class RemovableHandle:
    """Same as `torch.utils.hooks.RemovableHandle`: `remove()` takes the hook out again."""

    _ids = itertools.count()

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# Set once any tensor hook is registered: until then backward never looks for hooks.
hooks_registered = False


class _Anomaly:
    """torch's anomaly mode (process-wide, as in torch): autograd/anomaly_mode.py."""

    enabled = False
    check_nan = True


anomaly = _Anomaly()


def is_anomaly_enabled() -> bool:
    """Same as `torch.is_anomaly_enabled`."""
    return anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Same as `torch.is_anomaly_check_nan_enabled`."""
    return anomaly.check_nan


_node_ids = itertools.count()


class Node(Recipe):
    """A recorded op application; torch calls it `grad_fn`. It is also the recipe of the
    values it produced (See Note [Deferred values]).

    `call(*arrays)` recomputes the op's outputs from the arrays of `inputs`; `key` is its
    structural identity (op and static arguments) for the trace cache. `saves` says whether
    torch's counterpart keeps tensors for backward, which decides the "backward through the
    graph a second time" error once the node is `freed`. `no_derivative` names the aten op
    of a node torch records as NotImplemented (floor_divide): walking it raises.
    `output_deps[k]` lists the inputs output `k` depends on, where not all of them
    (a recorded vjp); None means every output depends on every input."""

    __slots__ = ("_name", "needs_input_grad", "saves", "freed", "id", "no_derivative",
                 "output_deps", "edges", "_metadata", "stack", "n_outputs", "prehooks",
                 "posthooks", "__weakref__")  # fmt: skip

    def __init__(self, name: str, call: Callable[..., Any], key: Hashable,
                 inputs: tuple[Value, ...], saves: bool, multi_output: bool,
                 no_derivative: str | None = None,
                 output_deps: tuple[frozenset[int], ...] | None = None,
                 edges: tuple[int | None, ...] | None = None) -> None:  # fmt: skip
        self._name = name
        # Note [Edges]: torch's next_functions has one entry per differentiable tensor argument
        # of the aten overload: a Python number torch wraps into a tensor (x * 2) is an entry
        # (None, 0); index and mask tensors are no entry. `edges` lists, per entry, a position
        # in `inputs` (or None for a wrapped number); None means every input, in order.
        self.edges = edges
        super().__init__(call, key, inputs, multi_output)
        # torch records edges only for inputs that required grad when the op ran.
        self.needs_input_grad = tuple(v.requires_grad for v in inputs)
        self.saves = saves
        self.freed = False
        self.id = next(_node_ids)
        self.no_derivative = no_derivative
        self.output_deps = output_deps
        self._metadata: dict[Any, Any] | None = None
        # the forward call's stack, kept in anomaly mode (autograd/anomaly_mode.py)
        self.stack: list[str] | None = None
        if anomaly.enabled:
            self.stack = traceback.format_stack()[:-3]
        self.n_outputs = 1  # dispatch sets it for multi-output ops (prehooks get them all)
        # Node hooks (See Note [Hooks] in _engine.py), None until one is registered.
        self.prehooks: list[Any] | None = None
        self.posthooks: list[Any] | None = None

    def register_prehook(self, hook: Any) -> RemovableHandle:
        """Same as torch's `Node.register_prehook`: `hook(grad_outputs)` runs before this
        node's backward and may return a tuple of replacement grad_outputs."""
        global hooks_registered
        if self.prehooks is None:
            self.prehooks = []
        self.prehooks.append(hook)
        hooks_registered = True
        return RemovableHandle(self.prehooks, hook)

    def register_hook(self, hook: Any) -> RemovableHandle:
        """Same as torch's `Node.register_hook`: `hook(grad_inputs, grad_outputs)` runs after
        this node's backward and may return a tuple of replacement grad_inputs (one per
        `next_functions` entry)."""
        global hooks_registered
        if self.posthooks is None:
            self.posthooks = []
        self.posthooks.append(hook)
        hooks_registered = True
        return RemovableHandle(self.posthooks, hook)

    @property
    def metadata(self) -> dict[Any, Any]:
        """Same as torch's `Node.metadata`: a dict of the user's, kept with the node."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        out: list[tuple[Any, int]] = []
        slots = range(len(self.inputs)) if self.edges is None else self.edges
        for k in slots:
            if k is None or not self.needs_input_grad[k]:
                out.append((None, 0))
                continue
            v = self.inputs[k]
            if v.node is None:
                out.append((accumulate_grad(v), 0))
            else:
                out.append((v.node, v.index))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node torch shows for a leaf that requires grad (in `next_functions`)."""

    __slots__ = ("value",)

    def __init__(self, value: Value) -> None:
        self.value = value

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


_accumulators: weakref.WeakKeyDictionary[Value, AccumulateGrad] = weakref.WeakKeyDictionary()


def accumulate_grad(v: Value) -> AccumulateGrad:
    """The leaf's AccumulateGrad node: one object per leaf, as torch keeps one while in use."""
    acc = _accumulators.get(v)
    if acc is None:
        acc = _accumulators[v] = AccumulateGrad(v)
    return acc


# --- grad mode (thread-local, as in torch) ---------------------------------

class _GradMode(threading.local):
    enabled: bool = True
    inference: bool = False


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Same as `torch.is_grad_enabled`."""
    return _mode.enabled


def is_inference_mode_enabled() -> bool:
    """Same as `torch.is_inference_mode_enabled`."""
    return _mode.inference


class _ModeContext:
    """A context manager that is also a decorator, like torch's `_DecoratorContextManager`:
    a decorated function (or generator, step by step) runs under a fresh copy of the mode."""

    def _enter(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._saved = (_mode.enabled, _mode.inference)
        self._enter()

    def __exit__(self, *exc: object) -> None:
        _mode.enabled, _mode.inference = self._saved

    def clone(self) -> _ModeContext:
        return self.__class__()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        factory = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(factory, fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with factory():
                return fn(*args, **kwargs)

        return wrapper


def _wrap_generator(factory: Callable[[], _ModeContext],
                    fn: Callable[..., Any]) -> Callable[..., Any]:  # fmt: skip
    """torch/utils/_contextlib.py `_wrap_generator`: every resume of the generator runs under
    the mode, and the caller's own mode holds between resumes."""

    @functools.wraps(fn)
    def generator_context(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)
        try:
            with factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with factory():
                        gen.close()
                    raise
                except BaseException:
                    with factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


class _NoParamModeContext(_ModeContext):
    """Also usable as a bare decorator (`@no_grad`), as torch's
    `_NoParamDecoratorContextManager`."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamModeContext):  # noqa: N801
    """Same as `torch.no_grad`."""

    def _enter(self) -> None:
        _mode.enabled = False


class enable_grad(_NoParamModeContext):  # noqa: N801
    """Same as `torch.enable_grad`."""

    def _enter(self) -> None:
        _mode.enabled = True


class set_grad_enabled(_ModeContext):  # noqa: N801
    """Same as `torch.set_grad_enabled`: takes effect at once, and works as a context manager
    (restoring the mode from before the call) and as a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved = (_mode.enabled, _mode.inference)
        _mode.enabled = self.mode

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        # torch: decorating undoes the immediate effect; the mode holds inside calls only.
        _mode.enabled, _mode.inference = self._saved
        return super().__call__(fn)

    def _enter(self) -> None:
        _mode.enabled = self.mode

    def __enter__(self) -> None:
        self._enter()

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)


class inference_mode(_ModeContext):  # noqa: N801
    """Same as `torch.inference_mode`. `mode=False` turns grad recording back on (torch's
    `InferenceMode(false)` sets grad mode); `@inference_mode` works bare or called."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def _enter(self) -> None:
        _mode.enabled = not self.mode
        _mode.inference = self.mode

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
