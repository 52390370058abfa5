"""The history of a policy document: its published versions and the rules they keep
(`generator.core.history.assembly`)."""

from generator.core.history.assembly import (
    DRAFT_SUFFIX,
    Document,
    DocumentHistory,
    History,
    Version,
    build_document,
    decode,
    default_title,
)

__all__ = [
    "DRAFT_SUFFIX",
    "Document",
    "DocumentHistory",
    "History",
    "Version",
    "build_document",
    "decode",
    "default_title",
]
