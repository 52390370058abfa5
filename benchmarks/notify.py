"""Campaign benchmark: `policyctl notify` against Postfix's smtp-source and a naive sender.

    .venv/bin/python benchmarks/notify.py [--large] [--count N] [--concurrency C] [--profile]
                                          [--without-pipelining]

Everything runs on loopback in a temporary folder:

- a Postfix `smtp-sink` on 127.0.0.1 and a free port receives every message; it
  advertises PIPELINING, so our campaign sends MAIL, RCPT and DATA in one write
  (smtp-source never pipelines: one command, one reply);
- a git repository holds a pending core-rights revision of the privacy policy
  (1.0 published 2026-09-01, 2.0 published 2026-09-30; `--as-of 2026-10-01`);
- N recipients (100 000, or 1 000 000 with --large) as a CSV file and as a SQLite
  table `users(email, name)`.

Then, one after another, against the same sink:

- smtp-source: `smtp-source -d -s C -m N -F notice.eml` (C, one session per
  concurrency slot, sessions reused), sending the very bytes our campaign sends;
- ours (CSV) and ours (SQLite): `policyctl notify --smtp smtp://127.0.0.1:PORT
  --recipients ... --concurrency C --ledger sqlite:///...` as a subprocess, a fresh
  SQLite ledger each (WAL, synchronous=FULL: the durable ledger of a real run);
  peak RSS from wait4(2), RSS sampled during the run with psutil;
- naive: 5 000 messages, each a freshly built `email.message.EmailMessage` (text and
  HTML alternative, same content) sent with its own `aiosmtplib.send` (a new
  connection each), one after another; and, for information only, the same with C
  sends in flight;
- with --without-pipelining, for information: ours (CSV) once more against a second
  smtp-sink started with -p (no PIPELINING in its EHLO), i.e. the step-by-step session
  that servers without PIPELINING get.

It prints messages per second for each, the ratios against the targets of issues 5
and 10 (>= 0.35 x smtp-source -d, >= 4 x naive, peak RSS < 250 MB and flat as the
list grows), and with --profile a pyinstrument profile of one campaign (main thread)
and a py-spy profile of all threads when py-spy is installed. Run by hand; nothing
here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import email
import email.policy
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The packages from this checkout, then tests/ for tests_support (the root first, so
# that tests/notify/ is never taken for the notify package).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tests_support import BASE_POLICY as TEST_POLICY  # noqa: E402
from tests_support import free_port, git, policy_file  # noqa: E402

BIN = Path(sys.executable).parent
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
AS_OF = "2026-10-01"
SITE = "https://shop.example/legal/"
SENDER = "Shop Privacy <privacy@shop.example>"

# The tests' policy with a section on users' rights, so that every notice carries
# the link to it that real notices carry.
BASE_POLICY = TEST_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Your Rights {#rights .core-rights}\n\n"
    "You may access, correct and erase your data, and withdraw your consent.\n\n"
    "## IV. Contact {#contact}",
)
CORE_CHANGE = BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone number.")

FIRST = ["Ann", "Bob", "Chen", "Dana", "Émile", "Fatima", "Grace", "Hiro", "Ivan", "Júlia", "李", "Mia"]
LAST = ["Smith", "Wang", "García", "Müller", "O'Neil", "Kowalski", "Nguyen", "Rossi", "Dubois", "张"]


# ------------------------------------------------------------------------ set-up


def make_repo(path: Path) -> Path:
    """A policy repository whose version 2.0 (core-rights change) is pending on AS_OF."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    target = path / "policy" / "privacy.md"
    target.parent.mkdir()
    for body, version, published, summary in (
        (BASE_POLICY, "1.0", "2026-09-01", "First."),
        (CORE_CHANGE, "2.0", "2026-09-30", "Phone numbers for delivery."),
    ):
        target.write_text(
            policy_file(body, version=version, published=published, summary=summary), encoding="utf-8"
        )
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"Privacy policy {version}", date=f"{published}T10:00:00+08:00")
    return path


