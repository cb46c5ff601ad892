"""GetDelegatedAccessToken's trade-in tokens: a promise, sealed under PLAYGROUND_MASTER_KEY, that
whoever presents it before it expires (on the sandbox clock) gets credentials of one principal.

AWS issues trade-in tokens through features outside STS's API; here a service or a lab hands them
out with `services.sts.public.trade_in_token`.
"""

from __future__ import annotations

import datetime as dt
import json

from cryptography.fernet import InvalidToken

from playground.sandboxes.models import Sandbox, decrypt_secret, encrypt_secret
from services.sts.exceptions import AccessDenied, ExpiredTradeInToken

DELEGATED_SESSION_SECONDS = 3600


def trade_in_token_issue(*, sandbox: Sandbox, principal_arn: str, now: dt.datetime, seconds: int) -> str:
    expires = (now + dt.timedelta(seconds=seconds)).timestamp()
    payload = {"kind": "trade-in", "account": sandbox.account_id, "principal": principal_arn, "expires": expires}
    return encrypt_secret(json.dumps(payload, separators=(",", ":")))


def trade_in_token_redeem(*, sandbox: Sandbox, token: str, now: dt.datetime) -> str:
    """The principal a trade-in token of this sandbox stands for; refuses an expired or foreign one."""
    try:
        payload = json.loads(decrypt_secret(token.strip()))
    except (InvalidToken, ValueError, UnicodeError):
        payload = None
    expected = ("trade-in", sandbox.account_id)
    if not isinstance(payload, dict) or (payload.get("kind"), payload.get("account")) != expected:
        raise AccessDenied("The trade-in token is not valid.")
    if float(payload["expires"]) <= now.timestamp():
        raise ExpiredTradeInToken()
    return str(payload["principal"])
