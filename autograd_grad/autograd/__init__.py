"""Same as `torch.autograd`."""

from __future__ import annotations

from typing import Any

from .._core import (
    enable_grad as enable_grad,
    inference_mode as inference_mode,
    no_grad as no_grad,
    set_grad_enabled as set_grad_enabled,
)
from .._core import _mode
from .._engine import backward as backward, grad as grad
from . import function as function, functional as functional, graph as graph
from .anomaly_mode import detect_anomaly as detect_anomaly, set_detect_anomaly as set_detect_anomaly
from .gradcheck import gradcheck as gradcheck, gradgradcheck as gradgradcheck
from .function import Function as Function, autograd_function as autograd_function


def autograd_grad(outputs: Any, inputs: Any, grad_outputs: Any = None,
                  retain_graph: bool | None = None, create_graph: bool = False,
                  allow_unused: bool = False) -> Any:  # fmt: skip
    """R torch's `autograd_grad()`, with R's defaults: `retain_graph = create_graph`,
    `allow_unused = FALSE`. Returns a list (here: a tuple) of gradients.

    >>> import autograd_grad as torch
    >>> w = torch.tensor([0.5], requires_grad=True)
    >>> torch.autograd_grad((w * w).sum(), w)
    (tensor([1.]),)
    """
    if retain_graph is None:
        retain_graph = create_graph
    return grad(outputs, inputs, grad_outputs=grad_outputs, retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=allow_unused)  # fmt: skip


def autograd_backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
                      create_graph: bool = False, inputs: Any = None) -> None:  # fmt: skip
    """R torch's `autograd_backward()`, with R's default `retain_graph = create_graph`.

    >>> import autograd_grad as torch
    >>> w = torch.tensor([0.5], requires_grad=True)
    >>> torch.autograd_backward([(w * w).sum()])
    >>> w.grad
    tensor([1.])
    """
    if retain_graph is None:
        retain_graph = create_graph
    backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs)


class _RScope:
    """R torch's `with_no_grad(code)` / `with_enable_grad(code)`: `code` is a function run
    under the mode (its result is returned); called without it, a context manager."""

    def __init__(self, mode: type[no_grad] | type[enable_grad], name: str) -> None:
        self.mode = mode
        self.__name__ = name

    def __call__(self, code: Any = None) -> Any:
        if code is None:
            return self.mode()
        with self.mode():
            return code()


with_no_grad = _RScope(no_grad, "with_no_grad")
with_enable_grad = _RScope(enable_grad, "with_enable_grad")


def autograd_set_grad_mode(enabled: bool) -> None:
    """R torch's `autograd_set_grad_mode(enabled)`: turns grad recording on or off."""
    _mode.enabled = bool(enabled)


__all__ = ["Function", "autograd_backward", "autograd_function", "autograd_grad",
           "autograd_set_grad_mode", "backward", "detect_anomaly", "enable_grad", "functional",
           "grad", "gradcheck", "gradgradcheck", "graph", "inference_mode", "no_grad",
           "set_detect_anomaly", "set_grad_enabled", "with_enable_grad",
           "with_no_grad"]  # fmt: skip
