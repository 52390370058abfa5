"""Text-message campaign benchmark: `policyctl notify --sms` against a gateway on loopback.

    .venv/bin/python benchmarks/sms.py [--count N] [--concurrency C] [--delay SECONDS]

Everything runs on loopback in a temporary folder:

- a gateway (uvicorn, one process of its own) takes the generic provider's signed JSON
  POSTs on 127.0.0.1 and answers 200 with an id, after ``--delay`` seconds (a provider's
  latency: 0 by default);
- N users with a phone number only (20 000 by default), every other one reading
  Chinese, in a CSV file; a pending core-rights revision given as a revision file
  (`--revision-file`), with an answer page, so every text carries a short personal link
  whose code is saved in the ledger before it is sent;
- `policyctl notify --no-email --sms http://127.0.0.1:PORT/sms --concurrency C` as a
  subprocess with a fresh SQLite ledger (WAL, synchronous=FULL), then the same command
  again (a rerun: nothing to send).

It prints texts per second, the CPU seconds and the peak RSS of the campaign (wait4),
and checks that the gateway took each number once. Run by hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICYCTL = "import sys; from generator.commands import main; sys.argv[0] = 'policyctl'; sys.exit(main())"

GATEWAY = """
import asyncio, json, sys
from collections import Counter
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
import uvicorn
delay = float(sys.argv[2])
seen = Counter()
async def sms(request):
    data = json.loads(await request.body())
    seen[data["to"]] += 1
    if delay:
        await asyncio.sleep(delay)
    return JSONResponse({"id": f"gw-{sum(seen.values())}"})
async def counts(request):
    return JSONResponse({"texts": sum(seen.values()), "numbers": len(seen), "most": max(seen.values(), default=0)})
app = Starlette(routes=[Route("/sms", sms, methods=["POST"]), Route("/counts", counts)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def revision(folder: Path) -> Path:
    data = {
        "document": "privacy",
        "title": "Privacy Policy",
        "version": "2.0",
        "sha256": "5" * 64,
        "published": "2026-09-30T00:00:00+08:00",
        "effective": "2026-10-16T00:00:00+08:00",
        "summary": "We now share order data with the courier.",
        "core_sections": [["sharing", "V. How we share information"]],
        "url": "https://shop.example/privacy/versions/2.0/",
        "changes_url": "https://shop.example/privacy/changes/1.0-to-2.0/",
        "rights_url": "https://shop.example/privacy/#rights",
        "answer_url": "https://s.shop.example/a",
        "answer_expires": "2027-01-14T00:00:00+08:00",
        "site_name": "Example Shop",
    }
    path = folder / "revision.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def users(folder: Path, count: int) -> Path:
    path = folder / "users.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,phone,locale\n")
        for i in range(count):
            fh.write(f"u{i},139{i:08d},{'zh-CN' if i % 2 else 'en'}\n")
    return path


def run(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, float, str]:
    """(exit status, seconds, peak RSS MB, CPU seconds, standard error) of one process."""
    with tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
        err.seek(0)
        return (
            os.waitstatus_to_exitcode(status),
            seconds,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            err.read(),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--profile", metavar="FILE", help="write a pyinstrument profile of the campaign here")
    args = parser.parse_args()
    port = free_port()
    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY, str(port), str(args.delay)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the gateway did not start") from None
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "POLICYCTL_ANSWER_SECRET": "benchmark-answer-secret-0123456789",
                "POLICYCTL_SMS_SECRET": "benchmark-sms-secret",
            }
            python = (
                [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", args.profile]
                if args.profile
                else [sys.executable]
            )
            cmd = [
                *python, "-c", POLICYCTL, "notify", "--repo", str(folder),
                "--revision-file", str(revision(folder)), "--recipients", str(users(folder, args.count)),
                "--no-email", "--sms", f"http://127.0.0.1:{port}/sms", "--concurrency", str(args.concurrency),
                "--ledger", f"sqlite:///{folder / 'ledger.sqlite3'}",
            ]  # fmt: skip
            plain = [sys.executable, *cmd[len(python) :]]
            for label in ("campaign", "rerun"):
                code, seconds, rss, cpu, err = run(cmd if label == "campaign" else plain, env)
                if code != 0:
                    print(err, file=sys.stderr)
                    return 1
                rate = args.count / seconds if label == "campaign" else 0
                print(
                    f"{label}: {seconds:.1f} s, {cpu:.1f} CPU s, peak RSS {rss:.0f} MB"
                    + (f", {rate:.0f} texts/s" if rate else "")
                )
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{port}/counts") as answer:
                counts = json.loads(answer.read())
            print(
                f"gateway: {counts['texts']} texts to {counts['numbers']} numbers, at most {counts['most']} each"
            )
            return 0 if counts == {"texts": args.count, "numbers": args.count, "most": 1} else 1
    finally:
        gateway.terminate()
        gateway.wait(30)


if __name__ == "__main__":
    sys.exit(main())
