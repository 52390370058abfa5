"""Every language in step (issue 14), what a registered user gets: the notice in their
own language when the site has it, else in the source language, with links into that
language's pages.

History: the privacy policy 1.0 in English and Chinese, published 1 September 2026;
2.0 in both, published 30 September 2026 (a core-rights change to "Collection",
effective 16 October 2026). The site (`languages: [en, zh]`) is built as of 8 October,
in 2.0's window, and `policyctl notify` sends 2.0's notice through a real SMTP server
and a webhook receiver on loopback to Chen (zh-CN), Ann (en) and Marie (fr). One
repository, site and campaign serve the whole module.
"""

from __future__ import annotations

import contextlib
import email.message
import io
import json
import re
import threading
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from aiosmtpd.controller import Controller
from browser_support import build_site
from notify_support import Receiver, SmtpServer, make_revision, revision_json
from test_translations import ZH_POLICY
from tests_support import BASE_POLICY, PolicyRepo, free_port, policy_file

from generator.commands import main as policyctl_main
from generator.commands.answers import application
from notify.common.secrets import ANSWER_SECRET_ENV
from notify.contract.revision import Translation, load_revision, match_language, notice_language
from notify.delivery.channels.message import Composer, Sender, Templates

SITE = "https://shop.example/legal/"
ANSWER_URL = "https://shop.example/policy/answer"
SECRET = "languages-test-secret-0123456789"
PRIVACY, PRIVACY_ZH = "policy/privacy.md", "policy/privacy.zh.md"

