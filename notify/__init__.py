"""Change notifications: recipients, messages, the delivery ledger and channels.

The generator decides which revisions need a notice and hands them over as
:class:`notify.revision.Revision`; :func:`notify.cli.run` runs the campaign.
"""

from __future__ import annotations

from notify.errors import NotifyError
from notify.revision import Revision

__all__ = ["NotifyError", "Revision"]
