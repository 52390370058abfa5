"""No-change daily build benchmark: a build that finds the site as its inputs and the
instant would write it, against a full build, in one run.

    .venv/bin/python benchmarks/unchanged.py [--versions 200] [--languages en zh] [--rounds 3]

It makes a git history of that many versions (benchmarks/histories.py), then times these
`policyctl build` processes into one site folder (CPU time of the whole process, Python's
start and imports included, which the machine's other load does not change):

- full, cold: the first build (empty cache);
- full, warm: the same instant again with the build's stamp removed (every stage runs,
  the redline cache is warm): what every daily build cost before;
- no change, same day: the stamp is found current, nothing is built;
- no change, next day: the same, and the day's line of the public record is appended.

Target (issue 24): a no-change build under 10 % of a full one. Run by hand; nothing here
is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from histories import make_history  # noqa: E402

POLICYCTL = Path(sys.executable).parent / "policyctl"


def build(repo: Path, site: Path, as_of: str) -> tuple[float, str]:
    """One build in a fresh process: its CPU time (user + system: what the machine's
    other load does not change), and the first line it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [str(POLICYCTL), "build", "--repo", str(repo), "--site-dir", str(site), "--as-of", as_of],
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"policyctl build --as-of {as_of} failed:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--languages", nargs="*", default=["en"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-unchanged-") as work:
        repo = make_history(Path(work) / "repo", args.versions, languages=tuple(args.languages))
        site = Path(work) / "site"
        # An instant after the history's last version took effect (histories.py spaces them).
        day = dt.date.today() + dt.timedelta(days=400)
        rows: dict[str, list[float]] = {}
        cold, said = build(repo, site, f"{day}T09:00")
        rows["full, cold"] = [cold]
        print(f"{args.versions} versions, languages {' '.join(args.languages)}: {said}")
        for index in range(args.rounds):
            hour = f"{10 + index:02d}"
            for stamp in (repo / ".policy" / "builds").glob("*.json"):
                stamp.unlink()
            rows.setdefault("full, warm", []).append(build(repo, site, f"{day}T{hour}:00")[0])
            elapsed, said = build(repo, site, f"{day}T{hour}:30")
            assert said.startswith("Unchanged:"), said
            rows.setdefault("no change, same day", []).append(elapsed)
            next_day = day + dt.timedelta(days=index + 1)
            elapsed, said = build(repo, site, f"{next_day}T{hour}:45")
            assert said.startswith("Unchanged:"), said
            rows.setdefault("no change, next day", []).append(elapsed)
            day = next_day
        full = statistics.median(rows["full, warm"])
        print(f"{'build (CPU s)':<22} {'median s':>9} {'runs':>28} {'of a warm full build':>22}")
        for name, times in rows.items():
            median = statistics.median(times)
            runs = " ".join(f"{t:.2f}" for t in times)
            print(f"{name:<22} {median:>9.2f} {runs:>28} {median / full:>21.1%}")


if __name__ == "__main__":
    main()
