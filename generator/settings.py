"""The one settings schema, read by the MkDocs plugin and by `policyctl` alike.

In `mkdocs.yml` the settings are the options of the `policy` plugin::

    plugins:
      - policy:
          country: CN
          timezone: Asia/Shanghai
          window: {working_days: 7}       # the default notice period
          documents:                       # a document's own period
            terms: {window: {calendar_days: 30}}

`policyctl` reads the same block (a repository without `mkdocs.yml` gets the
defaults); its flags override single values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from mkdocs.config import base
from mkdocs.config import config_options as c

from generator.core.calendar import WorkingCalendar
from generator.core.errors import SettingsError
from generator.core.tags import TAG_RULE, tag_problem
from generator.core.translations import DEFAULT_LANGUAGE
from generator.core.urls import document_id_problem
from generator.core.window import NoticePeriod

DEFAULT_COUNTRY = "CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_WORKING_DAYS = 7
DEFAULT_ANSWER_DAYS = 90
ENGINES = ("mkdocs", "zensical")
"""What renders the staged site (`generator.site.engines`)."""
DEFAULT_ENGINE = "mkdocs"

PRIVATE_FOLDER = ".policy"
"""The repository's folder of what is not published nor committed: the build's cache and
what `policyctl notify` writes by default (the ledger, the outbox), which `notify` names
on its own (`notify.common.resources.PRIVATE_FOLDER`)."""


class _DateOption(c.BaseConfigOption[dt.date]):
    """A calendar date, written in YAML as 2026-10-01."""

    def run_validation(self, value: object) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise c.ValidationError(f"expected a date like 2026-10-01, got {value!r}")


class PolicyConfig(base.Config):
    """Options of the `policy` plugin in mkdocs.yml (also read by `policyctl`)."""

    enabled = c.Type(bool, default=True)
    policy_dir = c.Type(str, default="policy")
    """Folder of the policy documents, relative to the repository root."""
    country = c.Type(str, default=DEFAULT_COUNTRY)
    """Country code of the operator's calendar, as known to the `holidays` package."""
    subdivision = c.Optional(c.Type(str))
    """Optional subdivision (state, province) of the calendar."""
    timezone = c.Type(str, default=DEFAULT_TIMEZONE)
    """IANA time zone in which dates and the window are counted."""
    working_days = c.Optional(c.Type(int))
    """The default notice period in working days (the older key: `window` says the same;
    both may be given only with the same value)."""
    window = c.Optional(c.Type(dict))
    """The default notice period: `{working_days: N}` (working days in the operator's
    calendar) or `{calendar_days: N}`; unset: `working_days`, else 7 working days."""
    documents = c.Type(dict, default={})
    """Per document (its id, the file's name without `.md`): `{window: {...}}`, its own
    notice period instead of the default."""
    extra_holidays = c.ListOfItems(_DateOption(), default=[])
    """Days off the operator observes beyond the official calendar."""
    extra_working_days = c.ListOfItems(_DateOption(), default=[])
    """Days the operator works although the calendar says otherwise (make-up days)."""
    known_years = c.ListOfItems(c.Type(int), default=[])
    """Years whose official schedule you have entered with extra_holidays /
    extra_working_days (for countries that announce it yearly, e.g. CN): windows reaching
    them are no longer provisional."""
    cache_dir = c.Type(str, default=f"{PRIVATE_FOLDER}/cache")
    """Cache of parsed sections and diffs, keyed by content hash."""
    answer_url = c.Optional(c.Type(str))
    """Absolute URL of the answer page (`policyctl answers serve`); when set, every notice
    carries a personal signed link `<answer_url>?token=...` (secret: POLICYCTL_ANSWER_SECRET)."""
    answer_days = c.Type(int, default=DEFAULT_ANSWER_DAYS)
    """A personal answer link expires this many days after the revision takes effect."""
    pdf = c.Type(bool, default=False)
    """Print a PDF of every version at build time (headless Chromium)."""
    engine = c.Choice(ENGINES, default=DEFAULT_ENGINE)
    """What renders the staged site: `mkdocs` (MkDocs with Material) or `zensical`."""
    languages = c.ListOfItems(c.Type(str), default=[DEFAULT_LANGUAGE])
    """Languages of the policies, as BCP 47 tags (en, zh, zh-Hant-TW, sr-Latn, pt-BR); the
    first is the source language, the others are translations in `<doc>.<tag>.md` files
    beside the source, published under `/<tag in lower case>/`."""
    site_names = c.Type(dict, default={})
    """The site's name in a language of `languages` (`{zh: 示例商店}`); a language without
    one takes mkdocs.yml's `site_name`."""
    review_months = c.Optional(c.Type(int))
    """Remind to review a document whose version in force took effect this many months
    ago or longer (`status`, and a warning from `check`); unset: no reminder."""


