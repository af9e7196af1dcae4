"""Same as `torch.save` / `torch.load`: pickles of tensors, state dicts and anything holding
them (tensors are stored as numpy arrays with their requires_grad; not torch's zip format)."""

from __future__ import annotations

import os
import pickle
from typing import Any


def save(obj: Any, f: Any, pickle_module: Any = pickle, pickle_protocol: int = 2, **_: Any) -> None:
    """Same as `torch.save(obj, f)`: `f` is a path or a binary file."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle_module.dump(obj, f, protocol=pickle_protocol)


def load(f: Any, map_location: Any = None, pickle_module: Any = pickle, *,
         weights_only: bool | None = None, **_: Any) -> Any:  # fmt: skip
    """Same as `torch.load(f)` for files written by `save` (`map_location` moves tensors)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            obj = pickle_module.load(fh)
    else:
        obj = pickle_module.load(f)
    if map_location is not None:
        obj = _move(obj, map_location)
    return obj


def _move(obj: Any, device: Any) -> Any:
    from ._tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    return obj
