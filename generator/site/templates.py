"""What the theme overrides (`site_templates/`) are and what they are given, whichever
engine renders them: where they live, which of them are ours to render (never published),
the site's CSS and JS, and the context of the notices (`extra.policy`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.core import urls
from generator.core.dates import human_date, iso
from generator.site.feeds import notice_record
from generator.site.model import SiteModel

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "site_templates"
PRIVATE_TEMPLATES = ("email/", "pages/", "answers/", "locale/")
"""Folders of site_templates/ that hold templates rendered by us and the catalogues of
our words (`generator.site.catalogues`), not files of the site."""
SITE_MARKER = ".policy-site"
"""The file every build writes at the site's root: `policyctl build` replaces an existing
folder only when it carries it (or is empty)."""
MARKER_TEXT = (
    "This folder is a policy site built by policy-publisher (policyctl build / mkdocs build).\n"
    "Each build replaces the whole folder: keep nothing else in it.\n"
)
HIDDEN_PAGES = ("/*/versions/*/", "/*/changes/")
WORDS_CSS = "assets/policy-words.css"
"""The words CSS writes (a core-rights heading's badge), in each language of the site:
written by the build into the theme files (`generator.site.project.words_css`)."""
EXTRA_CSS = ("assets/policy.css", "assets/redline.css", WORDS_CSS)
EXTRA_JS = ("assets/policy.js",)
ENGINE_FILES = {
    "mkdocs": ("partials/search.html",),
    "zensical": ("assets/search-dialog.js", "assets/search-dialog.css"),
}
"""Theme files for one engine only, left out of the others' projects. Material's search
form (`partials/search.html`) would break Zensical's own dialog; Zensical's dialog, in a
shadow root the site's styles do not reach, gets its own stylesheet and script."""
ENGINE_JS = {"zensical": ("assets/search-dialog.js",)}
"""The site's scripts for one engine only (see ENGINE_FILES)."""
NOTICE_SCRIPT = "assets/notice.js"
"""The embeddable script's source among the theme files; the build writes it to `notice.js`."""
MATERIAL_FEATURES = ("announce.dismiss",)
"""Material features the banner needs (a dismissible announcement bar)."""


def public_template(name: str) -> bool:
    """Whether the file `name` of a theme folder ("partials/footer.html") is part of the
    site: not an e-mail, page or answer-page template of ours, nor a catalogue of our
    words, nor notice.js (written from the site's data after the build)."""
    return not (name.startswith(PRIVATE_TEMPLATES) or name == NOTICE_SCRIPT)


def template_context(model: SiteModel, link: Callable[[str], str] = lambda url: url) -> dict[str, Any]:
    """What the theme overrides need: the open notices, with site-root-relative URLs
    (templates pass them through MkDocs' `url` filter), and the words of the model's
    language (the banner's and the pop-up's sentences are made here, values escaped)."""
    zone = model.settings.zone
    t = model.words
    notices = []
    for notice in model.notices:
        record = notice_record(notice, zone, link)
        record["key"] = notice.key
        date = human_date(notice.version.effective, zone, language=model.language_code)
        record["effective_human"] = date
        record["summary"] = record["summary"] or ""
        record["changes_url"] = record["changes_url"] or record["url"]
        strong_date = Markup("<strong>{}</strong>").format(date)
        banner = t.say("banner_text", title=record["title"], date=strong_date, version=record["version"])
        record["banner"] = banner + (t["banner_core"] if notice.core_rights else "") + t["banner_end"]
        record["heading"] = t.text("version_title", title=record["title"], version=record["version"])
        record["takes_effect"] = t.say("dialog_takes_effect", date=strong_date)
        record["footer"] = t.text("footer_change", title=record["title"], date=date)
        # The one way to object and its deadline (partials/policy-disagree.html puts the
        # link between the two halves: the answer page, else the rights section).
        record["objection_before"], record["objection_after"] = t.around("disagree", "link", date=date)
        notices.append(record)
    return {
        "words": dict(t),
        "notices": notices,
        "keys": " ".join(n["key"] for n in notices),
        "updates_url": link(model.url(urls.UPDATES)),
        "drafts": model.drafts,
        "as_of": iso(model.as_of, zone),
        "answer_url": model.settings.answer_url or "",
    }
