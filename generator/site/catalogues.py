"""The site's own words as gettext catalogues (domain `site`), read through Babel.

```
site_templates/locale/site.pot                  the template: every word the site writes
site_templates/locale/<tag>/LC_MESSAGES/site.po  our translations (zh, fr, ar)
<repo>/locale/<tag>/LC_MESSAGES/site.po          the operator's: a language of their own,
                                                 or their wording of one of ours
```

Each message's `msgctxt` is the key the code and the templates say (`banner_text`), its
`msgid` the English words, which are the site's English: the template is the English
catalogue, and a `.po` translates it. A message with a `msgid_plural` is said with a
count (`Words.plural_text`), in as many forms as the language's `Plural-Forms` has.

A catalogue is read with `babel.messages.pofile.read_po` and compiled in memory with
`babel.messages.mofile.write_mo` into the standard library's `gettext.GNUTranslations`,
so that it is looked up as gettext does: by context and English words (a translation of
words the template no longer has is not used: English shows until it is updated), fuzzy
entries left out, plural forms by the catalogue's rule. Nobody runs a build step.

A catalogue's folder is named by the language's tag as `languages:` writes it (`fr`,
`zh-Hant-TW`; `zh_Hant_TW` is read too). A translation may leave out a `{placeholder}` of
its English words but never name one they do not have (`CatalogueError`).
"""

from __future__ import annotations

import functools
import io
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from generator.core.errors import PolicyError
from generator.core.tags import tag_problem

DOMAIN = "site"
SHIPPED = Path(__file__).resolve().parents[2] / "site_templates" / "locale"
"""Our catalogues and the template (site_templates/ is shipped in the wheel)."""
OPERATOR_FOLDER = "locale"
"""The operator's catalogues: `<repo>/locale/<tag>/LC_MESSAGES/site.po`."""
TEMPLATE_LANGUAGE = "en"
"""The language of the template's msgids: the English catalogue."""


class CatalogueError(PolicyError):
    """A catalogue that cannot be used as it is; the message says which entry and why."""


@dataclass(frozen=True)
class Template:
    """The template (`site.pot`): each key's English words."""

    words: Mapping[str, str]
    """Key -> English, for the words said without a count."""
    plurals: Mapping[str, tuple[str, str]]
    """Key -> (English singular, English plural), for the words said with a count."""


@functools.cache
def shipped() -> Catalogues:
    """Our catalogues alone."""
    return Catalogues.in_folders((SHIPPED,))


@functools.cache
def template(path: Path = SHIPPED / f"{DOMAIN}.pot") -> Template:
    """The template's words (read once)."""
    catalog = _read(path)
    words: dict[str, str] = {}
    plurals: dict[str, tuple[str, str]] = {}
    for message in catalog:
        if not message.id or message.context is None:
            continue
        if isinstance(message.id, tuple | list):
            plurals[message.context] = (str(message.id[0]), str(message.id[1]))
        else:
            words[message.context] = str(message.id)
    return Template(words, plurals)


@dataclass(frozen=True)
class Compiled:
    """One `.po` file, compiled."""

    mo: bytes
    """Its `.mo` form (each chain of catalogues reads its own `GNUTranslations` of it)."""
    stale: tuple[str, ...]
    """Keys it translates from English words the template no longer has (not used)."""


