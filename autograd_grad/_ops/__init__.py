"""The op table. Importing this package registers every op in `OPS`."""

# Importing each module registers its ops.
from . import (  # noqa: F401
    conv,
    creation,
    fft,
    index,
    linalg,
    matmul,
    nn,
    pointwise,
    reduce,
    shape,
    special,
    views,
)
from ._table import OPS, OpDef, OpInfoTest, op

__all__ = ["OPS", "OpDef", "OpInfoTest", "op"]
