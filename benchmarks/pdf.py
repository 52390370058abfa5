"""PDF benchmark (`pdf: true`): what printing every version costs a build, and what the
daily build pays once the PDFs exist.

    .venv/bin/python benchmarks/pdf.py [--versions 200] [--rounds 1] [--reference 20]

It makes a git history of that many versions (benchmarks/histories.py) with an
mkdocs.yml that sets `pdf: true` and a `site_url`, then, each in a fresh process:

- first build (cold): an empty cache and no previous site: every version is printed;
- daily build (warm): the same build again, no new commit: every PDF is the previous
  build's, reused (none printed, Chromium not started);
- one to print: the same again with one version's PDF removed from the previous site,
  as on the day a new version is published (Chromium started, one page printed);
- without PDFs: the first build again with `pdf: false`, for what printing adds.

For the builds with PDFs it prints the total time, the time of the PDF stage
(`generator.site.finish._pdfs`: copies made, printed or reused, written), the browser's
start, the pages printed and the time per page, the peak memory of policyctl's
process and the peak of Chromium's processes together (their PSS, sampled every 50 ms). With `--reference N` it also prints N of the same pages as the printer did
before issue 22 (one `chromium --headless --print-to-pdf file://…` process per page),
for the time per page then. Run by hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from histories import make_history  # noqa: E402

MKDOCS_YML = """\
site_name: Policies
site_url: https://legal.example.com/
theme:
  name: material
  font: false
plugins:
  - search
  - policy:
      pdf: {pdf}
"""
AS_OF = "2030-01-01"


def _browser_peak(stop: threading.Event, peak: list[float]) -> None:
    """The largest sum of the proportional set sizes (PSS: shared pages divided among the
    processes that share them) of this process's descendants, in MB."""
    me = psutil.Process()
    while not stop.wait(0.05):
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_full_info().pss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total / 2**20)


def child_build(repo: Path, site: Path) -> dict:
    """Runs in a fresh process: one `policyctl build`, with the PDF stage timed."""
    import generator.site.finish
    from generator.commands import main
    from generator.site.printer import Printer

    bucket: dict[str, float] = {"pdfs": 0.0, "start": 0.0, "pages": 0, "printing": 0.0}

    def timed(name: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                bucket[name] += time.perf_counter() - started
                if name == "printing":
                    bucket["pages"] += 1

        return wrapper

    generator.site.finish._pdfs = timed("pdfs", generator.site.finish._pdfs)
    Printer._start = timed("start", Printer._start)
    Printer.print_page = timed("printing", Printer.print_page)
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_browser_peak, args=(stop, peak), daemon=True)
    sampler.start()
    started = time.perf_counter()
    code = main(["build", "--repo", str(repo), "--site-dir", str(site), "--as-of", AS_OF])
    total = time.perf_counter() - started
    stop.set()
    sampler.join()
    assert code == 0, f"policyctl build failed with {code}"
    return {
        "total": total,
        "browser_mb": peak[0],
        **bucket,
        "printing": bucket["printing"] - bucket["start"],  # the first page starts the browser
        "pdf_files": sum(1 for _ in site.rglob("*.pdf")),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_reference(site: Path, count: int) -> dict:
    """Runs in a fresh process: `count` version pages printed as before issue 22, one
    Chromium process each, from a copy of the page beside it, read by Chromium from disk."""
    from generator.site.pdf import find_chromium, print_copy

    chromium = find_chromium()
    assert chromium is not None
    pages = sorted(site.glob("privacy/versions/*/index.html"))[:count]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-reference-") as work:
        for page in pages:
            copy = page.with_name(".policy-print.html")
            copy.write_text(print_copy(page.read_text(encoding="utf-8"), None), encoding="utf-8")
            command = [
                chromium, "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={work}/profile",
                f"--print-to-pdf={work}/page.pdf",
            ]  # fmt: skip
            if os.geteuid() == 0:
                command.append("--no-sandbox")
            subprocess.run([*command, copy.as_uri()], capture_output=True, check=True, timeout=120)
            copy.unlink()
    return {"pages": len(pages), "total": time.perf_counter() - started}


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name: str, run: dict) -> str:
    per_page = f"{run['printing'] / run['pages'] * 1000:.0f} ms" if run["pages"] else "-"
    return (
        f"{name:<24} {run['total']:>8.2f} {run['pdfs']:>8.2f} {run['start']:>8.2f} {run['pages']:>6.0f} "
        f"{per_page:>9} {run['pdf_files']:>5} {run['maxrss_mb']:>7.0f} {run['browser_mb']:>11.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="each build this many times, in turn")
    parser.add_argument("--reference", type=int, default=0, help="pages printed the pre-issue-22 way")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            result = child_build(Path(rest[0]), Path(rest[1]))
        else:
            result = child_reference(Path(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix=f"bench-pdf-{args.versions}-") as tmp:
        root = Path(tmp)
        repo = make_history(root / "repo", args.versions)
        print(f"{args.versions} versions; s = seconds")
        print(
            f"{'build':<24} {'total s':>8} {'pdfs s':>8} {'start s':>8} {'pages':>6} "
            f"{'per page':>9} {'PDFs':>5} {'RSS MB':>7} {'Chromium MB':>11}"
        )
        for _ in range(args.rounds):
            for pdf in ("true", "false"):
                (repo / "mkdocs.yml").write_text(MKDOCS_YML.format(pdf=pdf), encoding="utf-8")
                shutil.rmtree(repo / ".policy", ignore_errors=True)
                shutil.rmtree(root / "site", ignore_errors=True)
                cold = _child("build", str(repo), str(root / "site"))
                print(_row(f"cold, pdf: {pdf}", cold), flush=True)
                if pdf == "true":
                    print(_row("warm, pdf: true", _child("build", str(repo), str(root / "site"))), flush=True)
                    next(iter(sorted((root / "site").glob("privacy/versions/*/*.pdf")))).unlink()
                    print(
                        _row("one to print, pdf: true", _child("build", str(repo), str(root / "site"))),
                        flush=True,
                    )
                    if args.reference:
                        reference = _child("reference", str(root / "site"), str(args.reference))
                        print(
                            f"{'':<24} before issue 22, one Chromium per page: {reference['pages']} pages in "
                            f"{reference['total']:.2f} s, {reference['total'] / reference['pages'] * 1000:.0f} ms a page",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
