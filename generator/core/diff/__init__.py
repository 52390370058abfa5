"""A section-aware, word-level redline between two versions of a policy (`render`)."""

from __future__ import annotations

from generator.core.diff.render import (
    Redline,
    SectionRedline,
    SectionStatus,
    redline,
    redline_markdown,
)

__all__ = [
    "Redline",
    "SectionRedline",
    "SectionStatus",
    "redline",
    "redline_markdown",
]
