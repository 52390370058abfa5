"""Site build benchmark: the generator against plain MkDocs on the same pages.

    .venv/bin/python benchmarks/build.py [--sizes 10 50 200] [--languages en zh] [--engine zensical]

For each size it makes a git history of that many versions of the operator's policy
(benchmarks/histories.py), then, each in a fresh process:

- ours (cold): `policyctl build` with an empty cache;
- ours (warm): the same build again, no new commit (the on-disk cache is warm);
- plain: `mkdocs build` with the Material theme on as many hand-written pages as our
  site has, each holding a version's text.

It prints both times, the ratio, peak memory, and how our time splits between reading
git, diffing, staging and MkDocs. Run by hand; nothing here is a test.

With `--languages en zh` every version also has its Chinese translation
(benchmarks/histories.py), our site is built in both languages (`/zh/` pages), and the
plain MkDocs pages hold the English and the Chinese texts in turn.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from histories import make_history  # noqa: E402


def _timed(module, name: str, bucket: dict[str, float]) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket[name] = bucket.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, wrapper)


def child_ours(repo: Path, site: Path, as_of: str, engine: str = "mkdocs") -> dict:
    """Runs in a fresh process: one `policyctl build --engine ENGINE` with phase timings
    ("mkdocs" in the table is the engine's share, whichever engine)."""
    import generator.policies
    import generator.site.build
    import generator.site.finish
    import generator.site.project
    import generator.site.redlines
    from generator.commands import main

    bucket: dict[str, float] = {}
    # Each where it is looked up when the build calls it: the build and the projects
    # import the page functions by name.
    _timed(generator.policies, "read_history", bucket)
    _timed(generator.site.redlines, "_render", bucket)
    _timed(generator.site.build, "render_site", bucket)
    _timed(generator.site.project, "write_tree", bucket)
    write_retired = generator.site.finish.write_retired

    def counted_retired(*args, **kwargs):
        started = time.perf_counter()
        count = write_retired(*args, **kwargs)
        bucket["write_retired"] = bucket.get("write_retired", 0.0) + time.perf_counter() - started
        bucket["retired_pages"] = bucket.get("retired_pages", 0) + count
        return count

    generator.site.finish.write_retired = counted_retired
    started = time.perf_counter()
    code = main(["build", "--repo", str(repo), "--site-dir", str(site), "--as-of", as_of, "--engine", engine])
    total = time.perf_counter() - started
    assert code == 0, f"policyctl build failed with {code}"
    git = bucket.get("read_history", 0.0)
    diff = bucket.get("_render", 0.0)
    staging = bucket.get("render_site", 0.0) + bucket.get("write_tree", 0.0) - diff
    # The pages MkDocs rendered, not the small static pages that keep the addresses of
    # comparisons no longer rendered (generator/site/retired.py).
    pages = sum(1 for _ in site.rglob("index.html")) - int(bucket.get("retired_pages", 0))
    return {
        "total": total,
        "git": git,
        "diff": diff,
        "staging": max(staging, 0.0),
        "mkdocs": total - git - diff - max(staging, 0.0),
        "pages": pages,
        "retired": bucket.get("write_retired", 0.0),
        "retired_pages": bucket.get("retired_pages", 0),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_plain(docs_count: int, repo: Path, work: Path, nav: str = "auto") -> dict:
    """Runs in a fresh process: plain MkDocs + Material on hand-written pages (holding the
    texts of every policy file of the history in turn: with a translation, English and
    Chinese)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import generator.core.frontmatter as fm

    texts = []
    files = sorted(str(p.relative_to(repo)) for p in (repo / "policy").glob("privacy*.md"))
    for line in subprocess.run(
        ["git", "log", "--format=%H", "--", "policy/privacy.md"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split():
        for name in files:
            raw = subprocess.run(
                ["git", "show", f"{line}:{name}"], cwd=repo, capture_output=True, text=True, check=True
            ).stdout
            texts.append(fm.split(raw, file=name)[1])
    docs = work / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Policies\n\nHand-written pages.\n")
    for n in range(docs_count - 1):
        page = docs / f"page-{n}"
        page.mkdir()
        (page / "index.md").write_text(f"# Page {n}\n\n" + texts[n % len(texts)])
    config_file = work / "mkdocs.yml"
    # "auto": MkDocs lists every page in the sidebar (its default); "home": only the
    # home page, as our site keeps version and redline pages out of the sidebar.
    nav_yaml = "nav:\n  - index.md\nnot_in_nav: |\n  /page-*/\n" if nav == "home" else ""
    config_file.write_text(
        nav_yaml + "site_name: Plain\ntheme:\n  name: material\nplugins:\n  - search\n"
        "markdown_extensions:\n  - attr_list\n  - md_in_html\n  - admonition\n  - toc:\n      permalink: true\n"
    )
    started = time.perf_counter()
    config = load_config(config_file=str(config_file), site_dir=str(work / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    total = time.perf_counter() - started
    return {
        "total": total,
        "pages": docs_count,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    """The run with the median total time (the whole run, so its phases add up)."""
    return sorted(runs, key=lambda run: run["total"])[len(runs) // 2]


def _times(runs: list[dict]) -> str:
    return " ".join(f"{run['total']:.2f}" for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 50, 200])
    parser.add_argument(
        "--languages", nargs="*", default=["en"], help="e.g. en zh: the site in both languages"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with more than one: our cold and warm builds and plain-lean again, alternating, "
        "and the medians of each (for a loaded machine); plain with its full sidebar once",
    )
    parser.add_argument(
        "--engine", choices=("mkdocs", "zensical"), default="mkdocs", help="what renders our site"
    )
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "ours":
            result = child_ours(Path(rest[0]), Path(rest[1]), rest[2], *rest[3:])
        else:
            result = child_plain(int(rest[0]), Path(rest[1]), Path(rest[2]), rest[3])
        print(json.dumps(result))
        return

    print(
        f"{'versions':>8} {'pages':>6} {'plain s':>8} {'cold s':>7} {'ratio':>6} {'warm s':>7} "
        f"{'ratio':>6} {'warm outside mkdocs':>20} {'git':>6} {'diff':>6} {'stage':>6} {'mkdocs':>7} {'RSS MB':>7} {'plain RSS':>9}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-build-{size}-") as tmp:
            root = Path(tmp)
            repo = make_history(root / "repo", size, languages=tuple(args.languages))
            as_of = "2030-01-01"
            colds, warms, leans = [], [], []
            plain: dict = {}
            for round_ in range(args.rounds):
                shutil.rmtree(repo / ".policy", ignore_errors=True)  # an empty cache: cold
                colds.append(_child("ours", str(repo), str(root / "site"), as_of, args.engine))
                warms.append(_child("ours", str(repo), str(root / "site"), as_of, args.engine))
                plain_dir, lean_dir = root / f"plain-{round_}", root / f"plain-lean-{round_}"
                plain_dir.mkdir()
                lean_dir.mkdir()
                if not plain:
                    plain = _child("plain", str(colds[0]["pages"]), str(repo), str(plain_dir), "auto")
                leans.append(_child("plain", str(colds[0]["pages"]), str(repo), str(lean_dir), "home"))
                shutil.rmtree(plain_dir, ignore_errors=True)
                shutil.rmtree(lean_dir, ignore_errors=True)
            cold, warm, lean = _median(colds), _median(warms), _median(leans)
            if args.rounds > 1:
                print(
                    f"{'':>8} {args.rounds} rounds: cold {_times(colds)}, warm {_times(warms)}, "
                    f"plain-lean {_times(leans)} (medians below)",
                    flush=True,
                )
            outside = warm["git"] + warm["diff"] + warm["staging"]
            print(
                f"{size:>8} {cold['pages']:>6} {plain['total']:>8.2f} {cold['total']:>7.2f} "
                f"{cold['total'] / plain['total']:>6.2f} {warm['total']:>7.2f} {warm['total'] / plain['total']:>6.2f} "
                f"{outside:>19.2f}s {warm['git']:>6.2f} {warm['diff']:>6.2f} {warm['staging']:>6.2f} "
                f"{warm['mkdocs']:>7.2f} {warm['maxrss_mb']:>7.0f} {plain['maxrss_mb']:>9.0f}",
                flush=True,
            )
            print(
                f"{'':>8} plain with only the home page in the sidebar: {lean['total']:.2f}s, "
                f"ratio cold {cold['total'] / lean['total']:.2f}, warm {warm['total'] / lean['total']:.2f}",
                flush=True,
            )
            print(
                f"{'':>8} cold split: git {cold['git']:.2f}s, diff {cold['diff']:.2f}s, "
                f"staging {cold['staging']:.2f}s, mkdocs {cold['mkdocs']:.2f}s (of which "
                f"{cold['retired']:.2f}s writing {cold['retired_pages']} retired comparisons' pages)",
                flush=True,
            )
            shutil.rmtree(root / "site", ignore_errors=True)


if __name__ == "__main__":
    main()
