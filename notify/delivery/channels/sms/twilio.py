"""Texts through Twilio's Programmable Messaging (the Messages resource, API 2010-04-01).

``--sms twilio://ACCOUNT_SID@api.twilio.com?from=+15005550006`` (an SMS-capable number,
short code or alphanumeric sender ID of the account) or ``?messaging_service=MG…`` (a
Messaging Service, which picks the sender from its pool); the Auth Token of the account
is in ``POLICYCTL_SMS_TOKEN``.

One text is one ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP
Basic authentication (account SID, Auth Token) and a form body ``To``, ``From`` or
``MessagingServiceSid``, ``Body``. Twilio answers 201 with the message's JSON (its
``sid``), or an error object ``{"code": N, "message": "...", "status": S}`` whose code
(https://www.twilio.com/docs/api/errors) says whose fault it is:

- throttled (429, code 20429) or Twilio's own fault (5xx): temporary;
- the credentials, the account, the sender or a setting of the account (geographic
  permissions, a trial account): :class:`ConfigurationError`, every recipient would get
  the same answer (``POLICYCTL_SMS_TOKEN`` for refused credentials, else ``--sms``);
- this recipient (an invalid, unreachable or landline number, an opt-out) and any other
  4xx: permanent.

Twilio echoes the number in its answers (``to``, and in some messages), so the reply
kept is built from the status, the code and the message with numbers blotted out.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.secrets import SMS_TOKEN_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.sms.common import USER_AGENT, endpoint, json_object, redact, status_line
from notify.delivery.channels.sms.provider import SETTING, Request, TextMessage

if TYPE_CHECKING:
    from notify.delivery.channels.sms.provider import Provider

SCHEMES = ("twilio", "twilio+http")
"""The URL schemes of this provider (``twilio+http`` is plain HTTP, see
:mod:`notify.delivery.channels.sms.common`)."""
API_VERSION = "2010-04-01"
PARAMETERS = frozenset({"from", "messaging_service"})

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
# An E.164 number, a short code, or an alphanumeric sender ID (1-11 letters, digits and
# spaces, at least one letter): what Twilio's From takes for SMS.
_SENDER = re.compile(r"\+[1-9]\d{1,14}|\d{3,8}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}")

TEMPORARY_CODES = frozenset(
    {
        20429,  # Too Many Requests
        20500,  # Internal Server Error
        20503,  # Service Unavailable
        21730,  # System under maintenance
    }
)
PERMANENT_CODES = frozenset(
    {
        21211,  # Invalid 'To' Phone Number
        21610,  # the recipient has opted out (replied STOP) of this sender
        21612,  # the 'To' number is not reachable via SMS (from this sender)
        21614,  # 'To' number is not a valid mobile number
        21635,  # 'To' number cannot be a landline
    }
)
"""This recipient's fault. Listed for the reader: any 4xx not otherwise known is permanent too."""

_CREDENTIALS = (
    "Twilio refused the credentials: check the account SID in --sms (ACCOUNT_SID@host) and that "
    f"{SMS_TOKEN_ENV} holds that account's Auth Token (Twilio console, Account Info)"
)
_FROM = (
    "write from= as a number, short code or sender ID of this account that can send SMS here "
    "(Twilio console, Phone Numbers), in E.164 (+15005550006), or use messaging_service="
)
CONFIGURATION_CODES: dict[int, tuple[str, str]] = {
    20003: (SMS_TOKEN_ENV, _CREDENTIALS),  # Authentication Error
    20005: (SETTING, "the account is not active (suspended or closed): see the Twilio console"),
    20404: (SETTING, "no such account at this host: check the account SID and the host in --sms"),
    21212: (SETTING, "the From is not valid: " + _FROM),  # Invalid 'From' Phone Number
    21606: (SETTING, "the From cannot send SMS to this destination: " + _FROM),
    21659: (SETTING, "the From is not a Twilio number of this account: " + _FROM),
    21660: (SETTING, "the From belongs to another account than the SID in --sms: " + _FROM),
    21408: (
        SETTING,
        "the account may not send SMS to this recipient's country: enable it in the Twilio console "
        "(Messaging, Settings, Geo permissions)",
    ),
    21608: (
        SETTING,
        "the account is a trial account, which sends only to verified numbers: upgrade it in the Twilio console",
    ),
    21703: (SETTING, "the Messaging Service has no sender for this text: add numbers to its Sender Pool"),
    21704: (SETTING, "the Messaging Service has no phone numbers: add numbers to its Sender Pool"),
    21705: (SETTING, "the Messaging Service is not valid: check messaging_service= (MG…) in --sms"),
}
"""Codes every recipient would get alike: the setting to fix and what to check."""
CONFIGURATION_STATUSES: dict[int, tuple[str, str]] = {
    401: (SMS_TOKEN_ENV, _CREDENTIALS),
    403: (
        SETTING,
        "Twilio does not let this account use the Messages API: see the account in the Twilio console",
    ),
    404: CONFIGURATION_CODES[20404],
}
"""The same, by the HTTP status, for answers whose code is not in the table above."""