@dataclass(frozen=True)
class Settings:
    """Validated settings in force for one run."""

    country: str = DEFAULT_COUNTRY
    subdivision: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    working_days: int = DEFAULT_WORKING_DAYS
    """The default period's working days when `window` is not set (the older setting)."""
    window: NoticePeriod | None = None
    """The default notice period; None: `working_days` working days."""
    documents: tuple[tuple[str, NoticePeriod], ...] = ()
    """(document id, its own notice period) for the documents that have one."""
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_working_days: frozenset[dt.date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)
    policy_dir: str = "policy"
    cache_dir: str = f"{PRIVATE_FOLDER}/cache"
    site_url: str | None = None
    site_name: str | None = None
    answer_url: str | None = None
    answer_days: int = DEFAULT_ANSWER_DAYS
    pdf: bool = False
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    engine: str = DEFAULT_ENGINE
    site_names: tuple[tuple[str, str], ...] = ()
    """(language, the site's name in it) for the languages named in `site_names`."""
    review_months: int | None = None
    """A review falls due this many months after the version in force took effect."""

    @property
    def default_period(self) -> NoticePeriod:
        """The notice period of a document without its own: `window`, else `working_days`."""
        return self.window or NoticePeriod(working_days=self.working_days)

    def period_of(self, document: str) -> NoticePeriod:
        """The notice period of `document` (its id): its own, else the default. Every
        window (check, publish, status, the site, notices, verify) is counted with it."""
        return dict(self.documents).get(document) or self.default_period

    @property
    def source_language(self) -> str:
        """The language the policies are written in; the others are translations."""
        return self.languages[0]

    def site_name_in(self, language: str) -> str | None:
        """The site's name in `language`: its `site_names` entry, else `site_name`."""
        return dict(self.site_names).get(language) or self.site_name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The operator's working-day calendar these settings describe."""
        return WorkingCalendar(
            country=self.country,
            subdivision=self.subdivision,
            timezone=self.timezone,
            extra_holidays=self.extra_holidays,
            extra_working_days=self.extra_working_days,
            known_years=self.known_years,
        )

    def with_overrides(self, **overrides: Any) -> Settings:
        """Flags override settings; a None flag keeps the setting."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "working_days" in given:
            # --working-days sets the default period.
            given["window"] = None
        return validated(replace(self, **given)) if given else self


def validated(settings: Settings) -> Settings:
    """Reject values no calendar can use, with the remedy."""
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"unknown time zone {settings.timezone!r}",
            remedy="use an IANA name such as Asia/Shanghai or Europe/Berlin",
        ) from None
    if settings.working_days < 1:
        raise SettingsError(
            f"working_days must be at least 1, got {settings.working_days}",
            remedy="the policy promises at least 7 working days; set working_days: 7",
        )
    _validate_calendar(settings.country, settings.subdivision)
    if settings.answer_url is not None and not settings.answer_url.startswith(("https://", "http://")):
        raise SettingsError(
            f"answer_url must be an absolute http(s) URL, got {settings.answer_url!r}",
            remedy="set answer_url: https://shop.example/policy/answer (where `policyctl answers serve` runs)",
        )
    if not settings.languages:
        raise SettingsError(
            "languages is empty", remedy="list the source language first, e.g. languages: [en, zh]"
        )
    for code in settings.languages:
        problem = tag_problem(code)
        if problem is not None:
            raise SettingsError(f"languages: {problem}", remedy=f"use {TAG_RULE}")
    if len(set(settings.languages)) != len(settings.languages):
        raise SettingsError(
            f"languages: a language is listed twice in {list(settings.languages)}",
            remedy="list each language once, the source language first",
        )
    _validate_site_names(settings.site_names, settings.languages)
    if settings.engine not in ENGINES:
        raise SettingsError(
            f"engine {settings.engine!r} is not one of {', '.join(ENGINES)}",
            remedy="set engine: mkdocs (the default) or engine: zensical",
        )
    _validate_periods(settings)
    return settings


def _validate_periods(settings: Settings) -> None:
    """answer_days, review_months and known_years: numbers of days, months and years."""
    if settings.review_months is not None and not 1 <= settings.review_months <= 120:
        raise SettingsError(
            f"review_months must be a number of months from 1 to 120, got {settings.review_months}",
            remedy="e.g. review_months: 12 (a review at least every year), or leave it out",
        )
    if settings.answer_days < 1:
        raise SettingsError(
            f"answer_days must be at least 1, got {settings.answer_days}",
            remedy="answer links expire this many days after the revision takes effect; e.g. 90",
        )
    for year in sorted(settings.known_years):
        if not 1900 <= year <= 2200:
            raise SettingsError(
                f"known_years: {year} is not a year",
                remedy="list calendar years, e.g. known_years: [2027]",
            )


PERIOD_KEYS = ("working_days", "calendar_days")
"""How a notice period is given: `{working_days: N}` or `{calendar_days: N}`."""


def period_setting(value: object, key: str) -> NoticePeriod:
    """The notice period written at `key` (e.g. `window`, `documents.terms.window`);
    SettingsError naming the key for anything else."""
    example = f"e.g. {key}: {{working_days: 7}} or {key}: {{calendar_days: 30}}"
    if not isinstance(value, dict) or not value:
        raise SettingsError(
            f"invalid option 'policy.{key}': expected working_days or calendar_days, got {value!r}",
            remedy=example,
        )
    for name in value:
        if name not in PERIOD_KEYS:
            raise SettingsError(
                f"invalid option 'policy.{key}.{name}': a notice period is working_days or calendar_days",
                remedy=example,
            )
    if len(value) > 1:
        raise SettingsError(
            f"invalid option 'policy.{key}': give working_days or calendar_days, not both", remedy=example
        )
    ((unit, days),) = value.items()
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise SettingsError(
            f"invalid option 'policy.{key}.{unit}': a whole number of days of at least 1, got {days!r}",
            remedy=example,
        )
    return NoticePeriod(**{unit: days})


def _default_window(window: dict[str, Any] | None, working_days: int | None) -> NoticePeriod | None:
    """The `window` setting, refused when `working_days` is given too and disagrees."""
    if window is None:
        return None
    period = period_setting(window, "window")
    if working_days is not None and period != NoticePeriod(working_days=working_days):
        raise SettingsError(
            f"invalid option 'policy.working_days': working_days: {working_days} and window: "
            f"{period.as_dict()} name two default periods",
            remedy="keep only `window` (working_days is its older spelling)",
        )
    return period


def _document_periods(documents: dict[str, Any]) -> tuple[tuple[str, NoticePeriod], ...]:
    """The `documents` setting: per document id, `{window: {...}}`."""
    periods = []
    for doc_id, entry in documents.items():
        key = f"documents.{doc_id}"
        problem = document_id_problem(str(doc_id))
        if not isinstance(doc_id, str) or problem is not None:
            raise SettingsError(
                f"invalid option 'policy.{key}': {problem or 'not a document id'}",
                remedy="name a document by its file under the policy folder without .md, e.g. terms",
            )
        example = f"e.g. {key}: {{window: {{calendar_days: 30}}}}"
        for name in entry if isinstance(entry, dict) else ():
            if name != "window":
                raise SettingsError(
                    f"invalid option 'policy.{key}.{name}': a document's only setting is its window",
                    remedy=example,
                )
        if not isinstance(entry, dict) or "window" not in entry:
            raise SettingsError(
                f"invalid option 'policy.{key}': a document's settings are {{window: {{...}}}}, got {entry!r}",
                remedy=example,
            )
        periods.append((doc_id, period_setting(entry["window"], f"{key}.window")))
    return tuple(sorted(periods))


def _validate_site_names(names: tuple[tuple[str, str], ...], languages: tuple[str, ...]) -> None:
    """Each entry of `site_names` names a language of `languages` and a name."""
    for language, name in names:
        if language not in languages:
            raise SettingsError(
                f"site_names: {language!r} is not one of languages ({', '.join(languages)})",
                remedy="name the site in the languages listed under `languages`, written the same way",
            )
        if not isinstance(name, str) or not name.strip() or "\n" in name:
            raise SettingsError(
                f"site_names: the name for {language} must be one line of text, got {name!r}",
                remedy=f"e.g. site_names: {{{language}: Shop}}",
            )


def _validate_calendar(country: str, subdivision: str | None) -> None:
    """An unknown country names the country; an unknown subdivision names the subdivision
    and lists the valid ones of that country."""
    import holidays

    try:
        official = holidays.country_holidays(country, years=2026)
    except NotImplementedError:
        raise SettingsError(
            f"the holidays package has no calendar for country {country!r}",
            remedy="use an ISO 3166 code it supports, e.g. CN, US, DE",
        ) from None
    if subdivision is None:
        return
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=2026)
    except (NotImplementedError, ValueError):
        valid = tuple(getattr(type(official), "subdivisions", ()) or ())
        remedy = (
            f"use one of {', '.join(valid)}, or no subdivision for the national calendar"
            if valid
            else f"{country} has no subdivisions in the holidays package; remove `subdivision`"
        )
        raise SettingsError(
            f"unknown subdivision {subdivision!r} for country {country}", remedy=remedy
        ) from None


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without executing its Python tags (`!!python/name:`, `!ENV`)."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("", _ignore_tag)


def read_mkdocs_yml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_TolerantLoader)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise SettingsError(
            f"cannot parse YAML: {getattr(exc, 'problem', exc)}",
            file=str(path),
            line=line + 1 if line is not None else None,
            remedy="fix the YAML syntax of mkdocs.yml",
        ) from None
    return data if isinstance(data, dict) else {}


def plugin_options(mkdocs_config: dict[str, Any]) -> dict[str, Any] | None:
    """The options of the `policy` plugin entry, {} if listed bare, None if absent."""
    plugins = mkdocs_config.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [{k: v} for k, v in plugins.items()]
    for entry in plugins:
        if entry == "policy":
            return {}
        if isinstance(entry, dict) and "policy" in entry:
            return dict(entry["policy"] or {})
    return None


def from_plugin_config(
    config: PolicyConfig, *, site_url: str | None = None, site_name: str | None = None
) -> Settings:
    """Settings from an already validated plugin config (used by the MkDocs plugin)."""
    return validated(
        Settings(
            country=config.country,
            subdivision=config.subdivision,
            timezone=config.timezone,
            working_days=DEFAULT_WORKING_DAYS if config.working_days is None else config.working_days,
            window=_default_window(config.window, config.working_days),
            documents=_document_periods(config.documents),
            extra_holidays=frozenset(config.extra_holidays),
            extra_working_days=frozenset(config.extra_working_days),
            known_years=frozenset(config.known_years),
            policy_dir=config.policy_dir,
            cache_dir=config.cache_dir,
            site_url=site_url or None,
            site_name=site_name or None,
            answer_url=config.answer_url or None,
            answer_days=config.answer_days,
            pdf=config.pdf,
            languages=tuple(config.languages),
            engine=config.engine,
            site_names=tuple((str(k), v) for k, v in config.site_names.items()),
            review_months=config.review_months,
        )
    )


def load_settings(repo: Path, config_file: Path | None = None) -> Settings:
    """Settings of the repository: mkdocs.yml's `policy` plugin options, else defaults."""
    path = config_file or repo / "mkdocs.yml"
    if not path.exists():
        if config_file is not None:
            raise SettingsError("config file not found", file=str(path))
        return validated(Settings())
    data = read_mkdocs_yml(path)
    options = plugin_options(data) or {}
    config = PolicyConfig(config_file_path=str(path))
    config.load_dict(options)
    errors, _warnings = config.validate()
    if errors:
        name, error = errors[0]
        raise SettingsError(
            f"invalid option 'policy.{name}': {error}",
            file=str(path),
            remedy="fix the option under `plugins: - policy:` in mkdocs.yml",
        )
    return from_plugin_config(config, site_url=data.get("site_url"), site_name=data.get("site_name"))
