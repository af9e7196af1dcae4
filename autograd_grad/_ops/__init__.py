"""The op table. Importing this package registers every op in `OPS`."""

# Importing each module registers its ops.
from . import conv, fft, index, linalg, matmul, nn, pointwise, reduce, shape, special  # noqa: F401
from ._table import OPS, OpDef, OpInfoTest, op

__all__ = ["OPS", "OpDef", "OpInfoTest", "op"]