def make_recipients(folder: Path, count: int) -> tuple[Path, Path]:
    """users.csv and users.sqlite3 (table users) with the same `count` distinct users."""
    csv_path, db_path = folder / "users.csv", folder / "users.sqlite3"

    def rows():
        for i in range(count):
            yield (f"user{i}@example{i % 97}.test", f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}")

    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("email", "name"))
        w.writerows(rows())
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT)")
    db.executemany("INSERT INTO users (email, name) VALUES (?, ?)", rows())
    db.commit()
    db.close()
    return csv_path, db_path


class Sink:
    """Postfix smtp-sink on 127.0.0.1 (-c: counters on stdout; as root it needs -u;
    -p: no PIPELINING in its EHLO reply)."""

    def __init__(self, folder: Path, pipelining: bool = True) -> None:
        self.port = free_port()
        self.log = (folder / ("smtp-sink.out" if pipelining else "smtp-sink-p.out")).open("wb")
        cmd = [SMTP_SINK, "-c"]
        if not pipelining:
            cmd.append("-p")
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        cmd += ["-m", "1000", f"127.0.0.1:{self.port}", "1000"]
        self.command = " ".join(cmd)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.recv(100)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"smtp-sink did not start: {self.command}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ------------------------------------------------------------------ load meter


def _busy_jiffies() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


