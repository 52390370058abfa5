"""Benchmark: the section-aware word redline against plain difflib on the same words.

Run by hand:  .venv/bin/python benchmarks/diff.py [--pairs 40] [--repeat 5] [--seed 1]
              .venv/bin/python benchmarks/diff.py --history 200 [--against DIR] [--rounds 3]

With `--history N` it times instead what a site build spends on redlines: every
consecutive pair of an N-version git history (benchmarks/histories.py) through
`generator.site.redlines.Redlines.html`, in a fresh process per run, for this checkout
and, with `--against`, another one (an older commit: `git archive <commit> | tar -x -C
DIR`), alternating, `--rounds` times each.

Cases:
* realistic: a chain of revisions of policy/privacy.md (~25 KB), each with 1-8 random
  sentence edits (reworded words, sentences deleted, sentences inserted) in random
  sections, and now and then a new section inserted with the later ones renumbered;
  each consecutive pair is diffed;
* pathological: a whole section rewritten, a section moved, 10 000 one-word changes
  (on the policy repeated four times, ~100 KB), every paragraph rewritten, the whole
  policy as one 25 KB paragraph with scattered edits, highly repetitive text, every
  section in reverse order.

For each case it prints median / p95 / max of `redline_markdown(old, new).html` with
every memo emptied first (parsing sections, rendering each section body's Markdown to
sanitised HTML, diffing and writing the redline: everything a build does for a pair it
has seen no part of), the same for
`difflib.SequenceMatcher(None, old_words, new_words).get_opcodes()` over the
whole-document words (tokenizing included; default autojunk), and the ratio of the
medians (difflib / redline: above 1 means the redline is faster). Targets (issue 5):
realistic median under 20 ms, every pathological case under 1 s.

The realistic row times each pair as a build meets it: the chain in order, memos
emptied once at its start, so the older text of a pair was rendered (Markdown to HTML)
for the redline before it and only the newer text's changed blocks are rendered again;
its first pair is cold (the p95 and max). The next row times the same pairs each cold,
both texts rendered from scratch (no target: a build meets that once per document).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))  # histories, for --history

from generator.site import redlines  # noqa: E402
from generator.site.redlines import redline_markdown  # noqa: E402

POLICY = ROOT / "policy" / "privacy.md"
WORD = re.compile(r"\w+|[^\w\s]")
ROMAN = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split()
H2 = re.compile(r"^## ([IVXLC]+)\. ", re.MULTILINE)


def policy_body() -> str:
    return POLICY.read_text(encoding="utf-8").split("---", 2)[2].strip() + "\n"


# --------------------------------------------------------------------------- edits


def body_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [k for k, line in enumerate(lines) if line.strip() and not line.startswith("#")]


def renumber(text: str) -> str:
    counter = iter(ROMAN)
    return H2.sub(lambda m: f"## {next(counter)}. ", text)


def revise(text: str, rng: random.Random, vocabulary: list[str], serial: int) -> str:
    """One realistic revision: a few sentence edits, sometimes a new section."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 8)):
        k = rng.choice(body_lines("\n".join(lines)))
        sentences = re.split(r"(?<=[.;])\s+", lines[k])
        s = rng.randrange(len(sentences))
        action = rng.random()
        if action < 0.5:  # reword a few words
            words = sentences[s].split(" ")
            for _ in range(rng.randint(1, 3)):
                w = rng.randrange(len(words))
                if words[w][:1].isalpha():
                    words[w] = rng.choice(vocabulary)
            sentences[s] = " ".join(words)
        elif action < 0.7 and len(sentences) > 1:  # delete a sentence
            del sentences[s]
        else:  # insert a sentence taken from elsewhere, slightly changed
            other = re.split(r"(?<=[.;])\s+", lines[rng.choice(body_lines(text))])
            sentence = rng.choice(other).split(" ")
            sentence[rng.randrange(len(sentence))] = rng.choice(vocabulary)
            sentences.insert(s + 1, " ".join(sentence))
        lines[k] = " ".join(sentences)
    text = "\n".join(lines)
    if rng.random() < 0.2:  # a new section, and the ones after it renumbered
        headings = list(H2.finditer(text))
        at = rng.choice(headings).start()
        words = " ".join(rng.choice(vocabulary) for _ in range(60))
        new = f"## I. New Provision {serial} {{#new-{serial}}}\n\n{words.capitalize()}.\n\n"
        text = renumber(text[:at] + new + text[at:])
    return text


def realistic_pairs(count: int, rng: random.Random) -> list[tuple[str, str]]:
    text = policy_body()
    vocabulary = sorted({w for w in re.findall(r"\b[a-z]{4,}\b", text)})
    pairs = []
    for serial in range(count):
        new = revise(text, rng, vocabulary, serial)
        pairs.append((text, new))
        text = new
    return pairs


def section_spans(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in re.finditer(r"^## ", text, re.MULTILINE)] + [len(text)]
    return list(itertools.pairwise(starts))


