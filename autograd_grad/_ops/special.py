"""Special functions (`torch.special`) and the rest of torch's elementwise math."""

from __future__ import annotations
