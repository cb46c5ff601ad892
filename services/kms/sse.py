"""Server-side encryption at rest for the services that keep data under a KMS key (SQS queues and
SNS topics with KmsMasterKeyId): the domain functions they call, never the AWS API.

SQS, on SendMessage to a queue with KmsMasterKeyId (services/sqs/encryption.py):

    context = {"aws:sqs:arn": queue_arn}
    data_key, fetched = data_key_for(..., key_id=queue.kms_master_key_id, context=context,
                                     held=<the queue's data key ciphertext>, held_since=<when fetched>,
                                     reuse=<KmsDataKeyReusePeriodSeconds>, now=now)
    if fetched: keep data_key.ciphertext and now on the queue row (never data_key.plaintext)
    stored = seal(data_key.plaintext, body_bytes, aad=message_id.encode())
    keep `stored` and data_key.ciphertext on the message row; the body is not stored in plaintext.

and on ReceiveMessage: body = open_sealed(open_data_key(...).plaintext, stored, aad=...).

Within the reuse period no KMS call happens (crypto.open_held stands for the service's in-memory
data key cache): a key disabled meanwhile is noticed when the period ends, as AWS documents it.
new_data_key, reuse_data_key and data_key_for past the period raise the KMS errors of
exceptions.py (all KmsError) when the key is disabled, pending deletion, deleted or unusable;
translate them with SQS_ERRORS / SNS_ERRORS into the service's own error shape (SQS answers
KMS.DisabledException as its KmsDisabled shape, and so on). new_data_key publishes a
"generate-data-key" flow from the queue or topic ARN to the key, reuse_data_key with a
source_arn a "decrypt" flow; both are recorded in CloudTrail as KMS events invoked by the service
that owns source_arn (services/cloudtrail/public.py service_call: invokedBy "sqs.amazonaws.com").
Give `caller` (Caller: the principal whose request needed the key, the producer of a SendMessage,
the consumer of a ReceiveMessage, the publisher of a Publish) and the record carries that
principal's identity, as AWS records a service calling KMS on a principal's behalf; without it
(SNS delivering a topic's message, SQS sending for SNS) the identity is the service's own
(AWSService).

SNS checks the key on every Publish (services/sns/publishing.py) and reuses a data key for five
minutes.

"alias/aws/sqs" (or "alias/aws/sns") as KmsMasterKeyId makes the AWS managed key on first use.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from playground.sandboxes.models import Sandbox
from services.kms import crypto, keys
from services.kms.crypto import DataKey
from services.kms.exceptions import InvalidCiphertextException, InvalidKeyUsageException
from services.kms.models import Key
from services.kms.specs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT

__all__ = [
    "SNS_ERRORS",
    "SQS_ERRORS",
    "Caller",
    "DataKey",
    "aws_managed_key",
    "data_key_for",
    "holds",
    "master_key",
    "new_data_key",
    "open_data_key",
    "open_sealed",
    "reuse_data_key",
    "seal",
    "sns_context",
]

NONCE_BYTES = 12

# KMS error code -> the error shape SQS answers with (its model's Kms* shapes; the gateway sends
# them with their query codes, KMS.DisabledException and so on).
SQS_ERRORS = {
    "DisabledException": "KmsDisabled",
    "NotFoundException": "KmsNotFound",
    "KMSInvalidStateException": "KmsInvalidState",
    "InvalidKeyUsageException": "KmsInvalidKeyUsage",
    "AccessDeniedException": "KmsAccessDenied",
    "InvalidCiphertextException": "KmsInvalidState",
}

# KMS error code -> the error shape SNS answers with (its model's KMS* shapes).
SNS_ERRORS = {
    "DisabledException": "KMSDisabledException",
    "NotFoundException": "KMSNotFoundException",
    "KMSInvalidStateException": "KMSInvalidStateException",
    "InvalidKeyUsageException": "KMSInvalidStateException",
    "AccessDeniedException": "KMSAccessDeniedException",
    "InvalidCiphertextException": "KMSInvalidStateException",
}


@dataclass(frozen=True)
class Caller:
    """The principal a service calls KMS for: its ARN and the access key id its request was signed
    with (empty for the console's calls)."""

    principal_arn: str
    access_key_id: str = ""


def sns_context(topic_arn: str) -> dict[str, str]:
    """The encryption context SNS binds a topic's data keys to."""
    return {"aws:sns:topicArn": topic_arn}


def aws_managed_key(*, sandbox: Sandbox, region: str, service: str, now: dt.datetime) -> Key:
    """alias/aws/<service>'s key, made on first use (service: "sqs", "sns", ...)."""
    return keys.aws_managed_key(sandbox=sandbox, region=region, service=service, now=now)


def master_key(*, sandbox: Sandbox, region: str, key_id: str, now: dt.datetime) -> Key:
    """The usable symmetric encryption key a KmsMasterKeyId names (key id, key ARN, alias name or
    alias ARN; alias/aws/<service> made on first use)."""
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, now=now)
    keys.require_enabled(key)
    if key.key_usage != ENCRYPT_DECRYPT or key.key_spec != SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} with key spec {key.key_spec}, which cannot protect data at rest."
        )
    return key


