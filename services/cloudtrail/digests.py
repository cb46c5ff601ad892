"""Log file integrity validation (EnableLogFileValidation): every hour of the sandbox clock a
logging trail with validation on writes, for each region it delivers for, a digest file that lists
the log files delivered in that hour with the SHA-256 of their uncompressed content, chains to the
previous digest (its bucket, key, SHA-256 and signature) and is signed SHA256withRSA with the
region's key pair, in AWS's documented shape:

    [<S3KeyPrefix>/]AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
        <account>_CloudTrail-Digest_<region>_<trail name>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz

with the object metadata x-amz-meta-signature (the hex signature) and
x-amz-meta-signature-algorithm (SHA256withRSA). The signed string is AWS's:

    digestEndTime \\n digestS3Bucket/digestS3Object \\n hex SHA-256 of the uncompressed digest \\n
    previousDigestSignature (or "null")

ListPublicKeys answers the public keys (PKCS #1 DER); `aws cloudtrail validate-logs` verifies
the digests and log files against them. A digest goes out every hour even when no log file was
delivered (an empty logFiles), as on AWS. Stopping logging or turning validation off ends the
chain after one more digest; the next digest starts a new one (previousDigestSignature null).

LIMITATIONS: each sandbox has its own key pair per region (valid a year of its clock, then a new
one), where AWS rotates regional keys; no backfill digests.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import services.s3.public as s3
from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.cloudtrail import events
from services.cloudtrail.models import SigningKey, Trail
from services.cloudtrail.records import iso

DIGEST_PERIOD = dt.timedelta(hours=1)
KEY_VALIDITY = dt.timedelta(days=365)
ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
# What CloudTrail writes its files to S3 as (trails.py's log files too: it imports them from here).
PRINCIPAL = "cloudtrail.amazonaws.com"
ACL = "bucket-owner-full-control"  # the canned ACL CloudTrail puts its files with


def arm(trail: Trail, *, now: dt.datetime) -> None:
    """Schedule the first digest of a trail that logs with validation on (the caller saves)."""
    if trail.logging and trail.log_file_validation and trail.next_digest_at is None:
        trail.digest_started_at = now
        trail.next_digest_at = now + DIGEST_PERIOD


def file_delivered(trail: Trail, *, key: str, region: str, content: bytes, records: list[dict[str, Any]]) -> None:
    """Remember a log file for the next digest (the caller saves the trail)."""
    if not (trail.log_file_validation or trail.next_digest_at is not None):
        return
    times = sorted(record["eventTime"] for record in records)
    trail.digest_files = [
        *trail.digest_files,
        {
            "s3Bucket": trail.s3_bucket,
            "s3Object": key,
            "region": region,
            "hashValue": hashlib.sha256(content).hexdigest(),
            "oldestEventTime": times[0] if times else None,
            "newestEventTime": times[-1] if times else None,
        },
    ]


# -- keys ---------------------------------------------------------------------------------------


def signing_key(*, sandbox: Sandbox, region: str, now: dt.datetime) -> SigningKey:
    """The region's key pair valid at `now`, made when there is none."""
    found = (
        SigningKey.objects.filter(sandbox=sandbox, region=region, valid_from__lte=now, valid_to__gt=now)
        .order_by("-valid_from")
        .first()
    )
    if found is not None:
        return found
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey.objects.create(
        sandbox=sandbox, region=region, private_pem=pem, public_der=public_der,
        fingerprint=hashlib.md5(public_der, usedforsecurity=False).hexdigest(),
        valid_from=now, valid_to=now + KEY_VALIDITY,
    )  # fmt: skip


