"""The governing version as JSON: one shape for `policyctl applies` (``--json``, ``--csv``)
and the answer service's ``GET /api/applies``."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from notify.answers.rule import Governing


def governing_json(result: Governing, zone: tzinfo | None) -> dict[str, Any]:
    """{"document", "user", "version", "since", "because"}: instants in ``zone``."""
    because = result.because
    return {
        "document": result.document,
        "user": result.user,
        "version": result.version,
        "since": result.since.astimezone(zone).isoformat() if result.since else None,
        "because": None
        if because is None
        else {
            "answer": because.answer,
            "version": because.version,
            "at": because.at.astimezone(zone).isoformat(),
        },
    }