def new_data_key(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    context: dict[str, str],
    source_arn: str,
    now: dt.datetime,
    caller: Caller | None = None,
) -> DataKey:
    """A fresh AES-256 data key under the master key (a GenerateDataKey, shown as a flow from
    `source_arn` to the key, made for `caller`)."""
    key = master_key(sandbox=sandbox, region=region, key_id=key_id, now=now)
    data_key = crypto.generate_data_key(
        sandbox=sandbox, region=region, key_id=key.key_id, key_spec="AES_256", encryption_context=context,
        caller=source_arn, now=now,
    )  # fmt: skip
    params: dict[str, Any] = {"keyId": key_id, "keySpec": "AES_256", "encryptionContext": context}
    _to_cloudtrail(
        "GenerateDataKey", params, data_key, sandbox=sandbox, region=region, source_arn=source_arn, now=now,
        caller=caller,
    )  # fmt: skip
    return data_key


def reuse_data_key(
    *,
    sandbox: Sandbox,
    region: str,
    ciphertext: bytes,
    context: dict[str, str],
    now: dt.datetime,
    source_arn: str = "",
    caller: Caller | None = None,
) -> DataKey:
    """The plaintext of a data key made earlier, from KMS (Decrypt), checking its key is still
    usable. With `source_arn` the call is shown as a "decrypt" flow from it to the key."""
    decrypted = crypto.decrypt(
        sandbox=sandbox, region=region, ciphertext=ciphertext, encryption_context=context, caller=source_arn,
        now=now, record=bool(source_arn),
    )  # fmt: skip
    data_key = DataKey(decrypted.plaintext, ciphertext, decrypted.key_arn, decrypted.key_material_id)
    params: dict[str, Any] = {"encryptionAlgorithm": SYMMETRIC_DEFAULT, "encryptionContext": context}
    _to_cloudtrail(
        "Decrypt", params, data_key, sandbox=sandbox, region=region, source_arn=source_arn, now=now, caller=caller
    )
    return data_key


def _to_cloudtrail(
    operation: str,
    params: dict[str, Any],
    data_key: DataKey,
    *,
    sandbox: Sandbox,
    region: str,
    source_arn: str,
    now: dt.datetime,
    caller: Caller | None,
) -> None:
    """Record the KMS call a service made for the resource `source_arn` (a queue's or topic's ARN)
    as CloudTrail does: a KMS event invoked by that service (sqs.amazonaws.com), with the identity
    of the principal it acted for when there is one."""
    if not source_arn.startswith("arn:") or source_arn.count(":") < 5:
        return
    from services.cloudtrail.public import service_call  # CloudTrail reaches S3 and SNS, which reach KMS

    service_call(
        sandbox=sandbox, region=region, service="kms", operation=operation,
        invoked_by=f"{source_arn.split(':')[2]}.amazonaws.com", read_only=True, now=now,
        request_parameters=params, resources=[{"type": "AWS::KMS::Key", "ARN": data_key.key_arn}],
        additional_event_data={"keyMaterialId": data_key.key_material_id} if data_key.key_material_id else None,
        principal_arn=caller.principal_arn if caller else "", access_key_id=caller.access_key_id if caller else "",
    )  # fmt: skip


def holds(
    held: bytes | memoryview | None,
    held_since: dt.datetime | None,
    *,
    reuse: dt.timedelta,
    now: dt.datetime,
    wrapped: bytes | None = None,
) -> bool:
    """Whether a service still holds the data key it fetched (ciphertext `held`, at `held_since`):
    less than `reuse` ago and, when `wrapped` is given, that very key."""
    if not held or held_since is None or now - held_since >= reuse:
        return False
    return wrapped is None or bytes(held) == wrapped


def data_key_for(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    context: dict[str, str],
    source_arn: str,
    held: bytes | None,
    held_since: dt.datetime | None,
    reuse: dt.timedelta,
    now: dt.datetime,
    caller: Caller | None = None,
) -> tuple[DataKey, bool]:
    """The data key to seal with, and whether it was fetched from KMS just now.

    A service keeps the data key it fetched (here: its ciphertext `held`, fetched at `held_since`)
    and reuses it for `reuse` without calling KMS, so a key disabled in between goes unnoticed
    until that period ends, as on AWS. After it, GenerateDataKey makes a new one, and fails when
    the key is disabled, pending deletion, deleted or unusable."""
    if held and holds(held, held_since, reuse=reuse, now=now):
        return crypto.open_held(sandbox=sandbox, region=region, ciphertext=held, context=context), False
    fresh = new_data_key(
        sandbox=sandbox, region=region, key_id=key_id, context=context, source_arn=source_arn, now=now, caller=caller
    )
    return fresh, True


def open_data_key(
    *,
    sandbox: Sandbox,
    region: str,
    ciphertext: bytes,
    context: dict[str, str],
    source_arn: str,
    held: bool,
    now: dt.datetime,
    caller: Caller | None = None,
) -> DataKey:
    """The plaintext of the data key a stored item was sealed with: from the service's own cache
    when it still `held` that key (no KMS call), otherwise from KMS (Decrypt, which fails when
    the key is unusable)."""
    if held:
        return crypto.open_held(sandbox=sandbox, region=region, ciphertext=ciphertext, context=context)
    return reuse_data_key(
        sandbox=sandbox, region=region, ciphertext=ciphertext, context=context, now=now, source_arn=source_arn,
        caller=caller,
    )  # fmt: skip


def seal(data_key: bytes | None, plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """AES-256-GCM under a data key: nonce || ciphertext || tag."""
    if data_key is None:
        raise ValueError("sealing needs the data key's plaintext")
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def open_sealed(data_key: bytes | None, sealed: bytes, *, aad: bytes = b"") -> bytes:
    if data_key is None:
        raise ValueError("opening needs the data key's plaintext")
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise InvalidCiphertextException("") from None
