"""Languages of the policies: which file holds which language, and how translations
keep in step with the source text.

`policy/privacy.md` is the source text (the first of `languages`); `policy/privacy.zh.md`
its Chinese translation (the suffix convention of mkdocs-static-i18n). A translation's
front matter names the `version` of the source it translates and has its own `title` and
`summary`; `published` and `effective` come from the source.

A version is published when every language carries it on the built branch, and its
window counts from the moment the last language arrived. A language's duty starts when
the document's translation file first reaches the branch: the versions before it stay in
the source language only (that is how an existing policy takes on a translation), and
`check` fails while a document has no file for a configured language.

Pure: takes file paths and parsed sections, returns groups, lags and differences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from generator.core.errors import LanguageError
from generator.core.sections import Section

DEFAULT_LANGUAGE = "en"
"""The source language when the settings name none (as `generator.settings` does)."""

# A file suffix (lower-cased) that reads as a language tag: two letters, optionally a
# script and a region ("zh", "zh-tw", "zh-hant-tw", "sr-latn"). Three-letter codes count
# only once they are in `languages`, so that `privacy.old.md` stays a document of its own.
_LANGUAGE_LIKE = re.compile(r"[a-z]{2}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?")


@dataclass(frozen=True)
class PolicyFiles:
    """The files of one document: the source text and its translations."""

    document: str
    source: str
    """`policy/<id>.md`: the text in the source language."""
    translations: tuple[tuple[str, str], ...] = ()
    """(language, `policy/<id>.<lang>.md`) of each translation, in the order of `languages`."""


@dataclass(frozen=True)
class Lag:
    """A language that does not carry the source's latest version at the tip."""

    document: str
    language: str
    path: str
    """The translation's file (or where it belongs, when there is none)."""
    version: str
    """The source's latest version."""
    carried: str | None
    """The version the translation carries at the tip; None: there is no such file."""
    source_path: str
    held_back: bool
    """`version` is published in no language until this one carries it."""
    uncommitted: bool = False
    """There is no such file on the branch, but there is one in the working tree."""


def translation_path(source_path: str, language: str) -> str:
    """Where the `language` translation of `policy/<id>.md` lives: `policy/<id>.<lang>.md`."""
    path = PurePosixPath(source_path)
    return str(path.with_name(f"{path.stem}.{language}{path.suffix}"))


def group_files(paths: Iterable[str], languages: Sequence[str]) -> dict[str, PolicyFiles]:
    """The policy files by document id, each translation under its language.

    A file `<id>.<code>.md` is a translation of `<id>.md` when `<code>` is one of
    `languages`, or reads as a language code and `<id>.md` exists. Raises LanguageError
    (unusable input, exit 2) for a language not in `languages`, two files of one
    language, a translation without its source, and a document id that is a language's
    URL prefix."""
    configured = {code.lower(): code for code in languages}
    sources, claims = _sort_files(sorted(paths), configured)
    for doc_id, path in sorted(sources.items()):
        if doc_id.lower() in configured and doc_id.lower() != languages[0].lower():
            raise LanguageError(
                f"document id {doc_id!r} would take the address /{doc_id}/ of the "
                f"{configured[doc_id.lower()]} pages",
                file=path,
                remedy="rename the file (git mv); a language in `languages` cannot be a document id",
            )
    groups = {doc_id: PolicyFiles(doc_id, path) for doc_id, path in sources.items()}
    found: dict[str, dict[str, str]] = {}
    for (base, lowered), files in sorted(claims.items()):
        language = _claimed_language(base, lowered, files, sources.get(base), languages, configured)
        found.setdefault(base, {})[language] = files[0][0]
    for base, by_language in found.items():
        ordered = tuple((code, by_language[code]) for code in languages if code in by_language)
        groups[base] = PolicyFiles(base, groups[base].source, ordered)
    return groups


def _sort_files(
    every: Sequence[str], configured: Mapping[str, str]
) -> tuple[dict[str, str], dict[tuple[str, str], list[tuple[str, str]]]]:
    """The source texts by document id, and the files that claim a language: by
    (document id, lower-case code), each file with its code as written."""
    stems = {PurePosixPath(p).stem for p in every}
    sources: dict[str, str] = {}
    claims: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in every:
        stem = PurePosixPath(path).stem
        base, dot, code = stem.rpartition(".")
        lowered = code.lower()
        claims_language = lowered in configured or (_LANGUAGE_LIKE.fullmatch(lowered) and base in stems)
        if dot and base and claims_language:
            claims.setdefault((base, lowered), []).append((path, code))
        else:
            sources[stem] = path
    return sources, claims


