"""Jinja's immutable sandbox, where notify renders every template it is given (the emails'
and the answer pages'): templates come from the policy repository, and are rendered in
the process that holds the SMTP password, the database and the answer secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPEAT_LIMIT = 1_000_000
"""Items a template may make with ``*`` (a string or list repeated), and the exponent
``**`` may raise to: beyond them the sandbox refuses rather than fill the memory."""


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox: no attribute that starts with ``_`` (the way out to
    Python's modules, ``cycler.__init__.__globals__.os``), no method that changes a list
    or dict, and ``*`` and ``**`` bounded (``REPEAT_LIMIT``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > REPEAT_LIMIT // 1000:
            raise SecurityError(f"an exponent of {right} is more than an email template needs")
        if operator == "*" and (_too_long(left, right) or _too_long(right, left)):
            raise SecurityError(
                "repeating a text or list this many times is more than an email template needs"
            )
        return super().call_binop(context, operator, left, right)


def _too_long(items: Any, times: Any) -> bool:
    return (
        isinstance(items, (str, list, tuple)) and isinstance(times, int) and len(items) * times > REPEAT_LIMIT
    )


class TemplateOutside(jinja2.TemplateError):
    """A template file that is a symbolic link out of its folder."""


class FolderLoader(jinja2.FileSystemLoader):
    """Templates from their folders only: a file there that is a symbolic link out of the
    folder (to a key, a password file) is refused, not rendered into every message."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if not inside(Path(filename), [Path(root) for root in self.searchpath]):
            raise TemplateOutside(
                f"{filename} is a link to {Path(filename).resolve()}, outside the templates' folder"
            )
        return source, filename, uptodate


def inside(path: Path, folders: list[Path]) -> bool:
    """Whether ``path``, its links followed, lies in one of ``folders``."""
    real = path.resolve()
    return any(real.is_relative_to(folder.resolve()) for folder in folders)
