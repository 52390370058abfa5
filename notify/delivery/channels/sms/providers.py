"""``--sms URL``: the provider its scheme names, with its secret from the environment.

- ``https://…`` (``http://`` to a loopback host): the operator's gateway
  (:mod:`.generic`), signed with ``POLICYCTL_SMS_SECRET`` when it is set;
- ``twilio://ACCOUNT_SID@host?from=+1…`` (or ``messaging_service=MG…``): Twilio's
  Messages API (:mod:`.twilio`), with the auth token in ``POLICYCTL_SMS_TOKEN``;
- ``aliyun://ACCESS_KEY_ID@host?sign_name=…&template_code=…``: Alibaba Cloud SMS
  ``SendSms`` (:mod:`.aliyun`), with the AccessKey secret in ``POLICYCTL_SMS_SECRET``.

``twilio+http://`` and ``aliyun+http://`` speak plain HTTP to a relay that is not on
loopback (with ``--allow-insecure``); to a loopback host the plain schemes already do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from notify.common import secrets
from notify.common.errors import NotifyError
from notify.common.secrets import SMS_SECRET_ENV, SMS_TOKEN_ENV
from notify.delivery.channels.sms import aliyun, twilio
from notify.delivery.channels.sms.generic import GenericProvider
from notify.delivery.channels.sms.provider import SETTING, Provider


def provider_for(url: str, *, allow_insecure: bool = False) -> Provider:
    """The provider of ``--sms url``; NotifyError naming what to write when it cannot be used."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return GenericProvider.from_url(url, secrets.read(SMS_SECRET_ENV), allow_insecure=allow_insecure)
    if scheme in twilio.SCHEMES:
        return twilio.TwilioProvider.from_url(url, secrets.read(SMS_TOKEN_ENV), allow_insecure=allow_insecure)
    if scheme in aliyun.SCHEMES:
        return aliyun.AliyunProvider.from_url(
            url, secrets.read(SMS_SECRET_ENV), allow_insecure=allow_insecure
        )
    raise NotifyError(
        f"{SETTING} {url!r}: give https://your-gateway/…, twilio://ACCOUNT_SID@api.twilio.com?from=+1… "
        "or aliyun://ACCESS_KEY_ID@dysmsapi.aliyuncs.com?sign_name=…&template_code=…"
    )
