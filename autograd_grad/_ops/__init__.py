"""The op table. Importing this package registers every op in `OPS`."""

from . import conv, matmul, nn, pointwise, reduce, shape  # noqa: F401  (registration)
from ._table import OPS, OpDef, OpInfoTest, op

__all__ = ["OPS", "OpDef", "OpInfoTest", "op"]
