"""Jinja's immutable sandbox, where notify renders every template it is given (the emails'
and the answer pages'): templates come from the policy repository, and are rendered in
the process that holds the SMTP password, the database and the answer secret."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPEAT_LIMIT = 1_000_000
"""Items a template may make with ``*`` (a string or list repeated), and the exponent
``**`` may raise to: beyond them the sandbox refuses rather than fill the memory."""


WIDTH = re.compile(r"\d{7,}")
"""A width or precision of a million characters or more in a format string ("{:>9999999}",
"%9999999d"): more than a message needs, and as much memory."""
# The methods of str whose int arguments are lengths of their result.
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_FORMATTING = frozenset({"format", "format_map"})
# The built-in filters whose int arguments are lengths of their result.
_SIZED_FILTERS = ("center", "indent", "truncate", "wordwrap", "format")


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox: no attribute that starts with ``_`` (the way out to
    Python's modules, ``cycler.__init__.__globals__.os``), no method that changes a list
    or dict; and nothing that makes a text or list of more than ``REPEAT_LIMIT`` items:
    ``*`` and ``**`` bounded, and so the widths that ``center``, ``ljust``, ``zfill``,
    ``format``, ``%`` and the filters ``center``, ``indent``, ``format`` take."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in _SIZED_FILTERS:
            if name in self.filters:
                self.filters[name] = _bounded(self.filters[name])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > REPEAT_LIMIT // 1000:
            raise SecurityError(f"an exponent of {right} is more than an email template needs")
        if operator == "*" and (_too_long(left, right) or _too_long(right, left)):
            raise SecurityError(
                "repeating a text or list this many times is more than an email template needs"
            )
        if operator == "%" and isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` and ``format_map`` in a template (the sandbox wraps them when
        they are looked up, and so is where their format is checked)."""
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in _FORMATTING:
            _check_format(owner)
        return super().wrap_str_format(value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in _PADDING:
            _check_sizes(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _check_sizes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and value > REPEAT_LIMIT:
            raise SecurityError(f"a width of {value} characters is more than an email template needs")


def _check_format(text: str) -> None:
    if WIDTH.search(text):
        raise SecurityError("a format of a million characters or more is more than an email template needs")


def _bounded(apply: Callable[..., Any]) -> Callable[..., Any]:
    """The filter ``apply``, refusing a size beyond ``REPEAT_LIMIT`` (and a format string
    with such a width)."""

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(args[1:], kwargs)
        for value in args:
            if isinstance(value, str) and "%" in value:
                _check_format(value)
        return apply(*args, **kwargs)

    if hasattr(apply, "jinja_pass_arg"):  # Jinja's mark (pass_environment, pass_eval_context)
        bounded.jinja_pass_arg = apply.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


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
