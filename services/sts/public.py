"""What other services may call of STS.

authorization_message(sandbox=..., principal_arn=..., action="ec2:RunInstances", resource=ARN)
    -> the encoded message an AWS error carries after "Encoded authorization failure message:",
       which the caller decodes with sts:DecodeAuthorizationMessage.
trade_in_token(sandbox=..., principal_arn=..., now=..., seconds=...)
    -> a trade-in token GetDelegatedAccessToken exchanges for credentials of that principal.
"""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from playground.sandboxes.principals import principal_id
from services.sts.delegation import trade_in_token_issue
from services.sts.messages import authorization_document, message_encode


def authorization_message(
    *,
    sandbox: Sandbox,
    principal_arn: str,
    action: str,
    resource: str,
    explicit_deny: bool = False,
    conditions: dict[str, str] | None = None,
) -> str:
    document = authorization_document(
        principal_arn=principal_arn,
        principal_id=principal_id(principal_arn),
        action=action,
        resource=resource,
        explicit_deny=explicit_deny,
        conditions=conditions,
    )
    return message_encode(sandbox=sandbox, document=document)


def trade_in_token(*, sandbox: Sandbox, principal_arn: str, now: dt.datetime, seconds: int = 300) -> str:
    return trade_in_token_issue(sandbox=sandbox, principal_arn=principal_arn, now=now, seconds=seconds)
