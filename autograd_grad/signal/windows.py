"""Same as `torch.signal.windows`; functions generated from the op table."""

from .._bind import NAMESPACES

globals().update(NAMESPACES["signal.windows"])
