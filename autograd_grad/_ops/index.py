"""Indexing, scatter and gather, searching, counting and statistics."""

from __future__ import annotations
