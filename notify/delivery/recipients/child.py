"""Child processes of this package (`python -m notify.<module>`), for work that would
otherwise hold the GIL beside the sending event loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def python_child(module: str) -> subprocess.Popen[bytes]:
    """``python -m module`` with this package importable, stdin and stdout piped."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        bufsize=1 << 16,
    )


def end_child(proc: subprocess.Popen[bytes], finished: bool) -> None:
    """Reap a child whose output was read to its end (``finished``), or kill it first when
    its reader stopped early (the campaign stopped, or the child's output was unusable)."""
    if proc.poll() is None:
        if not finished:
            proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
