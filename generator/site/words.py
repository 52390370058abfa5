"""The site's own words, one catalogue per language: what the pages, the banner, the
pop-up, the footer link and `notice.js` say around the policy's text.

The theme's words (search, navigation, "Skip to content") are Material's, in the page's
language; a policy's words (titles, summaries, its text) come from its files. Everything
else a visitor reads is here. A language takes the catalogues along its tag, in its own
script (`catalogue_chain`: `zh-Hant-TW` -> `zh-Hant` -> `zh-TW`, never the Simplified
`zh`); a language without one gets the source language's words; English fills in what
they lack (key by key, so that a catalogue may be partial).

Values are plain text, some with `{name}` placeholders: `Words.say` fills them, escaping
each value for HTML unless it is markup already (a link made by a template).

Two sets of words are said by core rather than by a template, so they are typed objects
whose English defaults live in core (said there once): the redline's own words
(`RedlineWords`: badges, "(unchanged)", the screen reader's "[inserted: …]", its notes)
and why a date is provisional (`ScheduleWords`: "the 2027 holiday schedule is not known
yet"). A language gives its own beside its catalogue (`CHINESE_REDLINE`,
`CHINESE_SCHEDULES`); `Words.redline` and `Words.schedules` are the ones of a page's
language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from generator.core.diff import ENGLISH_REDLINE, RedlineWords
from generator.core.tags import fallbacks
from generator.core.translations import DEFAULT_LANGUAGE
from generator.core.window import ENGLISH_SCHEDULES, ScheduleWords

ENGLISH: dict[str, str] = {
    "site_name": "Policies",
    "home": "Home",
    "updates": "Updates",
    "all_versions_title": "{title}: all versions",
    "version_title": "{title}, version {version}",
    "changes_title": "{title}: changes from version {old} to {new}",
    "retired_text": "Version {new} is no longer the version in force, so this comparison is no longer kept.",
    "retired_since": "What changed from version {old} to the version in force, {current}",
    "retired_version": "The text of version {new}",
    "language_name": "English",
    # statuses shown to visitors
    "status_in_force": "In force",
    "status_pending": "Pending: takes effect later",
    "status_superseded": "Superseded",
    "status_never_in_force": "Never took effect: replaced before its effective date",
    "status_scheduled": "Draft: scheduled, not yet published",
    "status_draft": "Draft: uncommitted",
    # kinds of section changes
    "kind_added": "Added",
    "kind_removed": "Removed",
    "kind_changed": "Changed",
    "kind_moved": "Moved",
    # badges and facts
    "core_badge": "core rights",
    "core_badge_title": "changes a core-rights section",
    "draft_badge": "draft",
    "provisional_badge": "provisional",
    "provisional_badge_title": "Provisional: {reason}",
    "provisional_note": "This date is provisional: {reason}, so it may still change.",
    "fact_version": "Version",
    "fact_status": "Status",
    "fact_published": "Published",
    "fact_effective": "Effective",
    "fact_effective_never": "Was to take effect",
    "fact_until": "In force until",
    "all_versions": "All versions",
    "what_changed_from": "What changed from version {version}",
    "download_pdf": "Download version {version} as PDF",
    "permanent_address": "Permanent address of version {version}: ",
    "separator": " · ",
    "none": "—",
    "colon": ": ",
    # home page
    "draft_preview": "Draft preview",
    "draft_preview_text": "This preview includes scheduled and uncommitted versions. It is not the public site.",
    "home_in_force": "Version {version}, in force since {date}.",
    "home_version": "Version {version} ",
    "home_revision": "Revision {version} takes effect on {date}",
    "home_provisional": " (provisional date)",
    "home_end": ".",
    "home_read": " Read {new_text}",
    "home_read_and": " and {what_changes}",
    "home_new_text": "the new text",
    "home_what_changes": "what changes",
    "home_all_versions": "All versions of the {title}",
    "all_updates": "All updates",
    "atom_feed": "Atom feed",
    # document and version pages
    "callout_pending_title": "A revised version takes effect on {date}",
    "callout_pending": "Version {version} was published on {date}. Until it takes effect, the version below applies. ",
    "read_version": "Read version {version}",
    "see_what_changes": "See what changes",
    "core_sections_changed": "It changes sections on your core rights: {sections}.",
    "superseded_title": "This version has been superseded",
    "superseded_from": "It applied from {date}",
    "superseded_until": " until {date}",
    "superseded_end": ".",
    "superseded_current": " The version in force is {link} (since {date}).",
    "version_link": "version {version}",
    "never_title": "Never took effect",
    "never_replaced": "Replaced by {link} before it was to take effect on {date}.",
    "never_replaced_earlier": "Replaced by a later version before it was to take effect on {date}.",
    "pending_title": "This revised version takes effect on {date}",
    "pending_until_then": "Until then, {link} applies.",
    # a version read in the source language: this language has no text of it
    "untranslated_title": "Not translated",
    "untranslated_text": "Version {version} has no {language} text. The {source} text below is the one that applies.",
    "untranslated_mark": "({source})",
    "pending_earlier": "Until then, the earlier version applies.",
    "pending_see_what_changes": " {link}.",
    "draft_title": "Draft",
    "draft_text": "Not public. Publication: {published}; effective: {effective}. "
    "Visitors do not see this page until it is published.",
    "list_separator": ", ",
    # archive
    "archive_intro": "Every published version of the {link}, newest first. Each has a permanent address.",
    "col_version": "Version",
    "col_status": "Status",
    "col_published": "Published",
    "col_effective": "Effective",
    "col_until": "In force until",
    "col_summary": "Summary",
    "col_changes": "Changes",
    "col_since": "Since this version",
    # the redlines from an earlier version to the version in force and to a pending one
    "since_this_version": "What changed since this version",
    "pending_since_this_version": "What version {version} changes since this version",
    # redline page
    "from": "From",
    "to": "To",
    "status_of_version": "Status of version {version}",
    "changes_old": "{link}, effective {date}",
    "changes_new": "{link}, published {published}, effective {effective}",
    "changes_old_never": "{link}, which never took effect",
    "changes_new_never": "{link}, published {published}, which never took effect",
    "summary": "Summary:",
    "summaries_between": "This comparison spans several revisions. What each one changed:",
    "list_colon": ": ",
    "core_rights_title": "This revision changes your core rights",
    "core_rights_sections": "Core-rights sections affected: {sections}.",
    "sections_heading": "Sections",
    "no_section_changed": "No section changed in substance (wording of numbering or spacing only).",
    "redline_heading": "Redline",
    # finding the changes on a redline page
    "changed_sections_heading": "Changed sections",
    "kind_renamed": "Renamed",
    "renamed_from": "previously “{heading}”",
    "unchanged_sections_one": "{count} unchanged section",
    "unchanged_sections_many": "{count} unchanged sections",
    "change_position": "Change {number} of {count}",
    "previous_change": "Previous change",
    "next_change": "Next change",
    "redline_legend": "Inserted text is <ins>underlined</ins>; deleted text is <del>struck through</del>, "
    "inside the links, lists and tables it belongs to. A list item or table row added or removed is "
    "marked as a whole; a link whose address changed keeps its words, followed by a note with the old "
    "and the new address. Renumbering is not shown as a change.",
    # updates page
    "updates_intro": "Every revision of every policy, newest first. Subscribe with the {link}.",
    "update_facts": "Published {published} · effective {effective} · {status}",
    "update_facts_never": "Published {published} · never took effect: replaced by version {version}",
    "full_text": "Full text",
    "what_changed": "What changed",
    "data_files": "For developers, the same as data: {notices} (the open publicity windows) and "
    "{versions} (every published version).",
    "public_record": "The public record of every published text and the day the public first saw it: "
    "{log}, hash-chained; its last line hashes to {head}. Anyone can check it with "
    "<code>policyctl verify</code>.",
    # banner, pop-up, footer (the theme overrides and notice.js)
    "banner_label": "Policy update",
    "banner_lead": "Policy update:",
    "banner_text": "the {title} changes on {date} (version {version})",
    "banner_core": ", including your core rights",
    "banner_end": ".",
    "dialog_title_one": "A policy is changing",
    "dialog_title_many": "Our policies are changing",
    "dialog_takes_effect": "Takes effect on {date}. Until then the current version applies.",
    "dialog_core": "This revision changes how your personal information is collected, used or shared, "
    "or your rights.",
    "notice_core": "This revision changes your core rights.",
    "read_new_text": "Read the new text",
    "close": "Close",
    "dismiss": "Dismiss",
    "footer_updates": "Policy updates: ",
    "footer_change": "{title} changes on {date}",
    "footer_separator": "; ",
    "disagree": "If you do not agree, you may stop using our services, and we will keep processing your "
    "personal information under the version that applies now",
    "disagree_colon": ": ",
    "disagree_link": "how to tell us you object",
    "disagree_end": ".",
    "date_pattern": "{{day}} {{month}} {{year}}",
    "months": "January February March April May June July August September October November December",
    "draft_ribbon": "Draft preview",
    "draft_ribbon_text": ": includes scheduled and uncommitted versions. Not the public site.",
    # the Atom feed
    "feed_title": "{name}: policy updates",
    "feed_first": "First published version.",
    "feed_revised": "A revised text (it has no summary of what changed).",
    "feed_effective": " Effective {date}.",
    "feed_never": " Never took effect: replaced by version {version}.",
    "feed_core": " Changes core-rights sections.",
    "feed_core_label": "Changes core rights",
}

CHINESE: dict[str, str] = {
    "site_name": "政策",
    "home": "首页",
    "updates": "更新",
    "all_versions_title": "{title}：所有版本",
    "version_title": "{title}（版本 {version}）",
    "changes_title": "{title}：从版本 {old} 到版本 {new} 的变更",
    "retired_text": "版本 {new} 已不再是现行有效的版本，因此不再保留此对比。",
    "retired_since": "从版本 {old} 到现行有效版本 {current} 的变更",
    "retired_version": "版本 {new} 的全文",
    "language_name": "中文",
    "status_in_force": "现行有效",
    "status_pending": "待生效：稍后生效",
    "status_superseded": "已被取代",
    "status_never_in_force": "未生效：在生效前已被取代",
    "status_scheduled": "草稿：已排期，尚未发布",
    "status_draft": "草稿：尚未提交",
    "kind_added": "新增",
    "kind_removed": "删除",
    "kind_changed": "修改",
    "kind_moved": "移动",
    "core_badge": "核心权利",
    "core_badge_title": "修改了涉及核心权利的章节",
    "draft_badge": "草稿",
    "provisional_badge": "暂定",
    "provisional_badge_title": "暂定：{reason}",
    "provisional_note": "此日期为暂定日期：{reason}，因此仍可能变化。",
    "fact_version": "版本",
    "fact_status": "状态",
    "fact_published": "发布日期",
    "fact_effective": "生效日期",
    "fact_effective_never": "原定生效日期",
    "fact_until": "有效期至",
    "all_versions": "所有版本",
    "what_changed_from": "与版本 {version} 相比的变更",
    "download_pdf": "下载版本 {version} 的 PDF",
    "permanent_address": "版本 {version} 的永久地址：",
    "separator": " · ",
    "none": "—",
    "colon": "：",
    "draft_preview": "草稿预览",
    "draft_preview_text": "此预览包含已排期和尚未提交的版本，并非公开网站。",
    "home_in_force": "版本 {version}，自{date}起生效。",
    "home_version": "版本 {version} ",
    "home_revision": "修订版本 {version} 将于{date}生效",
    "home_provisional": "（暂定日期）",
    "home_end": "。",
    "home_read": " 阅读{new_text}",
    "home_read_and": "和{what_changes}",
    "home_new_text": "新文本",
    "home_what_changes": "变更内容",
    "home_all_versions": "{title}的所有版本",
    "all_updates": "所有更新",
    "atom_feed": "Atom 订阅源",
    "callout_pending_title": "修订版本将于{date}生效",
    "callout_pending": "版本 {version} 已于{date}发布。在其生效之前，以下版本继续适用。",
    "read_version": "阅读版本 {version}",
    "see_what_changes": "查看变更内容",
    "core_sections_changed": "本次修订涉及您核心权利的章节：{sections}。",
    "superseded_title": "此版本已被取代",
    "superseded_from": "此版本自{date}起适用",
    "superseded_until": "，至{date}止",
    "superseded_end": "。",
    "superseded_current": "现行版本为{link}（自{date}起）。",
    "version_link": "版本 {version}",
    "never_title": "此版本未生效",
    "never_replaced": "未生效：在原定于{date}生效之前，已被{link}取代。",
    "never_replaced_earlier": "未生效：在原定于{date}生效之前，已被之后的版本取代。",
    "pending_title": "此修订版本将于{date}生效",
    "pending_until_then": "在此之前，{link}继续适用。",
    "untranslated_title": "尚无译本",
    "untranslated_text": "版本 {version} 尚无{language}文本，以下{source}原文即为适用的文本。",
    "untranslated_mark": "（{source}原文）",
    "pending_earlier": "在此之前，之前的版本继续适用。",
    "pending_see_what_changes": " {link}。",
    "draft_title": "草稿",
    "draft_text": "未公开。发布日期：{published}；生效日期：{effective}。此页面发布之前访客无法看到。",
    "list_separator": "、",
    "archive_intro": "{link}的所有已发布版本，最新的在前。每个版本都有永久地址。",
    "col_version": "版本",
    "col_status": "状态",
    "col_published": "发布日期",
    "col_effective": "生效日期",
    "col_until": "有效期至",
    "col_summary": "摘要",
    "col_changes": "变更",
    "col_since": "自此版本以来",
    "since_this_version": "自此版本以来的变更",
    "pending_since_this_version": "版本 {version} 相对此版本的变更",
    "from": "原版本",
    "to": "新版本",
    "status_of_version": "版本 {version} 的状态",
    "changes_old": "{link}，{date}生效",
    "changes_new": "{link}，{published}发布，{effective}生效",
    "changes_old_never": "{link}（未生效）",
    "changes_new_never": "{link}，{published}发布，未生效",
    "summary": "摘要：",
    "summaries_between": "此对比跨越多次修订。各次修订的变更：",
    "list_colon": "：",
    "core_rights_title": "本次修订涉及您的核心权利",
    "core_rights_sections": "涉及核心权利的章节：{sections}。",
    "sections_heading": "章节",
    "no_section_changed": "没有章节发生实质变更（仅编号或空白的改动）。",
    "redline_heading": "修订对照",
    "changed_sections_heading": "变更的章节",
    "kind_renamed": "重命名",
    "renamed_from": "原为“{heading}”",
    "unchanged_sections_one": "{count} 个章节未变更",
    "unchanged_sections_many": "{count} 个章节未变更",
    "change_position": "第 {number} 处变更，共 {count} 处",
    "previous_change": "上一处变更",
    "next_change": "下一处变更",
    "redline_legend": "新增的文字以<ins>下划线</ins>标出；删除的文字以<del>删除线</del>标出，"
    "位于其所属的链接、列表和表格之中。整条新增或删除的列表项或表格行整体标出；"
    "地址变更的链接保留其文字，并在其后注明旧地址和新地址。重新编号不视为变更。",
    "updates_intro": "所有政策的每一次修订，最新的在前。可通过{link}订阅。",
    "update_facts": "{published}发布 · {effective}生效 · {status}",
    "update_facts_never": "{published}发布 · 未生效：在生效前已被版本 {version} 取代",
    "full_text": "全文",
    "what_changed": "变更内容",
    "data_files": "供开发者使用的数据：{notices}（正在公示的修订）和{versions}（所有已发布版本）。",
    "public_record": "公开记录：{log} 以哈希链记载每个已发布文本及公众首次看到它的日期；其最后一行的哈希值为 "
    "{head}。任何人都可以用 <code>policyctl verify</code> 核验。",
    "banner_label": "政策更新",
    "banner_lead": "政策更新：",
    "banner_text": "{title}将于{date}变更（版本 {version}）",
    "banner_core": "，涉及您的核心权利",
    "banner_end": "。",
    "dialog_title_one": "政策即将变更",
    "dialog_title_many": "我们的政策即将变更",
    "dialog_takes_effect": "将于{date}生效。在此之前，现行版本继续适用。",
    "dialog_core": "本次修订改变了我们收集、使用或共享您个人信息的方式，或您的权利。",
    "notice_core": "本次修订涉及您的核心权利。",
    "read_new_text": "阅读新文本",
    "close": "关闭",
    "dismiss": "关闭",
    "footer_updates": "政策更新：",
    "footer_change": "{title}将于{date}变更",
    "footer_separator": "；",
    "disagree": "如您不同意，可以停止使用我们的服务，我们将继续按照现行版本处理您的个人信息",
    "disagree_colon": "：",
    "disagree_link": "告诉我们您反对的方式",
    "disagree_end": "。",
    "date_pattern": "{{year}}年{{month_number}}月{{day}}日",
    "draft_ribbon": "草稿预览",
    "draft_ribbon_text": "：包含已排期和尚未提交的版本，并非公开网站。",
    "feed_title": "{name}：政策更新",
    "feed_first": "首个发布版本。",
    "feed_revised": "修订后的文本（未附变更摘要）。",
    "feed_effective": "{date}生效。",
    "feed_never": "未生效：在生效前已被版本 {version} 取代。",
    "feed_core": "涉及核心权利的章节有变更。",
    "feed_core_label": "涉及核心权利",
}

CHINESE_REDLINE = RedlineWords(
    unchanged="（未变更）",
    changed=CHINESE["kind_changed"],
    added="新增章节",
    removed="删除章节",
    moved=CHINESE["kind_moved"],
    core_rights=CHINESE["core_badge"],
    inserted="[新增：",
    deleted="[删除：",
    end="]",
    moved_after="已移动：此章节原位于“{heading}”之后。",
    moved_first="已移动：此章节原位于开头。",
    source_only="仅 Markdown 源文本有改动：文字读来相同。",
    renamed="已更名：原标题为“{heading}”。",
    link_changed="（链接已更改：{old} → {new}）",
    preamble="引言",
)
"""The redline's own words in Chinese (the English ones are `RedlineWords`' defaults)."""

CHINESE_SCHEDULES = ScheduleWords(
    one="{years}的节假日安排尚未公布",
    many="{years}的节假日安排尚未公布",
    year="{year}年",
    separator="、",
    last="和",
)
"""Why a date is provisional, in Chinese: "2027年的节假日安排尚未公布" (the English words
are `ScheduleWords`' defaults)."""

CATALOGUES: dict[str, Mapping[str, str]] = {"en": ENGLISH, "zh": CHINESE}
"""The catalogues by language tag. "zh" is Simplified Chinese: it serves "zh-CN" and
"zh-Hans-SG", never "zh-TW" or "zh-Hant" (`catalogue_chain`)."""
REDLINES: dict[str, RedlineWords] = {"zh": CHINESE_REDLINE}
SCHEDULES: dict[str, ScheduleWords] = {"zh": CHINESE_SCHEDULES}

NOTICE_JS_KEYS = (
    "banner_label",
    "banner_lead",
    "banner_text",
    "banner_core",
    "banner_end",
    "see_what_changes",
    "dialog_title_one",
    "dialog_title_many",
    "version_title",
    "dialog_takes_effect",
    "notice_core",
    "read_new_text",
    "close",
    "dismiss",
    "months",
)
"""The words notice.js shows, written into each language's notices.json."""


def _one_line(value: str) -> str:
    return " ".join(value.split())


class Words(Mapping[str, str]):
    """The words of one language (English for what its catalogue lacks). In a template:
    `t.home` for a word, `t.say("home_in_force", version=..., date=...)` for a sentence;
    in Python, `t["home"]` for the plain text."""

    def __init__(self, language: str, source: str = DEFAULT_LANGUAGE) -> None:
        self.language, self.source = language, source
        chain = catalogue_chain(language, source)
        self._words = {**ENGLISH}
        for code in reversed(chain):
            self._words.update(CATALOGUES[code])
        self.redline: RedlineWords = next((REDLINES[c] for c in chain if c in REDLINES), ENGLISH_REDLINE)
        """The redline's own words (badges, notes, what a screen reader says)."""
        self.schedules: ScheduleWords = next(
            (SCHEDULES[c] for c in chain if c in SCHEDULES), ENGLISH_SCHEDULES
        )
        """How to say that a holiday schedule is not known yet (a provisional date)."""

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __getattr__(self, key: str) -> Markup:
        """A word for a template (`t.home`): our own text, printed as it is (the page
        templates would otherwise trim its spaces: " · ")."""
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return Markup(self._words[key])
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Any:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def text(self, key: str, **values: object) -> str:
        """The word or sentence as plain text, its placeholders filled."""
        return self._words[key].format(**{k: _one_line(str(v)) for k, v in values.items()})

    def say(self, key: str, **values: object) -> Markup:
        """The sentence as HTML: catalogue text is markup; each value is HTML-escaped
        unless it is markup already (a link made by the template)."""
        filled = {k: v if isinstance(v, Markup) else _one_line(str(v)) for k, v in values.items()}
        return Markup(self._words[key]).format(**filled)


def catalogue_chain(language: str, source: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The catalogues that give `language` its words, first the one that wins: the
    language's own along its tag, in its script (`zh-Hant-TW`: zh-Hant-TW, zh-Hant, zh-TW;
    never the Simplified `zh`), else the source language's (`source`) the same way;
    English fills in what they lack."""
    own = [c for c in fallbacks(language) if c in CATALOGUES]
    return tuple(own or [c for c in fallbacks(source) if c in CATALOGUES])


@functools.cache
def words(language: str, source: str = DEFAULT_LANGUAGE) -> Words:
    """The words of `language`, on a site whose source language is `source` (one `Words`
    per language: a page asks many times)."""
    return Words(language, source)
