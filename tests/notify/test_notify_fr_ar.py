"""Every language done right on the notify side (issue 23): French and Arabic readers get
their email and their answer page in their language and direction, the email offers one
way to object with one deadline, the browser's Accept-Language is negotiated by Babel,
and the catalogues stay in step with the templates.

History: the privacy policy 1.0 in English, French and Arabic, published 1 September 2026;
2.0 in all three, published 30 September 2026 (a core-rights change to "Collection",
effective 16 October 2026). The site has `languages: [en, fr, ar]` and an answer page on
loopback (links valid 90 days after the change: until 14 January 2027). `policyctl
notify` sends 2.0's notice on 8 October through a real SMTP server (aiosmtpd) on loopback
to Amina (ar-EG), Marie (fr-FR) and Ann (en); `policyctl answers serve` runs as its own
process (uvicorn), and Amina opens her link in headless Chromium, checked with axe.
"""

from __future__ import annotations

import email.message
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from browser_support import chromium
from notify_support import CST, ROOT, make_revision, smtp_campaign
from test_accessibility import axe_findings
from tests_support import BASE_POLICY, PolicyRepo, free_port, policy_file

from notify.answers.app import create_app
from notify.answers.rule import Catalogue, DocumentFacts, VersionFacts
from notify.common.dates import format_date
from notify.common.secrets import ANSWER_SECRET_ENV
from notify.contract.tags import accepted, direction, match_language, negotiate
from notify.delivery.channels.message import Composer, Sender, Templates
from notify.delivery.channels.webhook import WebhookChannel
from notify.delivery.ledger.ledger import Claimed

SECRET = "fr-ar-test-secret-0123456789abcdef"
SITE = "https://shop.example/legal/"
PRIVACY = "policy/privacy.md"

EN = BASE_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Your Rights {#rights .core-rights}\n\nYou may object to a revision.\n\n## IV. Contact {#contact}",
)
FR = """\
Introduction de la politique.

## I. Champ d’application {#scope}

La présente politique s’applique au site web.

## II. Collecte des données personnelles {#collection .core-rights}

Nous collectons votre nom et votre adresse e-mail.

### (I) Informations que vous fournissez {#information-you-provide}

1. Données de compte : nom, e-mail.
2. Données de commande : adresse.

## III. Vos droits {#rights .core-rights}

Vous pouvez vous opposer à une révision.

## IV. Contact {#contact}

Écrivez à privacy@example.com.
"""
AR = """\
مقدمة السياسة.

## أولًا: نطاق التطبيق {#scope}

تنطبق هذه السياسة على الموقع الإلكتروني.

## ثانيًا: جمع البيانات الشخصية {#collection .core-rights}

نجمع اسمكم وعنوان بريدكم الإلكتروني.

### (أ) المعلومات التي تقدّمونها {#information-you-provide}

1. بيانات الحساب: الاسم، البريد الإلكتروني.
2. بيانات الطلب: العنوان.

## ثالثًا: حقوقكم {#rights .core-rights}

يمكنكم الاعتراض على أي مراجعة.

## رابعًا: الاتصال بنا {#contact}

راسلونا على privacy@example.com.
"""
TEXTS = {
    "en": (EN, "Privacy Policy", "name and email address", "name, email address and phone number",
           "We now collect your phone number."),
    "fr": (FR, "Politique de confidentialité", "votre nom et votre adresse e-mail",
           "votre nom, votre adresse e-mail et votre numéro de téléphone",
           "Nous collectons désormais votre numéro de téléphone."),
    "ar": (AR, "سياسة الخصوصية", "اسمكم وعنوان بريدكم الإلكتروني", "اسمكم وعنوان بريدكم الإلكتروني ورقم هاتفكم",
           "نجمع الآن رقم هاتفكم."),
}  # fmt: skip
USERS = (
    "id,email,name,locale\n"
    "u-ar,amina@example.com,Amina,ar-EG\n"
    "u-fr,marie@example.com,Marie,fr-FR\n"
    "u-en,ann@example.com,Ann,en\n"
)
# The day the personal links stop working (90 days after 16 October 2026), as each reads it.
EXPIRES = {"en": "14 January 2027", "fr": "14 janvier 2027", "ar": "14 يناير 2027"}
EFFECTIVE = {"en": "16 October 2026", "fr": "16 octobre 2026", "ar": "16 أكتوبر 2026"}


