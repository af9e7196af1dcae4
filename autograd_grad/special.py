"""Same as `torch.special`; functions generated from the op table."""

from ._bind import NAMESPACES

globals().update(NAMESPACES["special"])
