"""Same as `torch.autograd.graph`: gradient edges and graph nodes."""

from __future__ import annotations

from typing import Any

from .._core import AccumulateGrad, Node


class GradientEdge(tuple):  # type: ignore[type-arg]
    """Same as `torch.autograd.graph.GradientEdge`: the pair (node, output_nr), usable as an
    output or input of `autograd.grad`. It also carries the value it stands for."""

    _value: Any  # the Value of the tensor the edge was taken from

    def __new__(cls, node: Any, output_nr: int, value: Any = None) -> GradientEdge:
        edge = super().__new__(cls, (node, output_nr))
        edge._value = value
        return edge

    @property
    def node(self) -> Any:
        return self[0]

    @property
    def output_nr(self) -> int:
        return self[1]

    def __repr__(self) -> str:
        return f"GradientEdge(node={self.node!r}, output_nr={self.output_nr})"


def get_gradient_edge(tensor: Any) -> GradientEdge:
    """Same as `torch.autograd.graph.get_gradient_edge`."""
    v = tensor._value
    if v.node is None:
        if not v.requires_grad:
            raise RuntimeError(
                "It is not possible to get the gradient edge for a Tensor that does not require "
                "gradients")
        return GradientEdge(AccumulateGrad(v), 0, v)
    return GradientEdge(v.node, v.index, v)


__all__ = ["GradientEdge", "Node", "get_gradient_edge"]
