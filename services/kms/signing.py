"""Signatures, MACs and key agreement with KMS keys: Sign / Verify (RSASSA-PSS with salt length
equal to the digest length, RSASSA-PKCS1-v1_5, ECDSA with DER-encoded signatures), GetPublicKey
(DER SubjectPublicKeyInfo), GenerateMac / VerifyMac (HMAC) and DeriveSharedSecret (ECDH).

A signature or MAC that does not verify raises KMSInvalidSignatureException or
KMSInvalidMacException, as AWS does, rather than answering "valid: false". Each successful call
publishes a `flow` live event (events.py) from the caller to the key.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from playground.sandboxes.models import Sandbox
from services.kms import crypto, events, keys, material
from services.kms.exceptions import (
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)
from services.kms.models import Key, KeyMaterial
from services.kms.specs import (
    GENERATE_VERIFY_MAC,
    KEY_AGREEMENT,
    KEY_SPECS,
    MAC_ALGORITHMS,
    SIGN_VERIFY,
    SIGNING_ALGORITHMS,
    key_agreement_algorithms,
    mac_algorithms,
    signing_algorithms,
)


@dataclass(frozen=True)
class Signed:
    signature: bytes
    key_arn: str
    algorithm: str


@dataclass(frozen=True)
class Maced:
    mac: bytes
    key_arn: str
    algorithm: str


@dataclass(frozen=True)
class PublicKeyInfo:
    key: Key
    public_key: bytes


@dataclass(frozen=True)
class SharedSecret:
    shared_secret: bytes
    key_arn: str
    algorithm: str
    key_origin: str


# --- Sign, Verify, GetPublicKey ------------------------------------------------------------------


def _signature_parts(
    key: Key, algorithm: str, message: bytes, message_type: str | None
) -> tuple[object, type[hashes.HashAlgorithm]]:
    crypto.check_algorithm(key, algorithm, signing_algorithms(key.key_spec, key.key_usage))
    spec = SIGNING_ALGORITHMS[algorithm]
    kind = message_type or "RAW"
    if kind == "DIGEST":
        if len(message) != spec.hash().digest_size:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
        return utils.Prehashed(spec.hash()), spec.hash
    if kind != "RAW":
        raise ValidationException(f"MessageType {kind} is not valid for algorithm {algorithm}.")
    return spec.hash(), spec.hash


def _rsa_padding(algorithm: str, digest: type[hashes.HashAlgorithm]) -> padding.AsymmetricPadding:
    if SIGNING_ALGORITHMS[algorithm].family == "pss":
        return padding.PSS(mgf=padding.MGF1(digest()), salt_length=digest().digest_size)
    return padding.PKCS1v15()


def _signing_key(*, sandbox: Sandbox, region: str, key_id: str, operation: str) -> tuple[Key, KeyMaterial]:
    key = crypto.usable_key(sandbox=sandbox, region=region, key_id=key_id, operation=operation, usage=SIGN_VERIFY)
    return key, crypto.current_material(key)


def sign(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    message: bytes,
    signing_algorithm: str,
    message_type: str | None = None,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> Signed:
    key, row = _signing_key(sandbox=sandbox, region=region, key_id=key_id, operation="Sign")
    hashing, digest = _signature_parts(key, signing_algorithm, message, message_type)
    private = material.private_key(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    crypto.dry_run_check(dry_run)
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(message, _rsa_padding(signing_algorithm, digest), hashing)  # type: ignore[arg-type]
    else:
        signature = private.sign(message, ec.ECDSA(hashing))  # type: ignore[arg-type]
    events.flow(
        sandbox, kind="sign", source=caller, key=key, item=signature, now=now,
        detail={"operation": "Sign", "algorithm": signing_algorithm, "bytes": len(message),
                "message_type": message_type or "RAW"},
    )  # fmt: skip
    return Signed(signature, key.arn, signing_algorithm)


def verify(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    message: bytes,
    signature: bytes,
    signing_algorithm: str,
    message_type: str | None = None,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> Signed:
    """Check a signature; a signature that does not verify raises KMSInvalidSignatureException."""
    key, row = _signing_key(sandbox=sandbox, region=region, key_id=key_id, operation="Verify")
    hashing, digest = _signature_parts(key, signing_algorithm, message, message_type)
    public = material.private_key(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id).public_key()
    crypto.dry_run_check(dry_run)
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, _rsa_padding(signing_algorithm, digest), hashing)  # type: ignore[arg-type]
        else:
            public.verify(signature, message, ec.ECDSA(hashing))  # type: ignore[arg-type]
    except (InvalidSignature, ValueError):
        raise KMSInvalidSignatureException("") from None
    events.flow(
        sandbox, kind="verify", source=caller, key=key, item=signature, now=now,
        detail={"operation": "Verify", "algorithm": signing_algorithm, "bytes": len(message),
                "message_type": message_type or "RAW"},
    )  # fmt: skip
    return Signed(signature, key.arn, signing_algorithm)


def get_public_key(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> PublicKeyInfo:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id)
    keys.require_enabled(key)
    if KEY_SPECS[key.key_spec].family not in ("rsa", "ecc"):
        raise UnsupportedOperationException(
            f"{key.arn} key spec is {key.key_spec}. GetPublicKey is valid only for asymmetric KMS keys."
        )
    row = crypto.current_material(key)
    public = bytes(row.public_key)
    events.flow(
        sandbox, kind="get-public-key", source=caller, key=key, item=public, now=now,
        detail={"operation": "GetPublicKey", "algorithm": key.key_spec, "key_material_id": row.material_id},
    )  # fmt: skip
    return PublicKeyInfo(key, public)


# --- GenerateMac, VerifyMac ----------------------------------------------------------------------


def _mac(key: Key, row: KeyMaterial, algorithm: str, message: bytes) -> bytes:
    crypto.check_algorithm(key, algorithm, mac_algorithms(key.key_spec, key.key_usage))
    secret = material.secret(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    signer = crypto_hmac.HMAC(secret, MAC_ALGORITHMS[algorithm]())
    signer.update(message)
    return signer.finalize()


def generate_mac(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    message: bytes,
    mac_algorithm: str,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> Maced:
    key = crypto.usable_key(
        sandbox=sandbox, region=region, key_id=key_id, operation="GenerateMac", usage=GENERATE_VERIFY_MAC
    )
    row = crypto.current_material(key)
    mac = _mac(key, row, mac_algorithm, message)
    crypto.dry_run_check(dry_run)
    events.flow(
        sandbox, kind="generate-mac", source=caller, key=key, item=mac, now=now,
        detail={"operation": "GenerateMac", "algorithm": mac_algorithm, "bytes": len(message)},
    )  # fmt: skip
    return Maced(mac, key.arn, mac_algorithm)


def verify_mac(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    message: bytes,
    mac: bytes,
    mac_algorithm: str,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> Maced:
    """Check a MAC; one that does not match raises KMSInvalidMacException."""
    key = crypto.usable_key(
        sandbox=sandbox, region=region, key_id=key_id, operation="VerifyMac", usage=GENERATE_VERIFY_MAC
    )
    row = crypto.current_material(key)
    expected = _mac(key, row, mac_algorithm, message)
    crypto.dry_run_check(dry_run)
    if not hmac.compare_digest(expected, mac):
        raise KMSInvalidMacException("")
    events.flow(
        sandbox, kind="verify-mac", source=caller, key=key, item=mac, now=now,
        detail={"operation": "VerifyMac", "algorithm": mac_algorithm, "bytes": len(message)},
    )  # fmt: skip
    return Maced(mac, key.arn, mac_algorithm)


# --- DeriveSharedSecret --------------------------------------------------------------------------


def derive_shared_secret(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    key_agreement_algorithm: str,
    public_key: bytes,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> SharedSecret:
    """ECDH between the key's private key and a peer's public key (DER SubjectPublicKeyInfo)."""
    key = crypto.usable_key(
        sandbox=sandbox, region=region, key_id=key_id, operation="DeriveSharedSecret", usage=KEY_AGREEMENT
    )
    crypto.check_algorithm(key, key_agreement_algorithm, key_agreement_algorithms(key.key_spec, key.key_usage))
    row = crypto.current_material(key)
    private = material.private_key(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    try:
        peer = material.load_public_key(public_key)
    except (ValueError, TypeError):
        raise ValidationException("The public key is not a valid DER-encoded SubjectPublicKeyInfo.") from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != private.curve.name:
        raise ValidationException(f"The public key must be on the curve of {key.key_spec}.")
    crypto.dry_run_check(dry_run)
    shared = private.exchange(ec.ECDH(), peer)
    events.flow(
        sandbox, kind="derive-shared-secret", source=caller, key=key, item=public_key, now=now,
        detail={"operation": "DeriveSharedSecret", "algorithm": key_agreement_algorithm},
    )  # fmt: skip
    return SharedSecret(shared, key.arn, key_agreement_algorithm, key.origin)