# Both languages have the rights section the notices link to (how to object).
EN_BODY = BASE_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Your Rights {#rights .core-rights}\n\nYou may object to a revision.\n\n## IV. Contact {#contact}",
)
ZH_BODY = ZH_POLICY.replace(
    "## 三、联系我们 {#contact}",
    "## 三、您的权利 {#rights .core-rights}\n\n您可以对修订提出异议。\n\n## 四、联系我们 {#contact}",
)
MKDOCS_YML = f"""\
site_name: Shop
site_url: {SITE}
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh]
      answer_url: {ANSWER_URL}
      answer_days: 36500
"""
# 2.0 in both languages: a core-rights change to "Collection" (phone numbers).
EN_V2 = policy_file(
    EN_BODY.replace("name and email address", "name, email address and phone number"),
    version="2.0",
    published="2026-09-30",
    summary="We now collect your phone number.",
)
ZH_V2 = policy_file(
    ZH_BODY.replace("姓名和电子邮件地址", "姓名、电子邮件地址和电话号码"),
    version="2.0",
    title="隐私政策",
    summary="我们现在收集您的电话号码。",
)
USERS = "id,email,name,locale\nu-zh,chen@example.com,陈,zh-CN\nu-en,ann@example.com,Ann,en\nu-fr,marie@example.com,Marie,fr\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The built two-language site, and the messages and webhook bodies of the campaign."""
    root = tmp_path_factory.mktemp("notify-languages")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, policy_file(EN_BODY, version="1.0", published="2026-09-01"))
    repo.write(PRIVACY_ZH, policy_file(ZH_BODY, version="1.0", title="隐私政策"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    repo.write("users.csv", USERS)
    site = build_site(repo.path, "2026-10-08", root / "site")

    smtp = SmtpServer()
    smtp.port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port, ready_timeout=10)
    controller.start()
    receiver = Receiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    out, err = io.StringIO(), io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(ANSWER_SECRET_ENV, SECRET)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = policyctl_main(
                    [
                        "notify", "--repo", str(repo.path), "--as-of", "2026-10-08",
                        "--recipients", str(repo.path / "users.csv"),
                        "--smtp", f"smtp://127.0.0.1:{smtp.port}",
                        "--webhook", receiver.url("/hook"),
                    ]
                )  # fmt: skip
    finally:
        controller.stop()
        receiver.shutdown()
        receiver.server_close()
    assert code == 0, err.getvalue()
    yield {
        "repo": repo,
        "site": site,
        "messages": {m.rcpt[0]: m.message for m in smtp.received},
        "payloads": {p.email: p.payload for p in receiver.posts},
    }


# ------------------------------------------------------------------ helpers


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def page_of(site: Path, link: str) -> Path:
    """The built page a link into the site opens; its anchor must be an id on that page."""
    parts = urlsplit(link)
    assert link.startswith(SITE), link
    page = site / unquote(parts.path.removeprefix(urlsplit(SITE).path)) / "index.html"
    assert page.is_file(), f"{link} leads to no page of the built site"
    if parts.fragment:
        ids = _Ids()
        ids.feed(page.read_text(encoding="utf-8"))
        assert unquote(parts.fragment) in ids.ids, f"{link}: no such anchor on the page"
    return page


def site_links(message: email.message.EmailMessage) -> set[str]:
    """Every link into the site, from the text and the HTML part."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return set(re.findall(re.escape(SITE) + r"[^\s<>\"']*", text)) | set(
        re.findall(r'href="(' + re.escape(SITE) + r'[^"]*)"', html)
    )


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def answer_link(message: email.message.EmailMessage) -> str:
    match = re.search(re.escape(ANSWER_URL) + r"\?token=[A-Za-z0-9_.%-]+", text_of(message))
    assert match, text_of(message)
    return match.group(0)


@pytest.fixture(scope="module")
def answer_page(world: dict) -> Iterator:
    """The answer page (`generator.commands.answers.application`) in-process over the repository."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(ANSWER_SECRET_ENV, SECRET)
        app = application(world["repo"].path, f"sqlite:///{world['repo'].path / 'answers.sqlite3'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "install httpx2": the client works as it is
        from starlette.testclient import TestClient
    with TestClient(app) as client:
        yield client


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ------------------------------------------------------------------ the email


def test_the_chinese_users_email_is_in_chinese_and_every_link_opens_a_zh_page_of_the_built_site(world):
    chen = world["messages"]["chen@example.com"]
    assert chen["Subject"] == "即将变更：《隐私政策》2.0 版，生效时间 2026年10月16日 00:00 (UTC+08:00)"
    assert chen["Content-Language"] == "zh"
    text = text_of(chen)
    assert "陈，您好：" in text
    assert "我们现在收集您的电话号码。" in text  # the Chinese summary
    assert "个人信息的收集" in text  # the changed core-rights section, by its Chinese title
    assert "Privacy Policy" not in text and "phone number" not in text and "October" not in text
    links = site_links(chen)
    assert {
        f"{SITE}zh/privacy/versions/2.0/",
        f"{SITE}zh/privacy/changes/1.0-to-2.0/",
        f"{SITE}zh/privacy/#rights",
    } <= links
    for link in links:
        assert link.startswith(f"{SITE}zh/"), link
        assert '<html lang="zh"' in page_of(world["site"], link).read_text(encoding="utf-8")


def test_the_english_user_gets_english_with_the_source_languages_links(world):
    ann = world["messages"]["ann@example.com"]
    assert (
        ann["Subject"]
        == "Upcoming change: Privacy Policy version 2.0, effective 16 October 2026, 00:00 (UTC+08:00)"
    )
    assert "We now collect your phone number." in text_of(ann)
    assert "隐私政策" not in text_of(ann)
    links = site_links(ann)
    assert {
        f"{SITE}privacy/versions/2.0/",
        f"{SITE}privacy/changes/1.0-to-2.0/",
        f"{SITE}privacy/#rights",
    } <= links
    for link in links:
        assert not link.startswith(f"{SITE}zh/"), link
        assert '<html lang="en"' in page_of(world["site"], link).read_text(encoding="utf-8")


def test_a_user_whose_language_the_site_lacks_gets_the_source_language(world):
    marie, ann = world["messages"]["marie@example.com"], world["messages"]["ann@example.com"]
    assert marie["Subject"] == ann["Subject"]
    assert marie["Content-Language"] == "en"
    assert site_links(marie) == site_links(ann)
    assert "Dear Marie," in text_of(marie)


# ------------------------------------------------------------------ the webhook


def test_the_webhook_body_speaks_each_recipients_language(world):
    chen, ann, marie = (
        world["payloads"][a] for a in ("chen@example.com", "ann@example.com", "marie@example.com")
    )
    assert chen["language"] == "zh" and chen["title"] == "隐私政策"
    assert chen["summary"] == "我们现在收集您的电话号码。"
    assert chen["core_sections"] == [{"id": "collection", "title": "个人信息的收集"}]
    assert [s["id"] for s in ann["core_sections"]] == ["collection"]
    assert chen["url"] == f"{SITE}zh/privacy/versions/2.0/"
    assert chen["changes_url"] == f"{SITE}zh/privacy/changes/1.0-to-2.0/"
    assert chen["rights_url"] == f"{SITE}zh/privacy/#rights"
    for page in (chen["url"], chen["changes_url"], chen["rights_url"]):
        page_of(world["site"], page)
    assert ann["language"] == marie["language"] == "en" and ann["title"] == "Privacy Policy"
    assert ann["url"] == marie["url"] == f"{SITE}privacy/versions/2.0/"
    assert chen["recipient"]["locale"] == "zh-CN"  # the recipient's own locale, as given


# ------------------------------------------------------------------ the answer page


def test_the_chinese_users_personal_link_opens_the_answer_page_in_chinese_linking_zh_pages(
    world, answer_page
):
    link = answer_link(world["messages"]["chen@example.com"])
    token = parse_qs(urlsplit(link).query)["token"][0]
    page = answer_page.get(urlsplit(ANSWER_URL).path, params={"token": token})
    assert page.status_code == 200
    assert '<html lang="zh">' in page.text
    words = visible(page.text)
    assert "《隐私政策》2.0 版本" in words and "我们现在收集您的电话号码。" in words
    assert "个人信息的收集" in words
    assert "Privacy Policy" not in words
    hrefs = re.findall(r'href="([^"]+)"', page.text)
    assert f"{SITE}zh/privacy/versions/2.0/" in hrefs and f"{SITE}zh/privacy/changes/1.0-to-2.0/" in hrefs
    for href in hrefs:
        page_of(world["site"], href)

    english = answer_page.get(
        urlsplit(ANSWER_URL).path,
        params={
            "token": parse_qs(urlsplit(answer_link(world["messages"]["ann@example.com"])).query)["token"][0]
        },
    )
    assert "Privacy Policy, version 2.0" in visible(english.text)
    assert f'href="{SITE}privacy/versions/2.0/"' in english.text


@pytest.mark.parametrize(
    ("accept_language", "lang", "title", "document_url"),
    [
        ("fr-FR,fr;q=0.9,zh-CN;q=0.8", "zh", "隐私政策", f"{SITE}zh/privacy/"),
        ("zh;q=0.5,en;q=0.9", "en", "Privacy Policy", f"{SITE}privacy/"),
        ("fr", "en", "Privacy Policy", f"{SITE}privacy/"),
    ],
    ids=["first-site-language-wanted", "by-quality", "none-of-the-sites-languages"],
)
def test_the_general_answer_page_follows_the_browsers_language_among_the_sites(
    answer_page, accept_language, lang, title, document_url
):
    page = answer_page.get(urlsplit(ANSWER_URL).path, headers={"Accept-Language": accept_language})
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert f'<a href="{document_url}">{title}</a>' in page.text


# ------------------------------------------------------------------ the rule, and revision files


@pytest.mark.parametrize(
    ("locale", "languages", "expected"),
    [
        ("zh-CN", ("en", "zh"), "zh"),
        ("zh_CN", ("en", "zh"), "zh"),
        ("ZH", ("en", "zh"), "zh"),
        ("en-GB", ("en", "zh"), "en"),
        ("zh-Hant-TW", ("en", "zh-Hant", "zh"), "zh-Hant"),
        ("zh-TW", ("en", "zh-TW", "zh"), "zh-TW"),
        ("zh", ("en", "zh-TW"), None),  # never widened: Traditional is not every Chinese reader's
        ("fr", ("en", "zh"), None),
        ("", ("en", "zh"), None),
    ],
)
def test_a_locale_matches_the_configured_language_exactly_then_by_its_primary_subtag(
    locale, languages, expected
):
    assert match_language(locale, languages) == expected


def test_a_notice_falls_back_to_the_source_language_and_one_language_sites_keep_the_locale():
    assert notice_language("fr", ("zh", "en")) == "zh"  # the source language, whichever it is
    assert notice_language("zh-CN", ("en", "zh")) == "zh"
    # A revision the site's Chinese pages do not carry (from before the translation's file
    # existed) is announced in the source language to everyone: never Chinese words around it.
    untranslated = make_revision(language="en", languages=("en", "zh"))
    assert untranslated.language_for("zh-CN") == "en"
    composer = Composer(untranslated, Sender.parse("Shop <privacy@shop.example>"), Templates([]))
    assert composer.subject("zh-CN").startswith("Upcoming change: Privacy Policy version 2.0")
    # One language (the default) or none known: the templates follow the locale, as before.
    assert notice_language("zh-CN", ("en",)) == "zh-CN"
    assert notice_language("zh-CN", ()) == "zh-CN"


def test_a_revision_file_with_translations_round_trips_and_one_from_before_still_loads(tmp_path):
    translated = make_revision(
        language="en",
        languages=("en", "zh"),
        translations=(Translation("zh", "隐私政策", "摘要", (("sharing", "五、共享"),), "u", "c", "r"),),
    )
    path = tmp_path / "revision.json"
    path.write_text(json.dumps(translated.to_json(), ensure_ascii=False), encoding="utf-8")
    assert load_revision(path) == translated
    assert load_revision(path).for_locale("zh-CN").title == "隐私政策"
    assert load_revision(path).for_locale("zh-CN").core_sections == (("sharing", "五、共享"),)

    old = json.loads(revision_json(make_revision(), tmp_path / "old.json").read_text(encoding="utf-8"))
    for field in ("language", "languages", "translations"):
        old.pop(field)
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    before = load_revision(tmp_path / "old.json")
    assert before == make_revision()
    assert before.language_for("zh-CN") == "zh-CN"  # the Chinese templates, as before


def test_a_revision_file_whose_translation_is_not_an_object_is_refused(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(make_revision().to_json() | {"translations": ["zh"]}), encoding="utf-8")
    assert policyctl_main(["notify", "--revision-file", str(path), "--repo", str(tmp_path)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert f"cannot read --revision-file {path}: a translation is an object" in said
