"""Same as `torch.utils` (the `data` part)."""

from . import data as data