def whole_section_rewritten(rng: random.Random) -> tuple[str, str]:
    text = policy_body()
    start, end = max(section_spans(text), key=lambda span: span[1] - span[0])
    heading, _, body = text[start:end].partition("\n")
    words = body.split()
    rng.shuffle(words)
    paragraphs = [" ".join(words[k : k + 80]) for k in range(0, len(words), 80)]
    return text, text[:start] + heading + "\n\n" + "\n\n".join(paragraphs) + "\n\n" + text[end:]


def section_moved(rng: random.Random) -> tuple[str, str]:
    text = policy_body()
    spans = section_spans(text)
    start, end = max(spans, key=lambda span: span[1] - span[0])
    chunk = text[start:end]
    rest = text[:start] + text[end:]
    new = rest.rstrip("\n") + "\n\n" + chunk
    return text, renumber(new)


def ten_thousand_word_changes(rng: random.Random) -> tuple[str, str]:
    base = policy_body()
    copies = []
    for k in range(4):  # ~100 KB with unique section ids
        copies.append(re.sub(r"\{#([\w-]+)", lambda m, k=k: "{#" + f"{m.group(1)}-{k}", base))
    text = "\n".join(copies)
    lines = text.split("\n")
    spans = []
    offset = 0
    for line in lines:
        if line.strip() and not line.startswith("#"):
            spans.extend((offset + m.start(), offset + m.end()) for m in re.finditer(r"[A-Za-z]+", line))
        offset += len(line) + 1
    chosen = sorted(rng.sample(spans, 10_000))
    out, last = [], 0
    for start, end in chosen:
        out.append(text[last:start])
        out.append(text[start:end][::-1] + "x")
        last = end
    out.append(text[last:])
    return text, "".join(out)


def every_paragraph_rewritten(rng: random.Random) -> tuple[str, str]:
    text = policy_body()
    lines = text.split("\n")
    for k in body_lines(text):
        words = lines[k].split(" ")
        rng.shuffle(words)
        lines[k] = " ".join(words)
    return text, "\n".join(lines)


def one_huge_paragraph(rng: random.Random) -> tuple[str, str]:
    text = " ".join(line for line in policy_body().split("\n") if line.strip() and not line.startswith("#"))
    words = text.split(" ")
    new = list(words)
    vocabulary = sorted(set(words))
    for _ in range(50):
        k = rng.randrange(len(new))
        action = rng.random()
        if action < 0.4:
            new[k] = rng.choice(vocabulary)
        elif action < 0.7:
            del new[k : k + rng.randint(1, 20)]
        else:
            new[k:k] = rng.sample(vocabulary, rng.randint(1, 20))
    return text, " ".join(new)


def repetitive_text(rng: random.Random) -> tuple[str, str]:
    words = ["the", "data", "and", "the", "rights", ","] * 700  # ~25 KB of few words
    new = list(words)
    for k in range(0, len(new), 7):
        new[k] = rng.choice(["a", "data", "rights", "and", "the"])
    return " ".join(words), " ".join(new)


def sections_reversed(rng: random.Random) -> tuple[str, str]:
    text = policy_body()
    spans = section_spans(text)
    head = text[: spans[0][0]]
    return text, head + "".join(text[a:b].rstrip("\n") + "\n\n" for a, b in reversed(spans))


PATHOLOGICAL: list[tuple[str, Callable[[random.Random], tuple[str, str]]]] = [
    ("whole section rewritten", whole_section_rewritten),
    ("largest section moved", section_moved),
    ("10 000 one-word changes (100 KB)", ten_thousand_word_changes),
    ("every paragraph reshuffled", every_paragraph_rewritten),
    ("one 25 KB paragraph, 50 edits", one_huge_paragraph),
    ("repetitive text (6 words)", repetitive_text),
    ("all sections in reverse order", sections_reversed),
]


# --------------------------------------------------------------------------- timing


def ours(old: str, new: str) -> None:
    redlines.forget()
    _ = redline_markdown(old, new).html  # what a build does: parse, render, diff and write


def in_build_order(pairs: list[tuple[str, str]], repeat: int) -> list[float]:
    """Each pair timed as a build meets it: the chain in order, memos emptied once at its
    start and kept along it (the older text of a pair was rendered for the pair before)."""
    samples: list[float] = []
    for _ in range(repeat):
        redlines.forget()
        for old, new in pairs:
            start = time.perf_counter()
            _ = redline_markdown(old, new).html
            samples.append(time.perf_counter() - start)
    return samples


def plain_difflib(old: str, new: str) -> None:
    SequenceMatcher(None, WORD.findall(old), WORD.findall(new)).get_opcodes()


@dataclass(frozen=True)
class Timing:
    median: float
    p95: float
    max: float

    def cells(self) -> str:
        return f"{self.median * 1e3:9.2f} {self.p95 * 1e3:9.2f} {self.max * 1e3:9.2f}"


