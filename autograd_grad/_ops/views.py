"""Reading a view from its base and writing it back: See Note [Views] in _views.py."""

from __future__ import annotations

from typing import Any

import jax

from .. import _views
from ._table import op

Array = jax.Array


@op("_read_view", grad_fn="AsStridedBackward0", saves=False, method=False, namespaces=(),
    opinfo=None, out=False)  # fmt: skip
def read_view(base: Array, *, steps: tuple[Any, ...]) -> Array:
    return _views.apply_steps(base, steps)


@op("_write_view", grad_fn="torch::autograd::CopySlices", saves=False, method=False,
    namespaces=(), opinfo=None, out=False)  # fmt: skip
def write_view(base: Array, src: Array, *, steps: tuple[Any, ...]) -> Array:
    idx = _views.index_map(tuple(base.shape), steps).reshape(-1)
    flat = base.reshape(-1).at[idx].set(src.reshape(-1).astype(base.dtype))
    return flat.reshape(base.shape)
