"""Realistic policy histories for benchmarks: N versions of the operator's policy in git.

Each revision adds, removes or rewords sentences in random sections, and now and then
inserts a whole section (which renumbers the ones after it). Dates advance so that
every window holds.

With `languages=("en", "zh")` every version also has its Chinese translation
(`policy/privacy.zh.md`, committed with the source): each word of the text becomes a
two-character Chinese word (the same word always the same one), so the translation is
as long as a real one and its redlines change where the source's do; headings keep
their words, so that the section ids stay the source's.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The packages from this checkout, then tests/ for tests_support (the root first, so
# that tests/notify/ is never taken for the notify package).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tests_support import git, policy_file  # noqa: E402

SEED_POLICY = ROOT / "policy" / "privacy.md"
WORDS = (
    "data personal information processing consent purpose storage transfer partner "
    "service request account security retention cookie analytics marketing delivery "
    "payment legal obligation right access erasure portability objection notice"
).split()


def roman(n: int) -> str:
    out = ""
    for value, letters in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def _renumber(body: str) -> str:
    counter = iter(range(1, 1000))
    return re.sub(r"^## [IVXL]+\. ", lambda m: f"## {roman(next(counter))}. ", body, flags=re.MULTILINE)


def revise(body: str, rng: random.Random, index: int) -> str:
    paragraphs = body.split("\n\n")
    candidates = [i for i, p in enumerate(paragraphs) if not p.startswith("#") and len(p) > 80]
    for _ in range(rng.randint(1, 4)):
        i = rng.choice(candidates)
        sentences = re.split(r"(?<=\.) ", paragraphs[i])
        action = rng.random()
        if action < 0.4:
            sentences.insert(rng.randrange(len(sentences) + 1), _sentence(rng))
        elif action < 0.6 and len(sentences) > 1:
            sentences.pop(rng.randrange(len(sentences)))
        else:
            j = rng.randrange(len(sentences))
            words = sentences[j].split(" ")
            k = rng.randrange(len(words))
            words[k] = rng.choice(WORDS)
            sentences[j] = " ".join(words)
        paragraphs[i] = " ".join(sentences)
    body = "\n\n".join(paragraphs)
    if index % 10 == 5:
        headings = [m.start() for m in re.finditer(r"^## ", body, flags=re.MULTILINE)]
        at = rng.choice(headings[1:])
        new = f"## X. Added Section {index} {{#added-{index}}}\n\n{_sentence(rng)} {_sentence(rng)}\n\n"
        body = _renumber(body[:at] + new + body[at:])
    return body


# Common characters of Chinese policies, paired into words.
_HANZI = "个人信息收集使用存储共享保护权利用户服务网站数据处理目的同意撤回删除更正查询安全期限地点境外传输第三方合作伙伴法律法规义务通知变更生效版本联系我们未成年监护隐私政策条款说明"


def _chinese_word(word: str) -> str:
    digest = sum((i + 1) * ord(c) for i, c in enumerate(word.lower()))
    return _HANZI[digest % len(_HANZI)] + _HANZI[(digest // len(_HANZI)) % len(_HANZI)]


def chinese(body: str) -> str:
    """`body` "translated": every word outside headings, attribute lists, link targets and
    addresses a Chinese word."""
    lines = []
    for line in body.split("\n"):
        if line.startswith("#"):
            lines.append(line)
        else:
            # Attribute lists, link targets and addresses stay as they are.
            text = re.sub(
                r"\{[^}]*\}|\]\([^)]*\)|\S+@\S+|[A-Za-z]+",
                lambda m: _chinese_word(m.group(0)) if m.group(0).isalpha() else m.group(0),
                line,
            )
            lines.append(text.replace(". ", "。").replace(", ", "，"))
    return "\n".join(lines)


def make_history(path: Path, versions: int, seed: int = 7, languages: tuple[str, ...] = ("en",)) -> Path:
    """A git repository at `path` with `versions` versions of policy/privacy.md (and, with
    a second language, of its translation, and an mkdocs.yml naming both)."""
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    text = SEED_POLICY.read_text(encoding="utf-8")
    body = text.split("---", 2)[2].lstrip("\n")
    day = dt.date(2015, 1, 5)
    (path / "policy").mkdir(exist_ok=True)
    if len(languages) > 1:
        (path / "mkdocs.yml").write_text(
            "site_name: Policies\ntheme:\n  name: material\n  font: false\n  features:\n"
            "    - announce.dismiss\n    - navigation.footer\nplugins:\n  - search\n  - policy:\n"
            f"      languages: [{', '.join(languages)}]\n",
            encoding="utf-8",
        )
    for n in range(versions):
        if n:
            body = revise(body, rng, n)
        summary = "First version." if n == 0 else f"Revision {n} clarifies wording in several sections."
        text = policy_file(body, version=f"{n + 1}.0", published=day.isoformat(), summary=summary)
        (path / "policy" / "privacy.md").write_text(text, encoding="utf-8")
        for language in languages[1:]:
            translated = policy_file(
                chinese(body),
                version=f"{n + 1}.0",
                title="隐私政策",
                summary=f"第 {n} 次修订澄清了若干章节的措辞。" if n else None,
            )
            (path / "policy" / f"privacy.{language}.md").write_text(translated, encoding="utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"Version {n + 1}.0", date=f"{day.isoformat()}T10:00:00+08:00")
        day += dt.timedelta(days=14)  # 10 working days later: every window holds
    return path