def _proc_jiffies(pid: int) -> int:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(parts[11]) + int(parts[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


class Meter:
    """How much of the machine other processes used while a row ran (this box may be shared)."""

    def __init__(self, sink_pid: int) -> None:
        self.sink_pid = sink_pid
        self.hz = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Meter:
        self.t0 = time.perf_counter()
        self.busy0 = _busy_jiffies()
        self.sink0 = _proc_jiffies(self.sink_pid)
        self.self0 = sum(os.times()[:2])
        self.others: float | None = None
        return self

    def finish(self, client_cpu: float) -> float:
        """Share of all CPUs used by others, given the CPU seconds our measured client used."""
        elapsed = time.perf_counter() - self.t0
        busy = (_busy_jiffies() - self.busy0) / self.hz
        sink = (_proc_jiffies(self.sink_pid) - self.sink0) / self.hz
        me = sum(os.times()[:2]) - self.self0
        others = max(0.0, busy - sink - client_cpu - me)
        self.others = others / (elapsed * (os.cpu_count() or 1))
        return self.others

    def __exit__(self, *exc: object) -> None:
        return None


# ----------------------------------------------------------------------- runners


@dataclass
class Row:
    name: str
    messages: int
    seconds: float  # wall clock of the whole command
    campaign_seconds: float | None = None  # the runner's own duration (after start-up)
    peak_rss_mb: float | None = None
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (share of run, MB)
    cpu_seconds: float | None = None  # user + system CPU of the sending process (not the sink)
    others: float | None = None  # share of the machine's CPU used by processes not in this run
    note: str = ""

    @property
    def per_cpu_second(self) -> float | None:
        return self.messages / self.cpu_seconds if self.cpu_seconds else None

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def campaign_rate(self) -> float | None:
        return self.messages / self.campaign_seconds if self.campaign_seconds else None


TUNE = {
    # Experiments only (--tune): the same `policyctl notify`, with the interpreter set up differently.
    "uvloop": "import asyncio, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())",
    "switch": "import sys; sys.setswitchinterval(0.0005)",
}


def policyctl_cmd(
    repo: Path, port: int, recipients: list[str], ledger: Path, concurrency: int, tune: tuple[str, ...] = ()
) -> list[str]:
    if tune:
        prelude = "; ".join(TUNE[t] for t in tune)
        start = [
            str(BIN / "python"),
            "-c",
            f"{prelude}; import sys; from generator.commands import main; sys.argv[0] = 'policyctl'; "
            "sys.exit(main())",
        ]
    else:
        start = [str(BIN / "policyctl")]
    return [
        *start,
        "notify",
        "--repo",
        str(repo),
        "--as-of",
        AS_OF,
        "--site-url",
        SITE,
        "--from",
        SENDER,
        "--smtp",
        f"smtp://127.0.0.1:{port}",
        *recipients,
        "--concurrency",
        str(concurrency),
        "--ledger",
        f"sqlite:///{ledger}",
        "--json",
    ]


def run_measured(cmd: list[str], out: Path) -> tuple[int, float, float, float, list[tuple[float, float]]]:
    """Run cmd; return (exit code, seconds, peak RSS MB and CPU seconds from wait4, RSS samples (seconds, MB))."""
    import psutil

    samples: list[tuple[float, float]] = []
    done = threading.Event()
    with out.open("wb") as fh, (out.with_suffix(".err")).open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=err)

        def sample() -> None:
            try:
                p = psutil.Process(proc.pid)
                while not done.wait(0.25):
                    samples.append((time.perf_counter() - started, p.memory_info().rss / 2**20))
            except psutil.Error:
                pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, samples


def run_ours(
    label: str,
    repo: Path,
    sink: Sink,
    recipients: list[str],
    ledger: Path,
    concurrency: int,
    work: Path,
    count: int,
    tune: tuple[str, ...] = (),
) -> Row:
    cmd = policyctl_cmd(repo, sink.port, recipients, ledger, concurrency, tune)
    out = work / (f"{label}.json" if not tune else f"{label}-{'+'.join(tune)}.json")
    with Meter(sink.proc.pid) as meter:
        code, seconds, peak, cpu, samples = run_measured(cmd, out)
        others = meter.finish(cpu)
    try:
        report = json.loads(out.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SystemExit(
            f"{label}: policyctl notify exited {code}: {out.with_suffix('.err').read_text()[-2000:]}"
        ) from None
    campaign = report["campaigns"][0]
    if code != 0 or campaign["sent"] != count:
        raise SystemExit(
            f"{label}: exit {code}, sent {campaign['sent']} of {count}: {json.dumps(report)[:2000]}"
        )
    shares = [(t / seconds, mb) for t, mb in samples]
    return Row(
        f"ours ({label})" if not tune else f"ours ({label}, {'+'.join(tune)})",
        campaign["sent"],
        seconds,
        campaign["duration_seconds"],
        peak,
        shares,
        cpu,
        others,
        note=f"concurrency {concurrency}, ledger: {campaign['ledger']['sent']} sent, "
        f"{campaign['remaining']} remaining",
    )


def run_smtp_source(sink: Sink, count: int, sessions: int, message: Path, work: Path, label: str) -> Row:
    cmd = [
        SMTP_SOURCE,
        "-d",
        "-s",
        str(sessions),
        "-m",
        str(count),
        "-F",
        str(message),
        "-f",
        "privacy@shop.example",
        "-t",
        "user@example.test",
        f"127.0.0.1:{sink.port}",
    ]
    with Meter(sink.proc.pid) as meter:
        code, seconds, _peak, cpu, _samples = run_measured(cmd, work / "smtp-source.out")
        others = meter.finish(cpu)
    if code != 0:
        raise SystemExit(f"smtp-source exited {code}: {(work / 'smtp-source.err').read_text()[-1000:]}")
    return Row(
        label,
        count,
        seconds,
        cpu_seconds=cpu,
        others=others,
        note=f"-s {sessions}, {message.stat().st_size} B message (-F)",
    )


def naive_message(i: int, subject: str, text: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]} <user{i}@example{i % 97}.test>"
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="shop.example")
    msg.set_content(text)
    msg.add_alternative(body, subtype="html")
    return msg


async def _naive(port: int, count: int, parallel: int, parts: tuple[str, str, str]) -> None:
    import aiosmtplib

    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> None:
        async with gate:
            await aiosmtplib.send(naive_message(i, *parts), hostname="127.0.0.1", port=port, start_tls=False)

    if parallel == 1:
        for i in range(count):
            await aiosmtplib.send(naive_message(i, *parts), hostname="127.0.0.1", port=port, start_tls=False)
    else:
        await asyncio.gather(*(one(i) for i in range(count)))


