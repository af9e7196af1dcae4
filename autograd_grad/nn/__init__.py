"""Same as `torch.nn` (functional only, for now)."""

from . import functional as functional
