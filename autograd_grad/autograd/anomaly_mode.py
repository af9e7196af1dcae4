"""Same as torch's anomaly mode: `detect_anomaly`, `set_detect_anomaly`.

With it on, dispatch keeps the stack of every recorded op, and backward runs node by node
(See Note [Hooks] in _engine.py, every tensor a stage): the first node (newest first, as
torch's engine runs them) whose gradient has NaNs raises torch's error, after a warning with
the stack of the forward call that made that node.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .. import _core

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class detect_anomaly:  # noqa: N801 - torch's name
    """Same as `torch.autograd.detect_anomaly(check_nan=True)`: a context manager and
    decorator."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _core.anomaly.enabled
        self.check_nan = check_nan
        self.prev_check_nan = _core.anomaly.check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        _core.anomaly.enabled, _core.anomaly.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        _core.anomaly.enabled, _core.anomaly.check_nan = self.prev, self.prev_check_nan

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Same as `torch.autograd.set_detect_anomaly(mode, check_nan=True)`: takes effect at
    once; as a context manager, the previous mode comes back on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = _core.anomaly.enabled
        self.prev_check_nan = _core.anomaly.check_nan
        _core.anomaly.enabled, _core.anomaly.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _core.anomaly.enabled, _core.anomaly.check_nan = self.prev, self.prev_check_nan
