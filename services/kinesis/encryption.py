"""Server-side encryption of a stream with a KMS key (StartStreamEncryption): the key must be a
usable symmetric encryption key when encryption starts, and stay so: every put and read of an
encrypted stream checks it, and a key disabled, pending deletion or gone fails the call with the
KMS* error AWS's Kinesis answers (KMSDisabledException, ...). "alias/aws/kinesis" names the AWS
managed key, made on first use. Records are stored as sent (docs/kinesis.md, LIMITATIONS)."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from services.kinesis.exceptions import KMS_ERRORS, KMSInvalidStateException
from services.kinesis.models import Stream
from services.kms.public import KmsError, sse


def usable_key_arn(*, sandbox: Sandbox, region: str, key_id: str, now: dt.datetime) -> str:
    """The ARN of the key `key_id` names, if it can encrypt; else the KMS* error."""
    try:
        return str(sse.master_key(sandbox=sandbox, region=region, key_id=key_id, now=now).arn)
    except KmsError as problem:
        raise KMS_ERRORS.get(problem.code, KMSInvalidStateException)(problem.message) from None


def check_stream_key(stream: Stream, *, now: dt.datetime) -> None:
    if stream.encryption_type == "KMS" and stream.key_id:
        usable_key_arn(sandbox=stream.sandbox, region=stream.region, key_id=stream.key_id, now=now)
