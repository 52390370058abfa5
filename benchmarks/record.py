"""Public record benchmark: what the publication log costs a build, and `verify`.

    .venv/bin/python benchmarks/record.py [--versions 200] [--languages en zh] [--days 1095]

It makes a git history of that many versions (benchmarks/histories.py), then, each in a
fresh process:

- first build: the log starts (every version entered as inherited);
- the log is then given `--days` more daily checkpoint lines (three years of daily
  builds of an unchanged site), chained as a build would write them;
- daily build: the next day's build reads that long log, judges the history against it
  and appends its checkpoint;
- verify: `policyctl verify` on the built folder (every source file hashed, every window
  counted).

For each it prints the total time, the time of the record's own steps (reading the
log, judging the history, writing the sources and the log), the log's size and the peak
memory. Run by hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from build import _timed  # noqa: E402
from histories import make_history  # noqa: E402


def child_build(repo: Path, site: Path, as_of: str) -> dict:
    import generator.site.build
    from generator.commands import main

    bucket: dict[str, float] = {}
    for name in ("read_witness", "judge", "publish_record"):
        _timed(generator.site.build, name, bucket)
    started = time.perf_counter()
    code = main(["build", "--repo", str(repo), "--site-dir", str(site), "--as-of", as_of])
    assert code == 0, f"policyctl build failed with {code}"
    return {
        "total": time.perf_counter() - started,
        "record": sum(bucket.values()),
        **bucket,
        "log_lines": sum(1 for _ in (site / "publication-log.jsonl").open()),
        "log_kib": (site / "publication-log.jsonl").stat().st_size / 1024,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_verify(site: Path) -> dict:
    from generator.commands import main

    started = time.perf_counter()
    code = main(["verify", str(site), "--json"])
    assert code == 0, f"policyctl verify failed with {code}"
    return {
        "total": time.perf_counter() - started,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def lengthen(site: Path, start: dt.date, days: int) -> None:
    """`days` daily checkpoints after `start`, as an unchanged site's daily builds write them."""
    from zoneinfo import ZoneInfo

    from generator.core.record import Shown, extend, parse_record

    log = site / "publication-log.jsonl"
    record = parse_record(log.read_text(encoding="utf-8"))
    zone = ZoneInfo("Asia/Shanghai")
    last = record.last_checkpoint
    assert last is not None
    shown = [
        Shown(doc, language, name, "0" * 64, record.entries[0].seen, record.entries[0].seen)
        for doc, by_language in last.shown.items()
        for language, names in by_language.items()
        for name in names
    ]
    for day in range(1, days + 1):
        moment = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(0, 5), tzinfo=zone)
        record = extend(record, shown, moment, zone)
    log.write_bytes(record.text.encode("utf-8"))
    versions = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    versions["log_head"] = record.head
    (site / "versions.json").write_text(
        json.dumps(versions, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--languages", nargs="+", default=["en"])
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (
            child_build(Path(rest[0]), Path(rest[1]), rest[2])
            if kind == "build"
            else child_verify(Path(rest[0]))
        )
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="policyctl-bench-record-") as work_dir:
        work = Path(work_dir)
        repo = make_history(work / "repo", args.versions, languages=tuple(args.languages))
        last = subprocess.run(
            ["git", "log", "-1", "--format=%cs"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        day = dt.date.fromisoformat(last) + dt.timedelta(days=30)
        site = work / "site"
        first = run_child(["--child", "build", str(repo), str(site), day.isoformat()])
        lengthen(site, day, args.days)
        later = day + dt.timedelta(days=args.days + 1)
        daily = run_child(["--child", "build", str(repo), str(site), later.isoformat()])
        verified = run_child(["--child", "verify", str(site)])
    languages = " ".join(args.languages)
    print(f"{args.versions} versions ({languages}), log lengthened by {args.days} daily checkpoints")
    for name, result in (("first build", first), ("daily build", daily)):
        steps = ", ".join(
            f"{k} {result[k]:.2f} s" for k in ("read_witness", "judge", "publish_record") if k in result
        )
        print(
            f"  {name}: {result['total']:.2f} s, of which the record {result['record']:.2f} s ({steps}); "
            f"log {result['log_lines']} lines, {result['log_kib']:.0f} KiB; peak RSS {result['maxrss_mb']:.0f} MB"
        )
    print(f"  verify: {verified['total']:.2f} s; peak RSS {verified['maxrss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
