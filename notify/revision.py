"""The revision the generator asks us to announce (the contract with the generator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Revision:
    document: str  # document id / URL slug, e.g. "privacy"
    title: str  # "Privacy Policy"
    version: str  # "2.0"
    sha256: str  # of the policy file bytes of that version
    published: datetime  # timezone-aware
    effective: datetime  # timezone-aware (operator's zone)
    summary: str
    core_sections: tuple[tuple[str, str], ...]  # (section id, title) of changed core-rights sections
    url: str  # absolute URL of the new version text
    changes_url: str  # absolute URL of the redline
    rights_url: str  # absolute URL of the user-rights section (how to object / withdraw consent)
    late: bool = False  # already in effect (sent with --late)
    answer_url: str = ""  # the answer page (`answer_url` setting); "" when notices carry no answer link
    answer_expires: datetime | None = None  # when the personal answer links stop working

    @property
    def key(self) -> str:
        return f"{self.document}@{self.version}"

    def core_section_records(self) -> list[dict[str, str]]:
        """The changed core-rights sections as notices list them (e-mail templates, webhook body)."""
        return [{"id": sid, "title": title} for sid, title in self.core_sections]
