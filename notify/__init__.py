"""Telling users of a policy's changes, and keeping their answers.

The generator decides which revisions need a notice and hands them over as
:class:`notify.contract.revision.Revision`; :mod:`notify.delivery` runs the campaign and
keeps the ledger; :mod:`notify.answers` records users' answers and says which version
governs each user. The two share only :mod:`notify.common`.
"""

from __future__ import annotations

from notify.common.errors import NotifyError
from notify.contract.revision import Revision

__all__ = ["NotifyError", "Revision"]