def run_naive(sink: Sink, count: int, parallel: int, parts: tuple[str, str, str]) -> Row:
    with Meter(sink.proc.pid) as meter:
        started = time.perf_counter()
        cpu0 = sum(os.times()[:2])
        asyncio.run(_naive(sink.port, count, parallel, parts))
        seconds = time.perf_counter() - started
        cpu = sum(os.times()[:2]) - cpu0
        others = meter.finish(0.0)  # this process is `me` in the meter
    if parallel == 1:
        return Row(
            "naive",
            count,
            seconds,
            cpu_seconds=cpu,
            others=others,
            note="EmailMessage + aiosmtplib.send per message, one at a time",
        )
    return Row(
        f"naive x{parallel} (info)",
        count,
        seconds,
        cpu_seconds=cpu,
        others=others,
        note=f"same, {parallel} sends in flight",
    )


def sample_notice(repo: Path, work: Path) -> tuple[Path, tuple[str, str, str]]:
    """One notice through the same path (outbox channel): its bytes for smtp-source, its parts for naive."""
    users = work / "one.csv"
    users.write_text("email,name\nuser0@example0.test,Ann Smith\n", encoding="utf-8")
    outbox = work / "outbox"
    subprocess.run(
        [
            str(BIN / "policyctl"),
            "notify",
            "--repo",
            str(repo),
            "--as-of",
            AS_OF,
            "--site-url",
            SITE,
            "--from",
            SENDER,
            "--recipients",
            str(users),
            "--outbox",
            str(outbox),
            "--ledger",
            f"sqlite:///{work / 'sample-ledger.sqlite3'}",
        ],
        check=True,
        capture_output=True,
    )
    raw = next(outbox.rglob("*.eml")).read_bytes()
    message = work / "notice.eml"  # smtp-source -F appends CRLF to each line itself
    message.write_bytes(raw.replace(b"\r\n", b"\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    body = parsed.get_body(("html",)).get_content()
    return message, (str(parsed["Subject"]), text, body)


def profile(repo: Path, port: int, csv_path: Path, concurrency: int, work: Path) -> list[str]:
    """pyinstrument (main thread, where the event loop runs) and py-spy (all threads) on one CSV campaign."""
    outputs = []
    cmd = policyctl_cmd(
        repo, port, ["--recipients", str(csv_path)], work / "ledger-pyinstrument.sqlite3", concurrency
    )
    text = work / "pyinstrument.txt"
    subprocess.run(
        [str(BIN / "python"), "-m", "pyinstrument", "-r", "text", "-o", str(text), *cmd],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outputs.append(str(text))
    spy = shutil.which("py-spy") or (str(BIN / "py-spy") if (BIN / "py-spy").exists() else None)
    if spy:
        cmd = policyctl_cmd(
            repo, port, ["--recipients", str(csv_path)], work / "ledger-pyspy.sqlite3", concurrency
        )
        flame = work / "py-spy.txt"
        r = subprocess.run(
            [spy, "record", "--threads", "--format", "raw", "--rate", "200", "-o", str(flame), "--", *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if r.returncode == 0:
            outputs.append(str(flame))
        else:
            print(f"py-spy failed: {r.stderr.decode()[-500:]}", file=sys.stderr)
    return outputs


def summarize_pyspy(path: Path, top: int = 25) -> str:
    """Self time and inclusive time per function from a py-spy raw (collapsed) file, all threads."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    threads: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        threads[frames[0]] = threads.get(frames[0], 0) + count
        names = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split("/")[-1] if " (" in f else f for f in frames[1:]
        ]
        for name in set(names):
            incl[name] = incl.get(name, 0) + count
        if names:
            own[names[-1]] = own.get(names[-1], 0) + count
    lines = [f"samples: {total}"]
    lines += [
        f"  thread {t}: {100 * c / total:.1f}%" for t, c in sorted(threads.items(), key=lambda kv: -kv[1])
    ]
    lines.append("self time:")
    lines += [
        f"  {100 * c / total:5.1f}%  {name}" for name, c in sorted(own.items(), key=lambda kv: -kv[1])[:top]
    ]
    lines.append("inclusive:")
    lines += [
        f"  {100 * c / total:5.1f}%  {name}" for name, c in sorted(incl.items(), key=lambda kv: -kv[1])[:top]
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------- report


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


def code_version() -> str:
    """The commit measured, and whether notify/ or generator/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "notify", "generator"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split()
    except OSError:
        return "unknown (no git)"
    return f"{head}" + (f" with uncommitted changes in {', '.join(dirty[1::2])}" if dirty else "")


def rss_profile(row: Row) -> str:
    if not row.rss_samples:
        return ""
    picks = []
    for share in (0.25, 0.5, 0.75, 1.0):
        near = min(row.rss_samples, key=lambda s: abs(s[0] - share))
        picks.append(f"{near[1]:.0f}")
    return "RSS MB at 25/50/75/100%: " + "/".join(picks)


def report(rows: list[Row], count: int) -> None:
    source = max((r for r in rows if r.name.startswith("smtp-source")), key=lambda r: r.rate)
    source_cpu = max(
        (r for r in rows if r.name.startswith("smtp-source")), key=lambda r: r.per_cpu_second or 0
    )
    naive = next(r for r in rows if r.name == "naive")
    print()
    print(
        f"{'':24} {'messages':>9} {'seconds':>8} {'msg/s':>7} {'campaign':>9} {'client CPU s':>12} "
        f"{'msg/CPU-s':>9} {'peak RSS MB':>11} {'others':>7}  notes"
    )
    for r in rows:
        camp = f"{r.campaign_rate:.0f}" if r.campaign_rate else ""
        rss = f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb else ""
        cpu = f"{r.cpu_seconds:.1f}" if r.cpu_seconds is not None else ""
        per = f"{r.per_cpu_second:.0f}" if r.per_cpu_second else ""
        others = f"{100 * r.others:.0f}%" if r.others is not None else ""
        print(
            f"{r.name:24} {r.messages:>9} {r.seconds:>8.1f} {r.rate:>7.0f} {camp:>9} {cpu:>12} {per:>9} {rss:>11} "
            f"{others:>7}  {r.note}"
        )
    print(
        "(msg/s: whole command, start-up included; campaign: the runner's own duration; client CPU: user+system of"
        " the sending process, the sink excluded; others: share of all CPUs used by processes outside this run)"
    )
    print()
    for r in rows:
        if not r.name.startswith("ours"):
            continue
        vs_source, vs_naive = r.rate / source.rate, r.rate / naive.rate
        print(
            f"{r.name}: {vs_source:.2f} x smtp-source -d (target >= 0.35: {'ok' if vs_source >= 0.35 else 'MISSED'}), "
            f"{vs_naive:.1f} x naive (target >= 4: {'ok' if vs_naive >= 4 else 'MISSED'}), "
            f"peak RSS {r.peak_rss_mb:.0f} MB (target < 250 at 1 000 000: "
            f"{'ok' if r.peak_rss_mb < 250 else 'MISSED'}{'' if count >= 1_000_000 else ', measured at ' + format(count, ',')}); "
            f"{rss_profile(r)}"
        )
        if r.per_cpu_second and source_cpu.per_cpu_second and naive.per_cpu_second:
            print(
                f"    per CPU-second of the sender: {r.per_cpu_second / source_cpu.per_cpu_second:.2f} x smtp-source, "
                f"{r.per_cpu_second / naive.per_cpu_second:.1f} x naive"
            )
    busy = [r for r in rows if r.others is not None and r.others > 0.1]
    if busy:
        print(
            f"warning: other processes used over 10% of the CPUs during: {', '.join(r.name for r in busy)};"
            " rates are then low (rerun on a quiet machine)"
        )


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large", action="store_true", help="1 000 000 recipients instead of 100 000")
    parser.add_argument("--count", type=int, help="number of recipients (overrides --large)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="SMTP sessions, ours and smtp-source's (default 8, policyctl's default)",
    )
    parser.add_argument(
        "--naive", type=int, default=5000, help="messages the naive baseline sends (default 5000)"
    )
    parser.add_argument("--only", choices=("csv", "sqlite"), help="run only one of our campaigns")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one CSV campaign (pyinstrument, py-spy)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--without-pipelining",
        action="store_true",
        help="also run the CSV campaign against a second smtp-sink that does not offer PIPELINING (-p)",
    )
    parser.add_argument(
        "--tune",
        action="append",
        default=[],
        metavar="VARIANTS",
        help="experiment: also run the CSV campaign with these interpreter settings, comma-separated "
        f"from {', '.join(TUNE)} (uvloop must be installed); repeatable",
    )
    args = parser.parse_args()
    count = args.count or (1_000_000 if args.large else 100_000)
    for tool in (SMTP_SINK, SMTP_SOURCE):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} missing: apt-get install postfix (or `make debian-bench`)")

    work = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    print(f"machine: {machine()}")
    print(f"code: {code_version()}")
    print(f"work folder: {work}")
    sink = None
    try:
        t = time.perf_counter()
        repo = make_repo(work / "repo")
        csv_path, db_path = make_recipients(work, count)
        print(
            f"set-up: repo + {count:,} recipients as CSV ({csv_path.stat().st_size / 2**20:.1f} MB) and SQLite "
            f"in {time.perf_counter() - t:.1f}s"
        )
        message, parts = sample_notice(repo, work)
        sink = Sink(work)
        print(f"sink: {sink.command}")
        rows: list[Row] = []

        # smtp-source runs before and after our campaigns; the ratio uses the better of the two.
        rows.append(run_smtp_source(sink, count, args.concurrency, message, work, "smtp-source -d"))
        print(f"  smtp-source -d: {rows[-1].rate:.0f} msg/s", flush=True)
        if args.only != "sqlite":
            rows.append(
                run_ours(
                    "CSV",
                    repo,
                    sink,
                    ["--recipients", str(csv_path)],
                    work / "ledger-csv.sqlite3",
                    args.concurrency,
                    work,
                    count,
                )
            )
            print(f"  ours (CSV): {rows[-1].rate:.0f} msg/s", flush=True)
        if args.only != "csv":
            rows.append(
                run_ours(
                    "SQLite",
                    repo,
                    sink,
                    ["--recipients", f"sqlite:///{db_path}", "--query", "SELECT email, name FROM users"],
                    work / "ledger-sqlite.sqlite3",
                    args.concurrency,
                    work,
                    count,
                )
            )
            print(f"  ours (SQLite): {rows[-1].rate:.0f} msg/s", flush=True)
        for n, variant in enumerate(args.tune):
            tune = tuple(v for v in variant.split(",") if v)
            rows.append(
                run_ours(
                    "CSV",
                    repo,
                    sink,
                    ["--recipients", str(csv_path)],
                    work / f"ledger-tune{n}.sqlite3",
                    args.concurrency,
                    work,
                    count,
                    tune,
                )
            )
            print(f"  {rows[-1].name}: {rows[-1].rate:.0f} msg/s", flush=True)
        if args.without_pipelining:
            plain = Sink(work, pipelining=False)
            try:
                rows.append(
                    run_ours(
                        "CSV, no PIPELINING",
                        repo,
                        plain,
                        ["--recipients", str(csv_path)],
                        work / "ledger-csv-no-pipelining.sqlite3",
                        args.concurrency,
                        work,
                        count,
                    )
                )
            finally:
                plain.stop()
            print(f"  {rows[-1].name} (smtp-sink -p): {rows[-1].rate:.0f} msg/s", flush=True)
        rows.append(run_smtp_source(sink, count, args.concurrency, message, work, "smtp-source -d (again)"))
        print(f"  smtp-source -d (again): {rows[-1].rate:.0f} msg/s", flush=True)
        rows.append(run_naive(sink, args.naive, 1, parts))
        print(f"  naive: {rows[-1].rate:.0f} msg/s", flush=True)
        rows.append(run_naive(sink, args.naive, args.concurrency, parts))
        report(rows, count)

        if args.profile:
            outputs = profile(repo, sink.port, csv_path, args.concurrency, work)
            print()
            for out in outputs:
                print(f"profile: {out}")
                if out.endswith("py-spy.txt"):
                    print(summarize_pyspy(Path(out)))
                else:
                    lines = Path(out).read_text().splitlines()
                    print("\n".join(lines[:60]))
    finally:
        if sink is not None:
            sink.stop()
        if args.keep or args.profile:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
