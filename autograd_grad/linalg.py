"""Same as `torch.linalg`; functions generated from the op table."""

from ._bind import NAMESPACES

globals().update(NAMESPACES["linalg"])
