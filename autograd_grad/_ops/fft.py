"""Fourier transforms (`torch.fft`) and complex views."""

from __future__ import annotations
