"""Encryption at rest: a queue with KmsMasterKeyId stores each message body sealed (AES-256-GCM)
with a data key from KMS, through services.kms.sse.

The queue holds one data key (its ciphertext and when it was fetched) and reuses it for
KmsDataKeyReusePeriodSeconds without calling KMS; after that, the next send fetches a new one
(GenerateDataKey), which fails with SQS's Kms* error when the key is disabled, pending deletion
or gone. A receive opens each body with its message's data key: without KMS while the queue still
holds that key, through KMS Decrypt otherwise. As on AWS, only the body is encrypted: message ids,
attributes and timestamps stay readable. Queues with SqsManagedSseEnabled keep bodies as sent
(SQS-owned keys have nothing for a student to see or break).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.kms.public import KmsError, sse
from services.sqs.exceptions import KMS_ERRORS, KmsInvalidState, SqsError
from services.sqs.models import Message, Queue


def context_for(queue_arn: str) -> dict[str, str]:
    """The encryption context SQS binds its data keys to."""
    return {"aws:sqs:arn": queue_arn}


def _sqs_error(problem: KmsError, key_id: str) -> SqsError:
    error = KMS_ERRORS.get(sse.SQS_ERRORS.get(problem.code, ""), KmsInvalidState)
    return error(problem.message or f"The KMS key {key_id} cannot be used.")


@dataclass(frozen=True)
class Sealer:
    """Seals the bodies of one send under the queue's current data key."""

    plaintext_key: bytes | None
    ciphertext_key: bytes
    queue_arn: str

    def seal(self, message_id: str, body: str) -> bytes:
        return sse.seal(self.plaintext_key, body.encode("utf-8"), aad=message_id.encode("ascii"))


def sealer_for(queue: Queue, *, now: dt.datetime, caller: sse.Caller | None = None) -> Sealer | None:
    """The sealer for a send to `queue` (None when it has no KmsMasterKeyId), fetching a new data
    key when the held one is missing or past its reuse period (for `caller`, the producer: KMS's
    CloudTrail record names it). Raises SQS's Kms* errors."""
    key_id = queue.kms_master_key_id
    if not key_id:
        return None
    held = bytes(queue.data_key_ciphertext) if queue.data_key_ciphertext is not None else None
    try:
        data_key, fetched = sse.data_key_for(
            sandbox=queue.sandbox,
            region=queue.region,
            key_id=key_id,
            context=context_for(queue.arn),
            source_arn=queue.arn,
            held=held,
            held_since=queue.data_key_fetched_at,
            reuse=dt.timedelta(seconds=queue.kms_data_key_reuse_period_seconds),
            now=now,
            caller=caller,
        )
    except KmsError as problem:
        raise _sqs_error(problem, key_id) from None
    if fetched:
        Queue.objects.filter(pk=queue.pk).update(data_key_ciphertext=data_key.ciphertext, data_key_fetched_at=now)
        queue.data_key_ciphertext = data_key.ciphertext
        queue.data_key_fetched_at = now
    return Sealer(data_key.plaintext, data_key.ciphertext, queue.arn)


def forget_data_key(queue: Queue) -> None:
    """Drop the held data key (the queue's KmsMasterKeyId changed): the next send fetches one."""
    queue.data_key_ciphertext = None
    queue.data_key_fetched_at = None


class Opener:
    """Opens the sealed bodies of one queue's messages for one call, each data key fetched once."""

    def __init__(self, queue: Queue, *, now: dt.datetime, caller: sse.Caller | None = None) -> None:
        self.queue = queue
        self.now = now
        self.caller = caller  # the consumer, for KMS's CloudTrail record of a Decrypt
        self._keys: dict[bytes, bytes | None] = {}

    def body(self, message: Message) -> str:
        if message.sealed_body is None or message.data_key is None:
            return message.body
        wrapped = bytes(message.data_key)
        if wrapped not in self._keys:
            self._keys[wrapped] = self._data_key(wrapped, message.sealed_for or self.queue.arn)
        try:
            plaintext = sse.open_sealed(
                self._keys[wrapped], bytes(message.sealed_body), aad=message.message_id.encode("ascii")
            )
        except KmsError as problem:  # a body altered in the database
            raise _sqs_error(problem, self.queue.kms_master_key_id) from None
        return plaintext.decode("utf-8")

    def _data_key(self, wrapped: bytes, sealed_for: str) -> bytes | None:
        queue = self.queue
        held = sealed_for == queue.arn and sse.holds(
            queue.data_key_ciphertext,
            queue.data_key_fetched_at,
            reuse=dt.timedelta(seconds=queue.kms_data_key_reuse_period_seconds),
            now=self.now,
            wrapped=wrapped,
        )
        try:
            return sse.open_data_key(
                sandbox=queue.sandbox,
                region=queue.region,
                ciphertext=wrapped,
                context=context_for(sealed_for),
                source_arn=queue.arn,
                held=held,
                now=self.now,
                caller=self.caller,
            ).plaintext
        except KmsError as problem:
            raise _sqs_error(problem, queue.kms_master_key_id or sealed_for) from None