def measure(function: Callable[[str, str], None], pairs: list[tuple[str, str]], repeat: int) -> Timing:
    samples: list[float] = []
    for old, new in pairs:
        function(old, new)  # warm-up: first call compiles regexes etc.
        for _ in range(repeat):
            start = time.perf_counter()
            function(old, new)
            samples.append(time.perf_counter() - start)
    return timing(samples)


def timing(samples: list[float]) -> Timing:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(statistics.median(samples), p95, samples[-1])


# Runs in a fresh process with one checkout's packages first on the path: the redlines
# of every consecutive pair of versions, made as a build makes them (each version's
# sections parsed once, `Redlines.html` per pair, memos as the build keeps them).
_IN_A_BUILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from generator.policies import read_history
from generator.settings import Settings
try:  # a build's renderer (this checkout)
    from generator.site.redlines import Redlines
    redline_html = Redlines().html
except ImportError:  # an older checkout: the module's own
    from generator.site.redlines import redline_html
history = read_history(Path(sys.argv[2]), Settings())
documents = history.documents.values() if isinstance(history.documents, dict) else history.documents
versions = list(next(iter(documents)).versions)
start = time.perf_counter()
for old, new in zip(versions, versions[1:]):
    redline_html(old, new)
print(len(versions) - 1, time.perf_counter() - start)
"""


def in_a_build(versions: int, against: Path | None, rounds: int) -> int:
    """`--history N [--against DIR]`: the redline stage of a build of an N-version history
    (benchmarks/histories.py), this checkout and another one (e.g. an older commit's
    `git archive`) in alternating fresh processes."""
    import subprocess
    import tempfile

    from histories import make_history

    trees = [ROOT, *([against.resolve()] if against else [])]
    with tempfile.TemporaryDirectory(prefix="redline-history-") as work:
        repo = make_history(Path(work) / "repo", versions)
        print(
            f"redlines of a {versions}-version history, as a build makes them (s for all pairs, ms per pair)"
        )
        results: dict[Path, list[float]] = {tree: [] for tree in trees}
        for _ in range(rounds):
            for tree in trees:
                out = subprocess.run(
                    [sys.executable, "-c", _IN_A_BUILD, str(tree), str(repo)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                pairs, seconds = int(out[0]), float(out[1])
                results[tree].append(seconds)
                print(f"  {str(tree):40} {seconds:7.3f} s  {seconds / pairs * 1e3:6.2f} ms/pair")
        for tree in trees:
            print(f"median {str(tree):33} {statistics.median(results[tree]):7.3f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=40, help="realistic revision pairs")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per pair")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--history", type=int, metavar="N", help="time a build's redlines of N versions instead"
    )
    parser.add_argument(
        "--against", type=Path, metavar="DIR", help="with --history: another checkout to compare"
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --history: runs of each checkout")
    args = parser.parse_args()
    if args.history:
        return in_a_build(args.history, args.against, args.rounds)
    rng = random.Random(args.seed)

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"policy: {POLICY.relative_to(ROOT)} ({len(policy_body().encode())} bytes)")
    print()
    header = (
        f"{'case':36} {'redline ms: median':>18} {'p95':>9} {'max':>9} | "
        f"{'difflib ms: median':>18} {'p95':>9} {'max':>9} | {'ratio':>6}  target"
    )
    print(header)
    print("-" * len(header))

    failures = []

    def row(
        name: str,
        pairs: list[tuple[str, str]],
        repeat: int,
        target: str,
        ok: Callable[[Timing], bool],
        mine: Timing | None = None,
    ) -> None:
        mine = mine or measure(ours, pairs, repeat)
        theirs = measure(plain_difflib, pairs, repeat)
        verdict = "ok" if ok(mine) else "MISSED"
        if verdict != "ok":
            failures.append(name)
        print(
            f"{name:36} {mine.median * 1e3:18.2f} {mine.p95 * 1e3:9.2f} {mine.max * 1e3:9.2f} | "
            f"{theirs.median * 1e3:18.2f} {theirs.p95 * 1e3:9.2f} {theirs.max * 1e3:9.2f} | "
            f"{theirs.median / mine.median:6.2f}  {target} {verdict}"
        )

    pairs = realistic_pairs(args.pairs, rng)
    row(
        f"realistic revisions ({len(pairs)} pairs)",
        pairs,
        args.repeat,
        "median<20ms",
        lambda t: t.median < 0.020,
        timing(in_build_order(pairs, args.repeat)),
    )
    row("realistic, each pair cold", pairs, args.repeat, "(no target)", lambda t: True)
    for name, make in PATHOLOGICAL:
        row(name, [make(rng)], args.repeat, "max<1s", lambda t: t.max < 1.0)

    print()
    print("ratio = difflib median / redline median (above 1: the redline is faster).")
    print(
        "redline includes parsing sections, rendering Markdown and writing HTML; "
        "difflib only tokenizes and matches."
    )
    if failures:
        print("targets missed:", ", ".join(failures))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
