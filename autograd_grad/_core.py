"""Values, nodes and grad mode: the recorded graph, and nothing about JAX transforms.

Note [Values and tensors]: a `Tensor` is a mutable handle; what the graph records
is the immutable `Value` it points to (an array, the `Node` that produced it and
the output index). An in-place op makes a new Value and moves the handle, so the
graph keeps the value each op actually consumed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
from typing import Any

import jax

Array = jax.Array


class Value:
    """One immutable value in the graph: `data`, the producing `node` (None for leaves and
    constants) and its output `index`. `requires_grad` is fixed for non-leaf values and
    set by the user (`requires_grad_`) for leaves."""

    __slots__ = ("data", "node", "index", "requires_grad", "__weakref__")

    def __init__(self, data: Array, node: Node | None = None, index: int = 0,
                 requires_grad: bool = False) -> None:  # fmt: skip
        self.data = data
        self.node = node
        self.index = index
        self.requires_grad = requires_grad

    @property
    def is_leaf(self) -> bool:
        return self.node is None


_node_ids = itertools.count()


class Node:
    """A recorded op application; torch calls it `grad_fn`.

    `call(*arrays)` recomputes the op's outputs from the arrays of `inputs`; `key` is its
    structural identity (op and static arguments) for the trace cache. `saves` says whether
    torch's counterpart keeps tensors for backward, which decides the "backward through the
    graph a second time" error once the node is `freed`."""

    __slots__ = ("_name", "call", "key", "inputs", "needs_input_grad", "saves", "multi_output",
                 "freed", "id", "__weakref__")  # fmt: skip

    def __init__(self, name: str, call: Callable[..., Any], key: Hashable,
                 inputs: tuple[Value, ...], saves: bool, multi_output: bool) -> None:  # fmt: skip
        self._name = name
        self.call = call
        self.key = key
        self.inputs = inputs
        # torch records edges only for inputs that required grad when the op ran.
        self.needs_input_grad = tuple(v.requires_grad for v in inputs)
        self.saves = saves
        self.multi_output = multi_output
        self.freed = False
        self.id = next(_node_ids)

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        out: list[tuple[Any, int]] = []
        for v, needed in zip(self.inputs, self.needs_input_grad):
            if not needed:
                out.append((None, 0))
            elif v.node is None:
                out.append((AccumulateGrad(v), 0))
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
        return f"<AccumulateGrad object at {hex(id(self.value))}>"


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
    """A context manager that is also a decorator, like torch's grad-mode classes."""

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
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_ModeContext):  # noqa: N801
    """Same as `torch.no_grad`."""

    def _enter(self) -> None:
        _mode.enabled = False


class enable_grad(_ModeContext):  # noqa: N801
    """Same as `torch.enable_grad`."""

    def _enter(self) -> None:
        _mode.enabled = True


class set_grad_enabled(_ModeContext):  # noqa: N801
    """Same as `torch.set_grad_enabled`: takes effect at once, and works as a context manager."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved = (_mode.enabled, _mode.inference)
        _mode.enabled = self.mode

    def _enter(self) -> None:
        _mode.enabled = self.mode

    def __enter__(self) -> None:
        self._enter()

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)


class inference_mode(_ModeContext):  # noqa: N801
    """Same as `torch.inference_mode` (grad recording off; tensors made inside are inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def _enter(self) -> None:
        if self.mode:
            _mode.enabled = False
            _mode.inference = True

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:  # type: ignore[override]
        if isinstance(fn, bool):  # @inference_mode(False) style goes through __init__
            return inference_mode(fn)  # type: ignore[return-value]
        return super().__call__(fn)
