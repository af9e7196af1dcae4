"""Notebook tools: the recorded autograd graph as SVG, and the jaxpr behind a tensor.

    >>> import autograd_grad as torch
    >>> x = torch.ones(3, requires_grad=True)
    >>> svg = torch.viz.graph((x.exp() * 2).sum())   # shows itself in Jupyter
    >>> print(torch.viz.explain((x.exp() * 2).sum()))  # doctest: +ELLIPSIS
    { lambda ; a:f32[3]. let ...

`graph` needs no Graphviz: it lays the nodes out in rows by depth and writes SVG itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import jax

from ._bridge import jax_function
from ._core import AccumulateGrad
from ._tensor import Tensor
from ._trace import behind, collect

__all__ = ["SVG", "explain", "graph"]

_BOX_H, _ROW_H, _CHAR_W, _PAD, _GAP = 26, 60, 7.2, 10, 16


class SVG:
    """An SVG picture: shown by Jupyter (`_repr_svg_`), `str()` is its text, `save(path)`."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_svg_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.text)


def _label(node: Any) -> str:
    if isinstance(node, AccumulateGrad):
        return f"AccumulateGrad {tuple(node.value.shape)}"
    return node.name()


def graph(tensor: Tensor) -> SVG:
    """The autograd graph behind `tensor`: its `grad_fn` at the top, then `next_functions`
    down to the leaves' AccumulateGrad nodes, named as torch names them."""
    root = tensor.grad_fn
    if root is None:
        raise ValueError("graph(): the tensor has no grad_fn (it is a leaf or does not require "
                         "grad), so there is no graph to draw.")  # fmt: skip
    # Rows by longest distance from the root, so every edge points down.
    depth: dict[int, int] = {id(root): 0}
    nodes: dict[int, Any] = {id(root): root}
    edges: set[tuple[int, int]] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges.add((id(node), id(child)))  # AccumulateGrad objects are one per leaf
            if depth.get(id(child), -1) < depth[id(node)] + 1:
                nodes[id(child)] = child
                depth[id(child)] = depth[id(node)] + 1
                todo.append(child)
    rows: dict[int, list[int]] = {}
    for key, d in depth.items():
        rows.setdefault(d, []).append(key)
    boxes: dict[int, tuple[float, float, float]] = {}  # key -> (x, y, width)
    width = 0.0
    for d in sorted(rows):
        x = float(_PAD)
        for key in rows[d]:
            w = len(_label(nodes[key])) * _CHAR_W + 2 * _PAD
            boxes[key] = (x, _PAD + d * _ROW_H, w)
            x += w + _GAP
        width = max(width, x)
    height = _PAD * 2 + (max(rows) + 1) * _ROW_H - (_ROW_H - _BOX_H)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             'font-family="monospace" font-size="12">']  # fmt: skip
    for a, b in sorted(edges):
        xa, ya, wa = boxes[a]
        xb, yb, wb = boxes[b]
        parts.append(f'<line x1="{xa + wa / 2:.1f}" y1="{ya + _BOX_H}" x2="{xb + wb / 2:.1f}" '
                     f'y2="{yb}" stroke="#888"/>')  # fmt: skip
    for key, (x, y, w) in boxes.items():
        fill = "#dfe9f5" if isinstance(nodes[key], AccumulateGrad) else "#fdf1d6"
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_BOX_H}" rx="4" '
                     f'fill="{fill}" stroke="#555"/>')  # fmt: skip
        parts.append(f'<text x="{x + _PAD:.1f}" y="{y + 17}">'
                     f"{html.escape(_label(nodes[key]))}</text>")  # fmt: skip
    parts.append("</svg>")
    return SVG("\n".join(parts))


class Jaxpr:
    """A jaxpr, printed as JAX prints it; `.jaxpr` is the ClosedJaxpr itself."""

    def __init__(self, closed: Any) -> None:
        self.jaxpr = closed

    def __str__(self) -> str:
        return str(self.jaxpr)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self.jaxpr))}</pre>"


def explain(fn_or_tensor: Tensor | Callable[..., Any], *args: Any, **kwargs: Any) -> Jaxpr:
    """The jaxpr the facade traced: for a tensor, the recorded ops that compute it from the
    leaves behind it; for a torch-style function, `jax_function(fn)` traced at `args`."""
    if isinstance(fn_or_tensor, Tensor):
        value = fn_or_tensor._value
        leaves = [v for v in behind([value]) if v.node is None and v.requires_grad]
        sub = collect([value], leaves)
        program = sub.program

        def computed(*arrays: Any) -> Any:
            inputs, consts = arrays[:len(leaves)], arrays[len(leaves):]
            return program.run(inputs, consts, inputs, [None] * len(leaves))[0]

        arrays = [v.data for v in leaves] + [v.data for v in sub.consts]
        return Jaxpr(jax.make_jaxpr(computed)(*arrays))
    return Jaxpr(jax.make_jaxpr(jax_function(fn_or_tensor))(*args, **kwargs))