def _file(language: str) -> str:
    return PRIVACY if language == "en" else f"policy/privacy.{language}.md"


def _wait_for(port: int, service: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if service.poll() is not None or time.monotonic() > deadline:
                service.kill()
                raise AssertionError(f"answers serve did not start: {service.communicate()[1]}") from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The three-language repository, the notices sent through SMTP, and the answer service."""
    root = tmp_path_factory.mktemp("notify-fr-ar")
    repo = PolicyRepo.create(root / "repo")
    port = free_port()
    answer_url = f"http://127.0.0.1:{port}/policy/answer"
    repo.write(
        "mkdocs.yml",
        f"site_name: Shop\nsite_url: {SITE}\nplugins:\n  - policy:\n      languages: [en, fr, ar]\n"
        f"      answer_url: {answer_url}\n      answer_days: 90\n",
    )
    for language, (body, title, _, _, _) in TEXTS.items():
        repo.write(_file(language), policy_file(body, version="1.0", published="2026-09-01", title=title))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English, French and Arabic")
    for language, (body, title, before, after, summary) in TEXTS.items():
        assert before in body
        repo.write(
            _file(language),
            policy_file(
                body.replace(before, after),
                version="2.0",
                published="2026-09-30",
                title=title,
                summary=summary,
            ),
        )
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English, French and Arabic")
    repo.write("users.csv", USERS)

    code, said, messages = smtp_campaign(repo.path, "2026-10-08", secret=SECRET)
    assert code == 0, said

    ledger = f"sqlite:///{repo.path / '.policy' / 'ledger.sqlite3'}"
    service = subprocess.Popen(
        [
            sys.executable, "-c", "from generator.commands import main; raise SystemExit(main())",
            "answers", "serve", "--repo", str(repo.path), "--ledger", ledger,
            "--listen", f"127.0.0.1:{port}", "--as-of", "2026-10-08T12:00",
        ],
        cwd=ROOT,
        env={**os.environ, ANSWER_SECRET_ENV: SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_for(port, service)
    try:
        yield {
            "repo": repo,
            "answer_url": answer_url,
            "messages": messages,
        }
    finally:
        service.terminate()
        service.wait(timeout=30)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def personal_link(world: dict, address: str) -> str:
    match = re.search(
        re.escape(world["answer_url"]) + r"\?token=[A-Za-z0-9_.%-]+", text_of(world["messages"][address])
    )
    assert match, text_of(world["messages"][address])
    return match.group(0)


# ------------------------------------------------------------------ the emails


def test_the_arabic_recipient_gets_an_arabic_email_written_right_to_left(world):
    amina = world["messages"]["amina@example.com"]
    assert amina["Subject"].startswith(
        "تغيير قادم: سياسة الخصوصية، الإصدار 2.0، يسري اعتبارًا من 16 أكتوبر 2026"
    )
    # The offset stays one left-to-right run between its marks, as in the body: its
    # parentheses do not turn around in a right-to-left subject line.
    assert amina["Subject"].endswith("\u200e(UTC+08:00)\u200e")
    assert amina["Content-Language"] == "ar"  # the site's language the locale reads
    text, html = text_of(amina), html_of(amina)
    assert text.startswith("مرحبًا Amina،")
    assert "نحن بصدد تعديل سياسة الخصوصية." in text  # the wording, with the Arabic title
    assert "نجمع الآن رقم هاتفكم." in text  # the Arabic summary
    assert "ثانيًا: جمع البيانات الشخصية" in text  # the changed section, by its Arabic title
    assert f"{SITE}ar/privacy/versions/2.0/" in text
    for english in ("Dear", "What changes", "If you do not agree", "Privacy Policy", "October"):
        assert english not in text and english not in visible(html)
    assert re.findall(r"<html[^>]*>", html) == ['<html lang="ar" dir="rtl">']
    # Every line of words in the text part begins with an Arabic letter (links and list
    # items are indented): mail programs that take a paragraph's direction from its first
    # letter show it right to left.
    sender = amina["From"].addresses[0].display_name
    for line in text.splitlines():
        if line and not line.startswith(" ") and line != sender:
            assert not line[0].isascii(), line


def test_the_french_recipient_gets_a_french_email(world):
    marie = world["messages"]["marie@example.com"]
    # The catalogue's no-break space before the colon is kept: the colon never starts a line.
    assert marie["Subject"] == (
        "Modification à venir\u00a0: Politique de confidentialité, version 2.0, "
        "en vigueur le 16 octobre 2026, 00:00 (UTC+08:00)"
    )
    assert marie["Content-Language"] == "fr"
    text, html = text_of(marie), html_of(marie)
    assert text.startswith("Bonjour Marie,")
    assert "Nous modifions notre Politique de confidentialité." in text
    assert "Nous collectons désormais votre numéro de téléphone." in text
    assert f"{SITE}fr/privacy/#rights" in text
    assert re.findall(r"<html[^>]*>", html) == ['<html lang="fr">']
    assert "Dear" not in text and "What changes" not in text


@pytest.mark.parametrize("address,language", [("amina@example.com", "ar"), ("marie@example.com", "fr"),
                                              ("ann@example.com", "en")])  # fmt: skip
def test_the_email_states_one_way_to_object_and_one_deadline(world, address, language):
    """The personal link is the way to object, stated once with the day it stops working
    (the deadline the answer service enforces); the rights section is linked only as where
    to read one's rights, never as a second way with another deadline."""
    message = world["messages"][address]
    text, html = text_of(message), html_of(message)
    link = personal_link(world, address)
    rights = f"{SITE}{'' if language == 'en' else language + '/'}privacy/#rights"
    for part in (text, html.replace("&amp;", "&")):
        assert part.count(link) == 1 and part.count(rights) == 1
        assert part.count(EXPIRES[language]) == 1  # the one deadline, stated once
    # The effective date is said once, as the fact it is, not as a deadline to object by.
    assert text.count(EFFECTIVE[language]) == 1
    rights_label = re.search(r'<a href="' + re.escape(rights) + r'">([^<]*)</a>', html)
    assert rights_label is not None
    assert (
        rights_label.group(1)
        == {
            "en": "Your rights under this policy",
            "fr": "Vos droits au titre de cette politique",
            "ar": "حقوقكم بموجب هذه السياسة",
        }[language]
    )
    before_link = text[: text.index(link)]
    sentence = before_link.strip().splitlines()[-1]
    assert EXPIRES[language] in sentence  # the deadline is the link's own
    assert {"en": "personal link", "fr": "lien personnel", "ar": "رابطكم الشخصي"}[language] in sentence


def test_without_an_answer_page_the_rights_section_is_the_way_with_the_effective_date():
    revision = make_revision()  # no answer_url: no personal link
    composer = Composer(revision, Sender.parse("Shop <privacy@shop.example>"), Templates([]))
    expected = {
        "en": "If you do not agree, you can object or withdraw your consent before the change takes "
        "effect on 16 October 2026, 00:00 (UTC+08:00).",
        "fr": "Si vous n’êtes pas d’accord, vous pouvez vous y opposer ou retirer votre consentement avant "
        "l’entrée en vigueur de la modification, le 16 octobre 2026, 00:00 (UTC+08:00).",
        "ar": "إذا لم توافقوا، يمكنكم الاعتراض أو سحب موافقتكم قبل دخول التغيير حيّز التنفيذ في 16 أكتوبر 2026، ",
    }
    for language, sentence in expected.items():
        message = email.message_from_bytes(
            composer.build("a@users.example", "A", language, "<1@shop.example>"),
            policy=email.policy.default,  # type: ignore[attr-defined]
        )
        text = text_of(message)  # type: ignore[arg-type]
        assert sentence in text, text
        assert text.count(revision.rights_url) == 1
        assert "token=" not in text and EXPIRES[language] not in text


def test_the_webhook_body_carries_the_links_one_deadline(monkeypatch):
    monkeypatch.setenv(ANSWER_SECRET_ENV, SECRET)
    revision = make_revision(
        answer_url="https://shop.example/answer", answer_expires=datetime(2027, 1, 14, tzinfo=CST)
    )
    channel = WebhookChannel("http://127.0.0.1:9/hook", None, revision, allow_insecure=False)
    body = json.loads(channel.body(Claimed(1, "a@example.com", "A", "ar", "a@example.com", "1", "<m@x>")))
    assert body["answer_expires"] == "2027-01-14T00:00:00+08:00" and "token=" in body["answer_url"]
    without = WebhookChannel("http://127.0.0.1:9/hook", None, make_revision(), allow_insecure=False)
    assert "answer_expires" not in json.loads(
        without.body(Claimed(1, "a@x.example", "", "", "a@x.example", "", "<m>"))
    )


# ------------------------------------------------------------------ the answer page


def test_the_arabic_answer_page_is_right_to_left_in_chromium_with_no_serious_axe_finding(world):
    link = personal_link(world, "amina@example.com")
    with chromium() as browser:
        context = browser.new_context(locale="ar-EG", bypass_csp=True)  # axe is injected
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = context.new_page()
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.lang") == "ar"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert page.inner_text("h1") == "سياسة الخصوصية، الإصدار 2.0"
        body = page.inner_text("main")
        assert "نجمع الآن رقم هاتفكم." in body and "هل توافقون؟" in body
        # The page's text starts at the right: its heading's right edge is the main's.
        edges = page.evaluate(
            "() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('h1'));"
            " return [r.getBoundingClientRect().right, document.querySelector('main').getBoundingClientRect().right]; }"
        )
        assert abs(edges[0] - edges[1]) < 2, edges
        assert axe_findings(page) == []
        page.click("button[value=object]")
        page.wait_for_selector("#confirmation")
        confirmation = page.inner_text("#confirmation")
        assert (
            "شكرًا لكم: تم تسجيل ردّكم" in confirmation and "يمكنكم التوقف عن استخدام خدماتنا." in confirmation
        )
        assert axe_findings(page) == []
        context.close()


def test_the_general_answer_page_negotiates_accept_language_with_babel(world):
    with httpx.Client(timeout=30) as client:
        french = client.get(world["answer_url"], headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
        assert french.status_code == 200
        assert '<html lang="fr">' in french.text and "Comment répondre" in french.text
        assert f'<a href="{SITE}fr/privacy/">Politique de confidentialité</a>' in french.text
        arabic = client.get(world["answer_url"], headers={"Accept-Language": "ar-SA, en;q=0.2"})
        assert '<html lang="ar" dir="rtl">' in arabic.text and "كيفية الرد" in arabic.text
        german = client.get(world["answer_url"], headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert '<html lang="en">' in german.text and "How to answer" in german.text


def _one_language_app(tmp_path: Path, locales: list[Path] | None = None):
    document = DocumentFacts(
        "privacy",
        "Privacy Policy",
        (
            VersionFacts("1.0", datetime(2026, 9, 1, tzinfo=CST), datetime(2026, 9, 1, tzinfo=CST)),
            VersionFacts("2.0", datetime(2026, 10, 16, tzinfo=CST), datetime(2026, 9, 30, tzinfo=CST)),
        ),
    )
    app = create_app(
        Catalogue((document,)),
        ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        answer_url="https://shop.example/policy/answer",
        secret=SECRET,
        clock=lambda: datetime(2026, 10, 3, 12, tzinfo=CST).timestamp(),
        locales=locales,
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "install httpx2": the client works as it is
        from starlette.testclient import TestClient
    return TestClient(app)


def test_on_a_one_language_site_the_page_follows_the_browser_among_the_catalogues(tmp_path):
    with _one_language_app(tmp_path) as client:
        page = client.get("/policy/answer", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
        assert (
            '<html lang="fr">' in page.text and "Votre réponse à une révision de nos politiques" in page.text
        )
        chinese = client.get("/policy/answer", headers={"Accept-Language": "zh-Hant-TW,en;q=0.5"})
        assert '<html lang="zh">' in chinese.text  # no Traditional catalogue: the Chinese one


@pytest.mark.parametrize("language,words", [("he", "איך עונים"), ("fa", "چگونه پاسخ دهید"),
                                            ("ur", "جواب کیسے دیں")])  # fmt: skip
def test_a_language_added_with_a_catalogue_alone_gets_its_words_and_direction(tmp_path, language, words):
    """An operator's catalogue (<repo>/locale/<tag>/LC_MESSAGES/notify.po) is all a language
    needs: its words, and right to left for he, fa and ur."""
    folder = tmp_path / "locale" / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "notify.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "How to answer"\nmsgstr "{words}"\n',
        encoding="utf-8",
    )
    with _one_language_app(tmp_path, [tmp_path / "locale"]) as client:
        page = client.get("/policy/answer", headers={"Accept-Language": language})
        assert f'<html lang="{language}" dir="rtl">' in page.text and f"<h2>{words}</h2>" in page.text
        assert "personal link" in page.text  # a message the catalogue lacks: the English


# ------------------------------------------------------------------ the rules


def test_language_tags_are_negotiated_by_script_then_by_babel():
    assert accepted("fr-CA,fr;q=0.9,en;q=0.5") == ["fr-CA", "fr", "en"]
    assert negotiate(accepted("fr-CA,fr;q=0.9,en;q=0.5"), ("en", "zh", "fr", "ar")) == "fr"
    assert negotiate(["de", "ar-SA"], ("en", "ar")) == "ar"
    assert match_language("zh-TW", ("en", "zh", "zh-Hant")) == "zh-Hant"  # never Simplified then
    assert match_language("zh-Hant-TW", ("en", "zh", "zh-Hant")) == "zh-Hant"
    assert match_language("zh-Hant-TW", ("en", "zh")) == "zh"  # no Traditional one: the Chinese
    assert match_language("sr-Latn", ("en", "sr-Latn", "sr")) == "sr-Latn"
    assert match_language("zh", ("en", "zh-TW")) is None
    assert [direction(t) for t in ("ar", "he", "fa", "ur", "ar-EG", "en", "fr", "zh")] == ["rtl"] * 5 + [
        "ltr"
    ] * 3


def test_dates_are_written_by_babel_in_the_readers_language():
    when = datetime(2026, 10, 16, tzinfo=CST)
    assert format_date(when, "en") == "16 October 2026, 00:00 (UTC+08:00)"  # as the site writes English
    assert format_date(when, "zh-CN") == "2026年10月16日 00:00 (UTC+08:00)"
    assert format_date(when, "fr") == "16 octobre 2026, 00:00 (UTC+08:00)"
    assert format_date(when, "en-US") == "October 16, 2026, 12:00\u202fAM (UTC+08:00)"  # CLDR's for en-US
    # Arabic: the offset kept in one left-to-right run between LRM marks.
    assert format_date(when, "ar") == "16 أكتوبر 2026، 12:00 ص \u200e(UTC+08:00)\u200e"


def test_the_catalogues_are_in_step_with_the_templates():
    """notify.pot lists exactly the messages the templates say (Babel's Jinja extractor),
    and each shipped catalogue translates every one of them and nothing else."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import notify_catalogues
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert notify_catalogues.problems() == []
    shipped = sorted(p.parents[1].name for p in notify_catalogues.po_files())
    assert shipped == ["ar", "fr", "zh"]
