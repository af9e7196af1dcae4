"""Same as `torch.fft`; functions generated from the op table."""

from ._bind import NAMESPACES

globals().update(NAMESPACES["fft"])