@dataclass(frozen=True)
class Catalogues:
    """A site's catalogues: for each language tag its `.po` files, the first winning
    entry by entry (the operator's, then ours). Equal only when the files are the same
    and unchanged, so that words made from them are remembered no longer than that."""

    files: Mapping[str, tuple[Path, ...]]
    """Tag -> its `.po` files, the winning one first."""
    stamps: tuple[tuple[int, int], ...] = ()
    """The files' modification times and sizes, in order."""

    @classmethod
    def in_folders(cls, folders: Iterable[Path]) -> Catalogues:
        """The catalogues found in `folders`, the first folder's winning."""
        found: dict[str, list[Path]] = {}
        for folder in folders:
            for tag, path in _catalogue_files(folder):
                found.setdefault(tag, []).append(path)
        files = {tag: tuple(paths) for tag, paths in sorted(found.items())}
        stamps = tuple((s.st_mtime_ns, s.st_size) for p in files.values() for s in (q.stat() for q in p))
        return cls(files, stamps)

    @classmethod
    def of_repository(cls, repo: Path) -> Catalogues:
        """The operator's catalogues of `repo` (`<repo>/locale/`), over ours."""
        return cls.in_folders((repo / OPERATOR_FOLDER, SHIPPED))

    def __hash__(self) -> int:
        return hash((tuple(self.files.items()), self.stamps))

    @property
    def tags(self) -> frozenset[str]:
        """The languages that have words: each with a catalogue, and English (the template)."""
        return frozenset(self.files) | {TEMPLATE_LANGUAGE}

    def chain(self, tags: Iterable[str]) -> NullTranslations:
        """The catalogues of `tags` as one gettext chain, the first tag's winning (the
        operator's before ours for each); what none has is its English words."""
        chain: NullTranslations = NullTranslations()
        for path in (p for tag in tags for p in self.files.get(tag, ())):
            chain.add_fallback(GNUTranslations(io.BytesIO(compiled(path).mo)))
        return chain

    def problems(self) -> list[str]:
        """What to tell the operator about their catalogues (read, and checked against
        the template): the entries that translate English words the template no longer
        has. `CatalogueError` for one that cannot be used."""
        said = []
        for paths in self.files.values():
            for path in paths:
                stale = compiled(path).stale
                if stale and not path.is_relative_to(SHIPPED):
                    said.append(
                        f"{path}: {len(stale)} entries translate English words that have changed "
                        f"({', '.join(stale[:5])}{', ...' if len(stale) > 5 else ''}); their English is "
                        "shown until they are updated\n  -> pybabel update -D site -i "
                        f"{SHIPPED / (DOMAIN + '.pot')} -d {path.parents[2]}, then translate the entries "
                        "marked fuzzy"
                    )
        return said


def _catalogue_files(folder: Path) -> Iterable[tuple[str, Path]]:
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        path = child / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            tag = child.name.replace("_", "-")
            problem = tag_problem(tag)
            if problem is not None:
                raise CatalogueError(
                    f"a catalogue's folder is not named by a language tag: {problem}",
                    file=str(path),
                    remedy="name the folder by the tag as `languages:` writes it (fr, zh-Hant-TW)",
                )
            yield tag, path


def compiled(path: Path) -> Compiled:
    """The `.po` file at `path`, compiled (again when it changed: `serve` rebuilds)."""
    stat = path.stat()
    return _compiled(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _compiled(path: Path, mtime: int, size: int) -> Compiled:
    catalog = _read(path)
    english = template()
    stale = []
    for message in catalog:
        key = message.context
        if not message.id or not message.string or key is None:
            continue
        expected = english.plurals.get(key) or english.words.get(key)
        if expected is None:
            continue  # a key the template does not have: never looked up
        if (tuple(message.id) if isinstance(message.id, tuple | list) else message.id) != expected:
            stale.append(key)
            continue
        _check_placeholders(path, key, message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return Compiled(buffer.getvalue(), tuple(stale))


def _read(path: Path) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, domain=DOMAIN, abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as error:
        raise CatalogueError(
            f"cannot read the catalogue: {error}",
            file=str(path),
            remedy="check it with `msgfmt --check` (a .po file, UTF-8)",
        ) from None


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of `text`."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"{"}


def _check_placeholders(path: Path, key: str, english: object, translated: object) -> None:
    sources = english if isinstance(english, tuple | list) else (english,)
    targets = translated if isinstance(translated, tuple | list) else (translated,)
    allowed = set().union(*(placeholders(str(s)) for s in sources))
    for target in targets:
        unknown = placeholders(str(target)) - allowed
        if unknown:
            raise CatalogueError(
                f"the translation of {key!r} says {', '.join(sorted('{' + u + '}' for u in unknown))}, "
                f"which its English words do not have ({', '.join(sorted('{' + a + '}' for a in allowed)) or 'none'})",
                file=str(path),
                remedy="keep only the English words' placeholders (a literal brace is written {{ or }})",
            )