@dataclass(frozen=True, slots=True)
class TwilioProvider:
    """Sends :attr:`TextMessage.text` as it is (free text) from one account."""

    account_sid: str
    token: str = field(repr=False)
    sender: str
    """``From`` ("" when the Messaging Service picks it)."""
    messaging_service: str
    """``MessagingServiceSid`` ("" when ``From`` alone is given)."""
    base: str
    host: str
    insecure: bool
    name: str = field(default="twilio", init=False)
    free_text: bool = field(default=True, init=False)
    template_fields: tuple[str, ...] = field(default=(), init=False)

    @property
    def description(self) -> str:
        return f"SMS via Twilio at {self.host}"

    @classmethod
    def from_url(cls, url: str, token: str | None, *, allow_insecure: bool) -> TwilioProvider:
        """The provider of ``--sms twilio://ACCOUNT_SID@host[:port]?from=...`` with the Auth
        Token from the environment (``token``): NotifyError naming ``--sms`` or the token's
        variable and what to write, never echoing the token."""
        ep = endpoint(
            url, "twilio", allow_insecure=allow_insecure, known=PARAMETERS, secret_env=SMS_TOKEN_ENV
        )
        if not _ACCOUNT_SID.fullmatch(ep.user):
            raise NotifyError(
                f"{SETTING} {url!r}: put the account SID before the host, twilio://ACCOUNT_SID@api.twilio.com "
                "(AC and 32 hexadecimal digits, on the Twilio console's Account Info)"
            )
        sender, service = ep.query.get("from", ""), ep.query.get("messaging_service", "")
        if not sender and not service:
            raise NotifyError(
                f"{SETTING} {url!r}: name the sender: add ?from=+15005550006 (a number of the account "
                "that can send SMS, in E.164) or ?messaging_service=MG... (a Messaging Service SID)"
            )
        if sender and not _SENDER.fullmatch(sender):
            raise NotifyError(
                f"{SETTING} {url!r}: from= is a number in E.164 (+15005550006; write a '+' or %2B), "
                "a short code, or an alphanumeric sender ID of at most 11 letters and digits"
            )
        if service and not _SERVICE_SID.fullmatch(service):
            raise NotifyError(
                f"{SETTING} {url!r}: messaging_service= is a Messaging Service SID: MG and 32 hexadecimal digits"
            )
        if not token:
            raise NotifyError(
                f"{SMS_TOKEN_ENV} is not set: export the Auth Token of the Twilio account {ep.user} "
                "(Twilio console, Account Info) in the environment of `policyctl notify`"
            )
        return cls(ep.user, token, sender, service, ep.base, ep.host, ep.insecure)

    def request(self, message: TextMessage, now: float) -> Request:
        """The Messages resource's create: Twilio needs no timestamp, so ``now`` is unused."""
        form = [("To", message.to)]
        if self.sender:
            form.append(("From", self.sender))
        if self.messaging_service:
            form.append(("MessagingServiceSid", self.messaging_service))
        form.append(("Body", message.text))
        credentials = base64.b64encode(f"{self.account_sid}:{self.token}".encode()).decode("ascii")
        return Request(
            method="POST",
            url=f"{self.base}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Accept-Encoding": "identity",
                "User-Agent": USER_AGENT,
            },
            content=urlencode(form).encode("ascii"),
        )

    def outcome(self, status: int, headers: Mapping[str, str], body: bytes) -> Attempt:
        data = json_object(body)
        if 200 <= status < 300:
            return self._accepted(status, data)
        code = _code(data)
        message = redact(str(data.get("message") or ""))
        reply = (
            status_line(status)
            + (f": Twilio error {code}" if code else "")
            + (f": {message}" if message else "")
        )
        if status == 429 or status >= 500 or code in TEMPORARY_CODES:
            return Attempt(TEMPORARY, reply)
        fault = CONFIGURATION_CODES.get(code) or CONFIGURATION_STATUSES.get(status)
        if fault is not None:
            setting, advice = fault
            raise ConfigurationError(setting, f"Twilio at {self.host} answered {reply}; {advice}")
        return Attempt(PERMANENT, reply)

    def _accepted(self, status: int, data: dict[str, Any]) -> Attempt:
        """A 2xx: sent, with the message's sid. Without a sid the answer is not Twilio's
        (a proxy, another service at this host): every text would meet it."""
        sid = data.get("sid")
        if not isinstance(sid, str) or not sid:
            raise ConfigurationError(
                SETTING,
                f"{self.host} answered {status_line(status)} without a message sid: it is not Twilio's "
                "Messages API; check the host in --sms (api.twilio.com)",
            )
        state = redact(str(data.get("status") or ""))  # "queued", "accepted"
        return Attempt(SENT, f"{status_line(status)}: " + " ".join(filter(None, (state, sid))), sid)


def _code(data: dict[str, Any]) -> int:
    """Twilio's error code (0 when the answer has none)."""
    code = data.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return 0


if TYPE_CHECKING:

    def _is_a_provider(provider: TwilioProvider) -> Provider:
        """mypy checks here that the class satisfies the Provider protocol."""
        return provider
