"""A PDF of each published version (`pdf: true`), printed by headless Chromium from the
version's built page, with the page's print styles (assets/policy.css): the document,
the version, its publication date and its permanent address on paper, link addresses
after links.

The PDF sits beside the page (`urls.version_pdf`), is linked from it, and is listed in
versions.json with its sha256, which the publication log records: a version's PDF never
changes once made. Therefore:

- it is printed not from the live page, which says what the version is at the build
  instant (status, callouts, "in force until", the banner), but from a copy of it
  (`print_copy`) that keeps of the page's own parts only what is fixed at publication:
  the title, and the header's `policy-fixed` parts (version, publication date, permanent
  address). The policy text (after the `policy-text-start` marker of
  pages/version.md.j2) is kept whole. The copy has no script and asks nothing of the
  network (a web font that loads on one build and not on the next would change the
  bytes), and its links lead to the permanent addresses, never to the folder it was
  printed in;
- it is printed by `generator.site.printer`, which shows Chromium the copy at the page's
  address and answers every other request from the site's own files or refuses it: what
  a policy's images ask for on another host, on the build machine's network or its disk
  is never loaded (the PDF shows the image's alt text, and the build warns);
- Chromium stamps the time of printing into the file: that stamp is replaced by the
  version's publication instant (`_stamp`), so the same copy prints to the same bytes
  (on one machine: tested with Chromium 156, tests/test_pdf_immutable.py);
- a PDF that the previous build of the site made is reused byte for byte (`previous`):
  a newer Chromium, or other fonts on the machine, would print the same copy to other
  bytes. Not reused: a PDF whose bytes are not those the previous versions.json lists, one
  at another address (`site_url` changed), and one that a release before the copy printed
  from the live page (it says what the version was that day): each is printed again.

Chromium is needed only with `pdf: true`: `require_chromium` says so before a build starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from generator.core import tags, urls
from generator.core.errors import PolicyError
from generator.site.model import SiteModel
from generator.site.printer import Printer

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
CHROMIUM_ENV = "POLICYCTL_CHROMIUM"
"""An explicit Chromium (or Chrome) executable, when it is not on PATH under its usual names."""
TEXT_START = "policy-text-start"
"""The class of the element after which a version page's policy text starts (version.md.j2)."""
FIXED = "policy-fixed"
"""The class of the parts of a page header that are fixed at publication (_macros.j2)."""

_FROM_LIVE_PAGE = b"/URI (file:"
"""In a PDF printed from the live page (before `print_copy`), the link of its permanent address."""
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def find_chromium() -> str | None:
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return shutil.which(explicit)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium(config_file: Path | None) -> str:
    """The Chromium that prints the PDFs, or an error that says how to get one."""
    found = find_chromium()
    if found is None:
        where = os.environ.get(CHROMIUM_ENV)
        raise PolicyError(
            "pdf: true needs Chromium to print each version's PDF, and "
            + (f"{CHROMIUM_ENV}={where} is not an executable" if where else "none was found on PATH"),
            file=str(config_file) if config_file else "mkdocs.yml",
            remedy="install Chromium (Debian: apt-get install chromium), set "
            f"{CHROMIUM_ENV} to its executable, or set pdf: false under the policy plugin",
        )
    return found


# fontconfig's Chinese orthographies are named by region (zh-cn, zh-tw, ...), not by script.
_CHINESE_BY_SCRIPT = {"Hans": "cn", "Hant": "tw"}


def fontconfig_lang(tag: str) -> str:
    """``tag`` as fontconfig names a language's orthography: the language and region,
    lower-case, without a script (``zh-Hant-TW`` -> ``zh-tw``, ``sr-Latn`` -> ``sr``,
    ``pt-BR`` -> ``pt-br``, ``es-419`` -> ``es``); Chinese without a region by its script (``zh-Hant`` ->
    ``zh-tw``, ``zh`` -> ``zh-cn``)."""
    language, _, rest = tag.partition("-")
    parts = rest.split("-") if rest else []
    # A two-letter region (fontconfig has no orthography of a numeric one such as 419).
    region = next((p for p in parts if len(p) == 2 and p.isalpha()), "")
    if language.lower() == "zh" and not region:
        region = _CHINESE_BY_SCRIPT.get(tags.script(tag) or "", "cn")
    return f"{language}-{region}".lower() if region else language.lower()


