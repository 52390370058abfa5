"""Fixtures of the notify tests: a revision, a real SMTP server (aiosmtpd) on loopback,
a real PostgreSQL cluster, and a self-signed certificate. Plain helpers are in
notify_support.py beside this file."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from notify_support import ROOT, Receiver, SmtpServer, authenticator, make_revision
from tests_support import free_port

from notify.contract.revision import Revision


@pytest.fixture
def revision() -> Revision:
    """Privacy Policy 2.0: published 30 September 2026, effective 16 October, core rights."""
    return make_revision()


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SmtpServer]]:
    """Factory: smtp_server(auth=("user", "secret"), tls=..., cert=..., **handler options)
    -> a started aiosmtpd server on 127.0.0.1; every one is stopped after the test."""
    controllers: list[tuple[Controller, SmtpServer]] = []

    def start(
        auth: tuple[str, str] | None = None,
        tls: str | None = None,
        cert: tuple[Path, Path] | None = None,
        **options: Any,
    ) -> SmtpServer:
        """tls: None (plain), "starttls" (STARTTLS required) or "implicit" (smtps); cert: (certfile, keyfile)."""
        handler = SmtpServer(**options)
        handler.port = free_port()
        kwargs: dict[str, Any] = {}
        if auth:
            kwargs = {
                "authenticator": authenticator(*auth),
                "auth_require_tls": tls is not None,
                "auth_required": True,
            }
        if tls:
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            if tls == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        controller = Controller(handler, hostname="127.0.0.1", port=handler.port, ready_timeout=10, **kwargs)
        controller.start()
        handler.controller = controller
        controllers.append((controller, handler))
        return handler

    yield start
    for controller, handler in controllers:
        handler.release.set()
        try:
            controller.stop()
        except AssertionError:  # already stopped by the test
            pass


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL cluster of its own (scripts/start-postgres.sh), for the whole session."""
    base = tempfile.mkdtemp(prefix="policy-notify-pg-")
    os.chmod(base, 0o755)
    cluster = os.path.join(base, "cluster")
    script = ROOT / "scripts" / "start-postgres.sh"
    started = subprocess.run(
        ["sh", str(script), "start", cluster, str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        raise RuntimeError(f"could not start PostgreSQL for the tests:\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["sh", str(script), "stop", cluster], capture_output=True, text=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A database of its own for one test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl command line)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Factory: small_disk(mib) -> a real file system (tmpfs) of that size of its own, so
    that filling it fills only the disk of what the test puts there (a ledger, an outbox)."""
    mounts: list[Path] = []

    def mount(mib: int) -> Path:
        place = tmp_path / f"small-disk-{len(mounts)}"
        place.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={mib}m,mode=0755", "tmpfs", str(place)], check=True
        )
        mounts.append(place)
        return place

    yield mount
    for place in mounts:
        subprocess.run(["umount", "-l", str(place)], check=True)
