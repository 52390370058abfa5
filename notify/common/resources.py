"""Where the templates notify renders live: ``site_templates/`` beside the packages (in the
repository, and once installed), one folder per kind (``email/``, ``answers/``)."""

from __future__ import annotations

from pathlib import Path

SITE_TEMPLATES = Path(__file__).resolve().parents[2] / "site_templates"
