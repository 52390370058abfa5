"""The fields a recipient record is read from, whatever the source: the CSV header, the
JSON-lines keys, the columns of a query's result. The sources (:mod:`.sources`) and the
query reader's child process (:mod:`.sqlsource`) both read them from here."""

from __future__ import annotations

COLUMNS: tuple[str, ...] = ("email", "phone", "name", "locale", "id")