def public_keys(
    *, sandbox: Sandbox, region: str, start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """ListPublicKeys' PublicKeyList: the keys valid at some time in [start, end] (by default the
    current key, made if there is none yet). Value is the key's PKCS #1 DER form (a blob: the
    wire carries it in base64, which the aws CLI keeps and `validate-logs` decodes)."""
    signing_key(sandbox=sandbox, region=region, now=now)  # the region always has a current key
    if start is None and end is None:
        start = end = now
    rows = SigningKey.objects.filter(sandbox=sandbox, region=region).order_by("valid_from")
    if end is not None:
        rows = rows.filter(valid_from__lte=end)
    if start is not None:
        rows = rows.filter(valid_to__gte=start)
    return [
        {
            "Value": bytes(row.public_der),
            "ValidityStartTime": row.valid_from,
            "ValidityEndTime": row.valid_to,
            "Fingerprint": row.fingerprint,
        }
        for row in rows
    ]


# -- digests ------------------------------------------------------------------------------------


def digest_key(trail: Trail, *, region: str, now: dt.datetime) -> str:
    account = trail.sandbox.account_id
    moment = now.astimezone(dt.UTC)
    folder = f"AWSLogs/{account}/CloudTrail-Digest/{region}/{moment:%Y/%m/%d}/"
    name = f"{account}_CloudTrail-Digest_{region}_{trail.name}_{trail.region}_{moment:%Y%m%dT%H%M%SZ}.json.gz"
    return f"{trail.s3_key_prefix + '/' if trail.s3_key_prefix else ''}{folder}{name}"


def _digest(trail: Trail, *, region: str, key: SigningKey, now: dt.datetime) -> tuple[str, bytes, str]:
    """(key, uncompressed content, hex signature) of the region's digest ending now."""
    files = [item for item in trail.digest_files if item["region"] == region]
    previous = trail.digest_chain.get(region) or {}
    object_key = digest_key(trail, region=region, now=now)
    oldest = [item["oldestEventTime"] for item in files if item.get("oldestEventTime")]
    newest = [item["newestEventTime"] for item in files if item.get("newestEventTime")]
    end = iso(now)
    document = {
        "awsAccountId": trail.sandbox.account_id,
        "digestStartTime": iso(trail.digest_started_at or now),
        "digestEndTime": end,
        "digestS3Bucket": trail.s3_bucket,
        "digestS3Object": object_key,
        "digestPublicKeyFingerprint": key.fingerprint,
        "digestSignatureAlgorithm": ALGORITHM,
        "newestEventTime": max(newest) if newest else None,
        "oldestEventTime": min(oldest) if oldest else None,
        "previousDigestS3Bucket": previous.get("bucket"),
        "previousDigestS3Object": previous.get("key"),
        "previousDigestHashValue": previous.get("hash"),
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous.get("signature"),
        "logFiles": [
            {
                "s3Bucket": item["s3Bucket"],
                "s3Object": item["s3Object"],
                "hashValue": item["hashValue"],
                "hashAlgorithm": HASH_ALGORITHM,
                "newestEventTime": item.get("newestEventTime"),
                "oldestEventTime": item.get("oldestEventTime"),
            }
            for item in files
        ],
    }
    content = json.dumps(document, separators=(",", ":")).encode()
    to_sign = f"{end}\n{trail.s3_bucket}/{object_key}\n{hashlib.sha256(content).hexdigest()}\n"
    to_sign += previous.get("signature") or "null"
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    signature = private.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()
    return object_key, content, signature


def deliver(trail: Trail, *, now: dt.datetime) -> None:
    """Write the digest of each region the trail delivers for (its row locked by the caller), then
    schedule the next one, or end the chain when the trail stopped logging or validating."""
    regions = sorted({trail.region} | {item["region"] for item in trail.digest_files} | set(trail.digest_chain))
    chain = dict(trail.digest_chain)
    try:
        for region in regions:
            key = signing_key(sandbox=trail.sandbox, region=region, now=now)
            object_key, content, signature = _digest(trail, region=region, key=key, now=now)
            s3.object_write(
                sandbox=trail.sandbox, bucket=trail.s3_bucket, key=object_key, body=gzip.compress(content), now=now,
                content_type="application/json", content_encoding="gzip", service_principal=PRINCIPAL,
                source_arn=trail.arn, acl=ACL,
                metadata={"signature": signature, "signature-algorithm": ALGORITHM},
            )  # fmt: skip
            chain[region] = {
                "bucket": trail.s3_bucket,
                "key": object_key,
                "hash": hashlib.sha256(content).hexdigest(),
                "signature": signature,
            }
            trail.digest_chain = chain  # a later region's refusal keeps the ones written
            listed = sum(1 for item in trail.digest_files if item["region"] == region)
            events.digest(trail, key=object_key, files=listed, region=region, now=now)
    except AwsError as refused:
        trail.latest_digest_error = refused.code
        trail.next_digest_at = now + DIGEST_PERIOD  # the files wait for the next hour's digest
        trail.save()
        return
    trail.latest_digest_error = ""
    trail.latest_digest_time = now
    trail.digest_files = []
    if trail.logging and trail.log_file_validation:
        trail.digest_started_at = now
        trail.next_digest_at = now + DIGEST_PERIOD
    else:  # the chain ends: a later start begins a new one
        trail.digest_started_at = None
        trail.next_digest_at = None
        trail.digest_chain = {}
    trail.save()


def deliver_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Every digest of the sandbox that is due; the claim clears next_digest_at first."""
    due = Trail.objects.filter(sandbox=sandbox, next_digest_at__lte=now).values_list("pk", "next_digest_at")
    for pk, due_at in list(due):
        if not Trail.objects.filter(pk=pk, next_digest_at=due_at).update(next_digest_at=None):
            continue
        trail = Trail.objects.select_related("sandbox").select_for_update(of=("self",)).get(pk=pk)
        deliver(trail, now=now)
