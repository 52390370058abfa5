"""`policyctl notify`: pick the revisions owed a notice and hand them to `notify`.

The timeline decides what is owed (pending core-rights revisions); the `notify`
package delivers and keeps the ledger.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from generator.commands.context import Context, add_common_arguments
from generator.core.errors import PolicyError
from generator.core.history import Version
from generator.policies import read_history
from generator.core.timeline import DocumentState, state_at

if TYPE_CHECKING:
    from notify.revision import Revision


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    from notify.cli import add_arguments

    parser: argparse.ArgumentParser = subcommands.add_parser(
        "notify", help="deliver notices of pending core-rights revisions"
    )
    add_common_arguments(parser)
    parser.add_argument("--document", help="only this document")
    parser.add_argument("--version", dest="only_version", help="only this version")
    parser.add_argument("--late", action="store_true", help="also notify a revision already in effect")
    parser.add_argument(
        "--site-url", help="absolute site URL for links (default: site_url of mkdocs.yml)"
    )
    add_arguments(parser)
    return parser


def absolute(site_url: str, path: str) -> str:
    return site_url.rstrip("/") + "/" + path.lstrip("/")


def rights_anchor(version: Version) -> str:
    ids = [s.id for s in version.sections]
    if "rights" in ids:
        return "#rights"
    return next((f"#{i}" for i in ids if "rights" in i), "")


def to_revision(state: DocumentState, version: Version, site_url: str, *, late: bool) -> Revision:
    from notify.revision import Revision

    # The redline a user needs: from what they agreed to (in force) to what is coming.
    base = state.previous(version) if late else (state.in_force or state.previous(version))
    changes = state.pending_changes(version) if not late else state.changes(version)
    doc = version.document
    changes_path = f"{doc}/changes/{base.version}-to-{version.version}/" if base else f"{doc}/versions/"
    return Revision(
        document=doc,
        title=version.title,
        version=version.version,
        sha256=version.sha256,
        published=version.published,
        effective=version.effective,
        summary=version.summary or "",
        core_sections=tuple({c.id: (c.id, c.title) for c in changes.core_rights_sections}.values()),
        url=absolute(site_url, f"{doc}/versions/{version.version}/"),
        changes_url=absolute(site_url, changes_path),
        rights_url=absolute(site_url, f"{doc}/{rights_anchor(version)}"),
        late=late,
    )


def select_revisions(args: argparse.Namespace, ctx: Context) -> list[Revision]:
    history = read_history(ctx.repo, ctx.settings)
    if history.violations:
        for violation in history.violations:
            print(f"error: {violation}", file=sys.stderr)
        raise PolicyError(
            "the policy history breaks its rules; no notice is sent from a broken history",
            remedy="fix what `policyctl check` reports, then rerun notify",
        )
    site_url = getattr(args, "site_url", None) or ctx.settings.site_url
    if not site_url:
        raise PolicyError(
            "notices need absolute links to the site, and no site URL is set",
            remedy="set `site_url:` in mkdocs.yml or pass --site-url https://…/",
        )
    documents = history.documents
    if args.document:
        documents = tuple(d for d in documents if d.id == args.document)
        if not documents:
            known = ", ".join(d.id for d in history.documents)
            raise PolicyError(f"no document {args.document!r}", remedy=f"use one of: {known}")

    revisions: list[Revision] = []
    for document in documents:
        state = state_at(document, ctx.as_of)
        if args.only_version:
            version = document.version(args.only_version)
            if version is None:
                if args.document:
                    raise PolicyError(
                        f"{document.id} has no version {args.only_version!r}",
                        remedy="see `policyctl status` for its versions",
                    )
                continue
            candidates = [version]
        else:
            candidates = list(state.pending)
            if getattr(args, "report", False):
                candidates = list(state.published[1:])
            elif args.late and not candidates and state.in_force:
                candidates = [state.in_force]
        for version in candidates:
            status = state.status(version)
            if getattr(args, "report", False):
                # Evidence of any revision that was notified, whatever its state now.
                revisions.append(to_revision(state, version, site_url, late=status != "pending"))
                continue
            if status == "scheduled":
                raise PolicyError(
                    f"{document.id} {version.version} is scheduled for publication on "
                    f"{version.published.date().isoformat()}; notices go out once it is published",
                    file=version.path,
                    remedy=f"rerun notify on or after {version.published.date().isoformat()}",
                )
            late = status in ("in-force", "superseded")
            if late and not args.late:
                raise PolicyError(
                    f"{document.id} {version.version} took effect on "
                    f"{version.effective.date().isoformat()}; a notice now comes after the fact",
                    file=version.path,
                    remedy="pass --late to send it anyway (it will say so)",
                )
            changes = state.changes(version) if late else state.pending_changes(version)
            if not changes.core_rights_changed:
                print(
                    f"{document.id} {version.version}: no core-rights section changed; "
                    "the site notice is enough, no message is sent."
                )
                continue
            revisions.append(to_revision(state, version, site_url, late=late))
    return revisions


def run(args: argparse.Namespace, ctx: Context) -> int:
    from rich.console import Console

    from notify.cli import run

    revisions = select_revisions(args, ctx)
    if not revisions and not getattr(args, "report", False):
        print("Nothing to notify: no pending revision changes a core-rights section.")
        return 0
    return run(args, revisions, repo=ctx.repo, console=Console(stderr=True))
