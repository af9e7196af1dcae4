"""Linear algebra: `torch.linalg` and torch's decompositions and solvers."""

from __future__ import annotations