def languages_without_a_font(languages: Iterable[str]) -> list[str]:
    """The site's languages whose characters no installed font covers, as fontconfig
    (`fc-list :lang=<code>`) sees it: Chromium would print them as empty boxes. Empty
    when fontconfig is not there to ask."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    missing = []
    for language in languages:
        try:
            found = subprocess.run(
                [fc_list, f":lang={fontconfig_lang(language)}", "family"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        if found.returncode == 0 and not found.stdout.strip():
            missing.append(language)
    return missing


def _stamp(pdf: bytes, instant: dt.datetime) -> bytes:
    """The PDF with its creation and modification dates set to `instant` (same length:
    the cross-reference offsets stay right)."""
    stamp = instant.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S").encode()

    def replace(match: re.Match[bytes]) -> bytes:
        old = match.group(0)
        new = b"/" + match.group(1) + b" (D:" + stamp + b"+00'00')"
        return new if len(new) == len(old) else old

    return _PDF_DATE.sub(replace, pdf)


def print_versions(
    site: Path, model: SiteModel, chromium: str, previous: Path | None = None
) -> tuple[dict[str, str], list[str]]:
    """The PDF of every published version of the built `site`: the one the `previous` site
    (the folder this build replaces) made, when it made one at the same address (same
    `site_url`) and its file still has the sha256 its versions.json lists; else printed
    from a copy of the version's page (`print_copy`) by one Chromium that loads nothing
    but the site's own files (`generator.site.printer`). Returns the sha256 of each PDF by
    the version's URL, and a warning for each PDF printed without something its page asked
    for (an image on another host, or not in the site)."""
    hashes: dict[str, str] = {}
    warnings: list[str] = []
    made = _previous_pdfs(previous, model) if previous is not None else {}
    with Printer(chromium, site) as printer:
        for doc_id, name, url, published in _printable(model):
            path = urls.version_pdf(doc_id, name, language=model.language)
            data = _reuse(previous, path, made.get(urls.absolute(path, model.settings.site_url)))
            if data is None:
                page = (site / url / "index.html").read_text(encoding="utf-8")  # MkDocs' directory URLs
                address = urls.absolute(url, model.settings.site_url) if model.settings.site_url else None
                printed = printer.print_page(url, print_copy(page, address))
                data = _stamp(printed.pdf, published)
                if printed.refused:
                    warnings.append(refused_warning(path, printed.refused))
            (site / path).write_bytes(data)
            hashes[url] = hashlib.sha256(data).hexdigest()
    return hashes, warnings


def refused_warning(path: str, refused: Iterable[str]) -> str:
    """The build's warning about a PDF printed without what its page asked for."""
    return (
        f"{path}: printed without what the printer refuses to load (only the site's own files "
        f"are): {', '.join(refused)}; alt text is printed instead of each image\n"
        '  -> see "What the PDF printer refuses" in docs/site.md'
    )


