"""TLS: STARTTLS with authentication, implicit TLS (smtps://), and certificate checks."""

from __future__ import annotations

from pathlib import Path

from notify_support import notify, write_csv


def test_starttls_then_auth_on_a_server_that_requires_both(
    tmp_path: Path, revision, smtp_server, certificate, monkeypatch
) -> None:
    server = smtp_server(auth=("shop", "pw"), tls="starttls", cert=certificate)
    write_csv(tmp_path / "users.csv", 3)
    monkeypatch.setenv("POLICYCTL_SMTP_PASSWORD", "pw")
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://shop@127.0.0.1:{server.port}",
        "--cafile",
        str(certificate[0]),
    )
    assert result.code == 0, result.out
    assert len(server.received) == 3


def test_implicit_tls(tmp_path: Path, revision, smtp_server, certificate) -> None:
    server = smtp_server(tls="implicit", cert=certificate)
    write_csv(tmp_path / "users.csv", 3)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtps://127.0.0.1:{server.port}",
        "--cafile",
        str(certificate[0]),
    )
    assert result.code == 0, result.out
    assert len(server.received) == 3


def test_an_untrusted_certificate_is_refused(tmp_path: Path, revision, smtp_server, certificate) -> None:
    server = smtp_server(tls="implicit", cert=certificate)
    write_csv(tmp_path / "users.csv", 1)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtps://127.0.0.1:{server.port}",
    )
    assert (
        result.code == 2
        and "cannot reach the SMTP server" in result.out
        and "CERTIFICATE_VERIFY_FAILED" in result.out
    )
    assert server.received == []
