"""The texts users were notified of are the texts the history holds.

The delivery ledger keeps, for every revision it sent a notice of, the sha256 of the
text announced in each language (`notify.ledger.announced_texts`). A history rewritten
after the notices went out (`git filter-branch`, an amended and force-pushed commit)
can keep the version names and dates and change the words: the notices would then be
proof of a text nobody was told about. This rule compares the two.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.core.errors import Violation
from generator.core.history import History

AnnouncedTexts = Mapping[str, Mapping[str, Mapping[str, str]]]
"""Per document id, per version, per language: the sha256 of the text announced. The
language `""` stands for the source language (a ledger from before texts were recorded
per language knows only the source text's hash)."""

RULE = "notified-text-changed"
REMEDY = (
    "restore the announced text (the remote's history or `git reflog`): a published and notified "
    "text is never edited; publish the change as a new version with `policyctl publish`"
)


def announced_text_violations(
    history: History, announced: AnnouncedTexts, source_language: str
) -> list[Violation]:
    """One violation per announced (document, version, language) whose version the
    history holds with another text in that language, or without that language's text.
    A version the history no longer holds is `checks`' rule (notified-version-missing);
    a language the site no longer publishes is not a changed text."""
    problems: list[Violation] = []
    for doc_id, versions in sorted(announced.items()):
        document = history.document(doc_id)
        if document is None:
            continue
        for name, texts in sorted(versions.items()):
            version = document.version(name)
            if version is None:
                continue
            for key, sha256 in sorted(texts.items()):
                language = key or source_language
                if language not in history.languages and language != version.language:
                    continue
                text = version.in_language(language)
                if text is None:
                    problems.append(
                        Violation(
                            RULE,
                            f"users were notified of {doc_id} version {name} in {language} (text sha256 "
                            f"{sha256[:12]}), but the history no longer holds its {language} text",
                            file=version.path,
                            commit=version.short_commit,
                            remedy=REMEDY,
                        )
                    )
                elif text.sha256 != sha256:
                    problems.append(
                        Violation(
                            RULE,
                            f"users were notified of {doc_id} version {name} in {language} with text sha256 "
                            f"{sha256[:12]}, but the history holds it with text sha256 {text.sha256[:12]}: "
                            "the notified text was changed (a rewritten history?)",
                            file=text.path,
                            commit=text.short_commit,
                            remedy=REMEDY,
                        )
                    )
    return problems