def _previous_pdfs(previous: Path, model: SiteModel) -> dict[str, str]:
    """The sha256 of each PDF that the previous site's versions.json (the model's
    language's) lists, by the PDF's address; empty when there is none to read."""
    try:
        data = json.loads((previous / model.url(urls.VERSIONS_JSON)).read_text(encoding="utf-8"))
        return {
            str(v["pdf"]["url"]): str(v["pdf"]["sha256"])
            for d in data.get("documents", [])
            for v in d.get("versions", [])
            if isinstance(v.get("pdf"), Mapping)
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _reuse(previous: Path | None, path: str, sha256: str | None) -> bytes | None:
    """The bytes of the previous site's PDF at `path`, if they are the ones it listed and
    were printed from a copy of the page: releases before the copy printed the live page,
    status and all, and its links to the site led into the build's folder (`file:`)."""
    if previous is None or sha256 is None:
        return None
    try:
        data = (previous / path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != sha256 or _FROM_LIVE_PAGE in data:
        return None
    return data


def _printable(model: SiteModel) -> Iterable[tuple[str, str, str, dt.datetime]]:
    for doc in model.documents:
        for entry in doc.entries:
            if not entry.draft:
                yield doc.id, entry.version.version, entry.url, entry.version.published


# ------------------------------------------------------------ the copy that is printed

# fmt: off
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
# fmt: on
_CHROME = frozenset({"announce", "header", "sidebar", "skip", "dialog", "search"})
"""Material's components around the content (`data-md-component`): the banner, the header,
the navigation and the table of contents, which say what the site is at the build instant."""
_CHROME_TAGS = frozenset({"footer", "dialog", "script", "noscript"})
_CHROME_CLASSES = frozenset({"policy-draft-ribbon", "policy-footer-link"})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_SHOWN_AS_IS = re.compile(r"^(https?|mailto):", re.IGNORECASE)
_NOT_ON_PAPER = frozenset({"headerlink", "policy-permalink"})


def print_copy(page: str, address: str | None) -> str:
    """The HTML of a version's built page with only what is fixed at publication:

    - of what the page's template puts before the policy text (before the element of
      class `policy-text-start`), the title (`h1`) and, of the header (`policy-header`),
      its `policy-fixed` parts; nothing else (status, callouts, "in force until", ...);
    - the policy text whole;
    - none of the theme's parts around the content (banner, header, navigation, footer,
      pop-up), no script (the copy is printed as it is written: no script decides what
      is on paper, or when), nor a style from another site (a web font);
    - its links to the site at their address under `address`, the page's permanent
      address, and each link's address for paper in `data-print-address` (what
      assets/policy.js writes on the page); without a `site_url`, links to the site lose
      their `href`: a link to the folder the PDF was printed in would lead nowhere.

    The page must have its `policy-text-start` element: a PolicyError otherwise."""
    copy = _PrintCopy(address)
    copy.feed(page)
    copy.close()
    if not copy.text_started:
        raise PolicyError(
            "a version page has no policy-text-start element: its PDF cannot tell the policy "
            "text from what the page says about the version today",
            file="site_templates/pages/version.md.j2",
            remedy="restore the element before the policy text",
        )
    return "".join(copy.out)


class _Frame:
    __slots__ = ("tag", "kept", "role")

    def __init__(self, tag: str, kept: bool, role: str | None) -> None:
        self.tag, self.kept, self.role = tag, kept, role


class _Link:
    """A link being written: where its start tag is in the output, and its text so far."""

    __slots__ = ("index", "attrs", "shown", "text")

    def __init__(self, index: int, attrs: list[tuple[str, str | None]], shown: str | None) -> None:
        self.index, self.attrs, self.shown = index, attrs, shown
        self.text: list[str] = []


class _PrintCopy(HTMLParser):
    """Writes the page back as it was read (start tags as written, text and references
    unconverted), but for the elements `print_copy` leaves out and the links it rewrites."""

    def __init__(self, address: str | None) -> None:
        super().__init__(convert_charrefs=False)
        self.address = address
        self.out: list[str] = []
        self.stack: list[_Frame] = []
        self.link: _Link | None = None
        self.text_started = False

    @property
    def _writing(self) -> bool:
        return not self.stack or self.stack[-1].kept

    def _write(self, text: str) -> None:
        if self._writing:
            self.out.append(text)
            if self.link is not None:
                self.link.text.append(text)

    def _keeps(self, tag: str, attrs: list[tuple[str, str | None]]) -> tuple[bool, str | None]:
        """Whether an element whose parent is kept is kept too, and its role."""
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        parent = self.stack[-1].role if self.stack else None
        if parent == "article" and not self.text_started:
            if TEXT_START in classes:
                self.text_started = True
                return True, None
            if "policy-header" in classes:
                return True, "header"
            return tag == "h1", None
        if parent == "header":
            return FIXED in classes, None
        if values.get("data-md-component") in _CHROME or tag in _CHROME_TAGS or classes & _CHROME_CLASSES:
            return False, None
        if tag == "link":
            canonical = "canonical" in (values.get("rel") or "").split()
            return canonical or not re.match(r"^(https?:)?//", values.get("href") or "", re.IGNORECASE), None
        if tag == "article" and "md-content__inner" in classes and not self.text_started:
            return True, "article"
        return True, None

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], void: bool) -> None:
        kept, role = self._keeps(tag, attrs) if self._writing else (False, None)
        if kept:
            if tag == "a" and not void:
                self._open_link(attrs)
            else:
                self.out.append(self.get_starttag_text() or "")
        if not void:
            self.stack.append(_Frame(tag, kept, role))

    def _open_link(self, attrs: list[tuple[str, str | None]]) -> None:
        """A link to the site leads to its address under the permanent address (or
        nowhere, without one); the address to print after it is worked out as
        assets/policy.js does on the page."""
        if self.link is not None:  # a link inside a link (not in sanitised HTML)
            self._close_link()
        written: list[tuple[str, str | None]] = []
        href: str | None = None
        for name, value in attrs:
            if name == "href" and value is not None:
                if not value.startswith("#") and not _SCHEME.match(value):
                    if self.address is None:
                        continue
                    value = urljoin(self.address, value)
                href = value
            if name != "data-print-address":
                written.append((name, value))
        classes = set((dict(attrs).get("class") or "").split())
        shown = None
        if href and not href.startswith("#") and not classes & _NOT_ON_PAPER and _SHOWN_AS_IS.match(href):
            shown = re.sub(r"^mailto:", "", href, flags=re.IGNORECASE)
        self.link = _Link(len(self.out), written, shown)
        self.out.append("")  # the start tag, written at the end of the link

    def _close_link(self) -> None:
        link, self.link = self.link, None
        assert link is not None
        attrs = list(link.attrs)
        if link.shown is not None and html.unescape("".join(link.text)).strip() != link.shown:
            attrs.append(("data-print-address", link.shown))
        written = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"' for name, value in attrs
        )
        self.out[link.index] = f"<a{written}>"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, tag in _VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, True)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].tag == tag:
                frame = self.stack[depth]
                del self.stack[depth:]  # and the elements left open inside it
                if frame.kept:
                    if tag == "a" and self.link is not None:
                        self._close_link()
                    self.out.append(f"</{tag}>")
                return
        if tag not in _VOID:
            self._write(f"</{tag}>")

    def close(self) -> None:
        super().close()
        if self.link is not None:  # a link left open at the end of the page
            self._close_link()

    def handle_data(self, data: str) -> None:
        self._write(data)

    def handle_entityref(self, name: str) -> None:
        self._write(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._write(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self._write(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._write(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._write(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._write(f"<![{data}]>")
