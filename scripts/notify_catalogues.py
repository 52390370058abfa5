"""The catalogues of notify's words kept in step with its templates (the emails' and the
answer pages': `notify.common.i18n`).

    .venv/bin/python scripts/notify_catalogues.py          # write notify.pot, update each notify.po
    .venv/bin/python scripts/notify_catalogues.py --check  # exit 1 and say what is out of step

Messages are extracted with Babel's extractor for Jinja (`jinja2.ext.babel_extract`,
`{% trans %}` blocks trimmed, as `notify.common.i18n.environment` renders them) into
`site_templates/locale/notify.pot`; each `site_templates/locale/<tag>/LC_MESSAGES/notify.po`
is then updated from it (`pybabel update`'s rule: a new message comes in untranslated, a
changed one fuzzy, which the catalogue does not use until a translator clears it).
tests/notify/test_notify_catalogues.py runs the check.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "site_templates"
LOCALES = TEMPLATES / "locale"
POT = LOCALES / "notify.pot"
FOLDERS = ("email", "answers")
HEADER = (
    "# The words of notify's emails and answer pages (gettext domain notify), in English.\n"
    "# Extracted from site_templates/email and site_templates/answers by scripts/notify_catalogues.py:\n"
    "# do not edit by hand; each language translates them in <tag>/LC_MESSAGES/notify.po.\n#"
)
METHOD_MAP = [("**.j2", "jinja2.ext:babel_extract")]
OPTIONS = {
    "**.j2": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": "true",
        "newstyle_gettext": "true",
        "silent": "false",
    }
}


def extract() -> Catalog:
    """Every message the templates say, with the files that say it."""
    catalog = Catalog(
        project="policy-publisher notify",
        version="1",
        domain="notify",
        fuzzy=False,
        msgid_bugs_address="",
        header_comment=HEADER,
    )
    for folder in FOLDERS:
        for filename, lineno, message, comments, context in extract_from_dir(
            TEMPLATES / folder, METHOD_MAP, OPTIONS
        ):
            catalog.add(
                message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context
            )
    return catalog


def po_files() -> list[Path]:
    return sorted(LOCALES.glob("*/LC_MESSAGES/notify.po"))


def read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, domain="notify", abort_invalid=True)


def text_of(catalog: Catalog, **options: bool) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, include_lineno=False, width=100, **options)
    return buffer.getvalue()


def problems() -> list[str]:
    """What is out of step: the .pot against the templates, each .po against the .pot,
    a message left untranslated or fuzzy, a translation whose placeholders are not its id's."""
    found = []
    wanted = {m.id for m in extract() if m.id}
    listed = {m.id for m in read(POT) if m.id} if POT.is_file() else set()
    found += [
        f"{POT.name} lacks {i!r}: run scripts/notify_catalogues.py" for i in sorted(wanted - listed, key=str)
    ]
    found += [f"{POT.name} has {i!r}, which no template says" for i in sorted(listed - wanted, key=str)]
    for path in po_files():
        catalog = read(path)
        where = path.relative_to(ROOT)
        for message in catalog:
            if not message.id:
                continue
            if message.id not in listed:
                found.append(f"{where} has {message.id!r}, which {POT.name} lacks")
            elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                found.append(f"{where}: {message.id!r} is not translated")
            elif message.fuzzy:
                found.append(f"{where}: {message.id!r} is fuzzy")
        found += [f"{where}: {m.id!r}: {'; '.join(map(str, e))}" for m, e in catalog.check()]
        found += [
            f"{where} lacks {i!r}: run scripts/notify_catalogues.py"
            for i in sorted(listed - {m.id for m in catalog if m.id}, key=str)
        ]
    return found


def update() -> None:
    """Write notify.pot from the templates, and bring each notify.po in step with it."""
    template = extract()
    if not POT.is_file() or {m.id for m in read(POT)} != {m.id for m in template}:
        POT.write_bytes(text_of(template))
    for path in po_files():
        catalog = read(path)
        catalog.update(template, update_header_comment=False)
        path.write_bytes(text_of(catalog, ignore_obsolete=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only say what is out of step (exit 1 if anything)"
    )
    args = parser.parse_args(argv)
    if not args.check:
        update()
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
