"""Same as `torch.autograd`."""

from __future__ import annotations

from typing import Any

from .._core import (
    enable_grad as enable_grad,
    inference_mode as inference_mode,
    no_grad as no_grad,
    set_grad_enabled as set_grad_enabled,
)
from .._engine import grad as grad
from . import graph as graph


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


__all__ = ["autograd_grad", "enable_grad", "grad", "graph", "inference_mode", "no_grad",
           "set_grad_enabled"]  # fmt: skip
