"""`policyctl status` as an operator reads it in an 80-column terminal: each document's
version in force, pending and scheduled versions, and the next change with what it is,
never cut short."""

from __future__ import annotations


def test_status_lists_pending_and_scheduled_versions_and_the_whole_next_change_at_80_columns(
    history, policyctl, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "80")
    result = policyctl("status", "--repo", history.path, "--as-of", "2026-10-08")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Policies as of 2026-10-08 00:00 +08:00"
    assert "Privacy Policy (privacy)" in lines
    assert "  in force:      1.0 since 2026-09-01" in lines
    assert "  pending:       2.0 from 2026-10-16 (core rights)" in lines
    # 3.0 is committed but published only on 20 November: the operator sees it coming.
    assert "  scheduled:     3.0 published 2026-11-20, effective 2026-12-02" in lines
    assert "  next change:   2026-10-16 00:00 +08:00 (2.0 takes effect)" in lines
    assert lines[-1] == "Rebuild the site at 2026-10-16T00:00:00+08:00 (the next state change)."
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]


def test_status_names_a_scheduled_publication_as_the_next_change(history, policyctl, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = policyctl("status", "--repo", history.path, "--as-of", "2026-10-20")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "  in force:      2.0 since 2026-10-16" in lines
    assert "  pending:       —" in lines
    assert "  next change:   2026-11-20 00:00 +08:00 (3.0 is published)" in lines


def test_the_header_names_the_instant_to_the_minute_with_its_offset(history, policyctl):
    """An --as-of with seconds and their fractions (or the clock's now) is shown to the
    minute, never as "2026-12-08 02:13 .041620+08:00"."""
    result = policyctl("status", "--repo", history.path, "--as-of", "2026-10-08T10:30:15.041620")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Policies as of 2026-10-08 10:30 +08:00"
