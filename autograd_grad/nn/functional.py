"""Same as `torch.nn.functional`; functions generated from the op table."""

from .._bind import NAMESPACES

globals().update(NAMESPACES["nn.functional"])
globals().update({name: NAMESPACES["torch"][name] for name in ("relu", "sigmoid", "tanh")})