def _claimed_language(
    base: str,
    lowered: str,
    files: Sequence[tuple[str, str]],
    source: str | None,
    languages: Sequence[str],
    configured: Mapping[str, str],
) -> str:
    """The language of the translation `files` claim (those of document `base` whose
    code is `lowered`), as `languages` writes it; a LanguageError unless it is one file,
    of a configured language other than the source's, written as configured, whose
    source text `source` exists."""
    source_language = languages[0]
    path, code = files[0]
    folder = str(PurePosixPath(path).parent)
    expected_source = f"{folder}/{base}.md"
    if len(files) > 1 or (lowered == source_language.lower() and source is not None):
        named = [p for p, _ in files] + ([source] if lowered == source_language.lower() and source else [])
        raise LanguageError(
            f"{len(named)} files claim the {configured.get(lowered, code)} text of {base!r}: "
            + ", ".join(sorted(named)),
            file=path,
            remedy=f"keep one: the source text is {expected_source}, each translation "
            f"{folder}/{base}.<language>.md with the code as written in `languages`; "
            "`git rm` (or `git mv`) the others",
        )
    if lowered not in configured:
        same = [c for c in languages if c.split("-")[0] == lowered.split("-")[0]]
        hint = f" (the {same[0]} translation is {folder}/{base}.{same[0]}.md)" if same else ""
        raise LanguageError(
            f"this looks like the {code!r} translation of {expected_source}, but {code!r} is not "
            f"in `languages` ({', '.join(languages)}){hint}",
            file=path,
            remedy=f"add {code} to `languages` under `plugins: - policy:` in mkdocs.yml, or rename "
            "the file (git mv) if it is a document of its own",
        )
    language = configured[lowered]
    if code != language:
        raise LanguageError(
            f"the language code {code!r} is written {language!r} in `languages`",
            file=path,
            remedy=f"git mv {path} {folder}/{base}.{language}.md",
        )
    if language == source_language:
        raise LanguageError(
            f"the {language} text is the source: it belongs in {expected_source}",
            file=path,
            remedy=f"git mv {path} {expected_source}",
        )
    if source is None:
        raise LanguageError(
            f"the {language} translation of {base!r} has no source text: {expected_source} does not exist",
            file=path,
            remedy=f"commit the source text as {expected_source} in the same pull request "
            "(or, if the document was renamed, `git mv` the translation too)",
        )
    return language


def lag_message(lag: Lag) -> tuple[str, str]:
    """What `check` says about a lagging language, and what to do."""
    if lag.carried is None and lag.uncommitted:
        what = (
            f"{lag.path} is in the working tree but not committed: the branch has no {lag.language} "
            f"translation of {lag.source_path} (version {lag.version})"
        )
    elif lag.carried is None:
        what = f"there is no {lag.language} translation of {lag.source_path} (version {lag.version})"
    else:
        what = (
            f"the {lag.language} translation carries version {lag.carried}, the source "
            f"{lag.source_path} version {lag.version}"
        )
    if lag.held_back:
        what += f": version {lag.version} is published in no language until {lag.path} carries it"
    if lag.carried is None and lag.uncommitted:
        remedy = (
            f"commit it (`git add {lag.path}`) with the front matter `version: "
            f'"{lag.version}"`, its own `title` and `summary`, and merge it in the same pull request as '
            "the source; the publicity window counts from the day the last language reaches the branch"
        )
        return what, remedy
    remedy = (
        f"translate version {lag.version} into {lag.path} (front matter: `version: "
        f'"{lag.version}"`, its own `title` and `summary`) and merge it in the same pull request '
        "as the source; the publicity window counts from the day the last language reaches the branch"
    )
    return what, remedy


def section_differences(source: Sequence[Section], translation: Sequence[Section]) -> list[str]:
    """How a translation's section ids and core-rights marks differ from the source's:
    empty when they agree (the ids are what notices, redlines and anchors link to)."""
    source_ids = [s.id for s in source]
    translated_ids = [s.id for s in translation]
    missing = [i for i in source_ids if i not in translated_ids]
    extra = [i for i in translated_ids if i not in source_ids]
    source_core = {s.id for s in source if s.core_rights}
    translated_core = {s.id for s in translation if s.core_rights}
    shared = set(source_ids) & set(translated_ids)
    unmarked = sorted((source_core - translated_core) & shared, key=source_ids.index)
    marked = sorted((translated_core - source_core) & shared, key=source_ids.index)
    problems = []
    if missing:
        problems.append("missing section ids: " + ", ".join(missing))
    if extra:
        problems.append("section ids the source lacks: " + ", ".join(extra))
    if unmarked:
        problems.append("not marked `.core-rights` as in the source: " + ", ".join(unmarked))
    if marked:
        problems.append("marked `.core-rights` unlike the source: " + ", ".join(marked))
    if not problems and [i for i in translated_ids if i in shared] != [i for i in source_ids if i in shared]:
        problems.append("the sections are in another order: " + ", ".join(translated_ids))
    return problems
