"""Encrypt, Decrypt, ReEncrypt, data keys and data key pairs, GenerateRandom, with real
cryptography (the `cryptography` package); signatures, MACs and ECDH are in signing.py.

Symmetric ciphertext blob (what Encrypt, GenerateDataKey and ReEncrypt return for a
SYMMETRIC_DEFAULT key):

    offset  size  field
    0       1     format version, 0x01
    1       1     n = length of the key id
    2       n     key id, ASCII (a UUID, or mrk-<32 hex> for a multi-Region key)
    2+n     32    key material id: which version of the key's material made it
    34+n    12    nonce
    46+n    ...   AES-256-GCM ciphertext of the plaintext, then its 16-byte tag

The associated data is everything before the nonce followed by the encryption context, encoded
canonically (pairs sorted by key, each string length-prefixed). So Decrypt needs no KeyId,
ciphertexts made before a rotation still decrypt with the material they name, and changing one
bit anywhere, or a different encryption context, fails authentication: InvalidCiphertextException.

RSA encryption keys use RSAES-OAEP (SHA-1 or SHA-256) as AWS names them; their ciphertext is the
raw RSA output, so Decrypt then needs the KeyId, as on AWS. Data key pairs come as DER
SubjectPublicKeyInfo public keys and PKCS #8 DER private keys.

Each successful call with a key publishes a `flow` live event (events.py) from the caller to the
key, unless an internal caller (SQS reusing a data key) asks it not to.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from playground.sandboxes.models import Sandbox
from services.kms import events, keys, lookup, material
from services.kms.exceptions import (
    DryRunOperationException,
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    UnsupportedOperationException,
    ValidationException,
)
from services.kms.models import Key, KeyMaterial
from services.kms.specs import (
    DATA_KEY_PAIR_SPECS,
    ENCRYPT_DECRYPT,
    KEY_SPECS,
    RSA_ENCRYPTION,
    SYMMETRIC_DEFAULT,
    encryption_algorithms,
    rsa_max_plaintext,
)

FORMAT_VERSION = 1
MATERIAL_ID_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}

EncryptionContext = dict[str, str]


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encrypted:
    ciphertext: bytes
    key_arn: str
    algorithm: str
    key_material_id: str


@dataclass(frozen=True)
class Decrypted:
    plaintext: bytes
    key_arn: str
    algorithm: str
    key_material_id: str


@dataclass(frozen=True)
class ReEncrypted:
    ciphertext: bytes
    source_key_arn: str
    key_arn: str
    source_algorithm: str
    destination_algorithm: str
    source_key_material_id: str
    destination_key_material_id: str


@dataclass(frozen=True)
class DataKey:
    """A data key: its plaintext (None for the WithoutPlaintext variant; never store it) and its
    ciphertext blob under the KMS key (store this)."""

    plaintext: bytes | None
    ciphertext: bytes
    key_arn: str
    key_material_id: str


@dataclass(frozen=True)
class DataKeyPair:
    private_key_plaintext: bytes | None  # PKCS #8 DER
    private_key_ciphertext: bytes
    public_key: bytes  # DER SubjectPublicKeyInfo
    key_pair_spec: str
    key_arn: str
    key_material_id: str


# --- the ciphertext blob -------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    key_id: str
    material_id: str
    header: bytes
    nonce: bytes
    body: bytes  # ciphertext || tag


def _header(key_id: str, material_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes((FORMAT_VERSION, len(encoded))) + encoded + bytes.fromhex(material_id)


def parse_envelope(blob: bytes) -> Envelope:
    """The parts of a symmetric ciphertext blob; InvalidCiphertextException when it is not one."""
    try:
        if len(blob) < 2 or blob[0] != FORMAT_VERSION:
            raise ValueError("version")
        end = 2 + blob[1]
        key_id = blob[2:end].decode("ascii")
        material_end = end + MATERIAL_ID_BYTES
        nonce_end = material_end + NONCE_BYTES
        if len(blob) < nonce_end + TAG_BYTES or not keys.KEY_ID.match(key_id):
            raise ValueError("length")
    except (ValueError, UnicodeDecodeError):
        raise InvalidCiphertextException("") from None
    return Envelope(
        key_id=key_id,
        material_id=blob[end:material_end].hex(),
        header=blob[:material_end],
        nonce=blob[material_end:nonce_end],
        body=blob[nonce_end:],
    )


def encode_context(context: EncryptionContext | None) -> bytes:
    """The encryption context as associated data: a count, then each pair sorted by key, every
    string UTF-8 with a 4-byte length in front. Equal contexts encode equally in any order."""
    pairs = sorted((context or {}).items())
    parts = [struct.pack(">I", len(pairs))]
    for name, value in pairs:
        for text in (name, value):
            data = text.encode("utf-8")
            parts.append(struct.pack(">I", len(data)))
            parts.append(data)
    return b"".join(parts)


def _seal(key: Key, row: KeyMaterial, plaintext: bytes, context: EncryptionContext | None) -> bytes:
    secret = material.secret(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    header = _header(key.key_id, row.material_id)
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(secret).encrypt(nonce, plaintext, header + encode_context(context))
    return header + nonce + body


def _open(key: Key, row: KeyMaterial, envelope: Envelope, context: EncryptionContext | None) -> bytes:
    secret = material.secret(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    try:
        return AESGCM(secret).decrypt(envelope.nonce, envelope.body, envelope.header + encode_context(context))
    except InvalidTag:
        raise InvalidCiphertextException("") from None


def _material_of(*, sandbox: Sandbox, region: str, envelope: Envelope) -> KeyMaterial:
    """The key material a blob names, with its key, in one query. A blob naming no key of this
    account and Region (tampered, from elsewhere, or its key deleted) is invalid ciphertext."""
    row = lookup.key_and_material(
        sandbox=sandbox, region=region, key_id=envelope.key_id, material_id=envelope.material_id
    )
    if row is None:
        # Material gone while its key stays (imported material expired or deleted): the key's
        # state is the error, as on AWS (PendingImport). Otherwise the blob is not ours.
        key = lookup.key_with_current_material(sandbox=sandbox, region=region, key_id=envelope.key_id)
        if key is not None:
            keys.require_enabled(key)
        raise InvalidCiphertextException("")
    return row


def open_held(*, sandbox: Sandbox, region: str, ciphertext: bytes, context: EncryptionContext | None) -> DataKey:
    """The plaintext of a data key a service already holds in its data key cache. No KMS call
    happens, so the key's state is not checked and no event is sent (AWS: a disabled key leaves
    data keys already fetched usable until they are used with KMS again); only the key material
    must still exist."""
    envelope = parse_envelope(ciphertext)
    row = lookup.key_and_material(
        sandbox=sandbox, region=region, key_id=envelope.key_id, material_id=envelope.material_id
    )
    if row is None:
        raise InvalidCiphertextException("")
    return DataKey(_open(row.key, row, envelope, context), ciphertext, row.key.arn, row.material_id)


# --- shared checks -------------------------------------------------------------------------------


def usable_key(*, sandbox: Sandbox, region: str, key_id: str, operation: str, usage: str) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id)
    keys.require_enabled(key)
    if key.key_usage != usage:
        raise InvalidKeyUsageException(f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}.")
    return key


def current_material(key: Key) -> KeyMaterial:
    row = key.current_material
    if row is None:  # only a key whose material was never made; CreateKey always makes it
        row = key.materials.order_by("-id").first()
    if row is None:
        raise InvalidKeyUsageException(f"{key.arn} has no key material.")
    return row


def check_algorithm(key: Key, algorithm: str, allowed: list[str]) -> None:
    if algorithm not in allowed:
        raise InvalidKeyUsageException(
            f"{key.arn} key spec is {key.key_spec}, which does not support the {algorithm} algorithm. "
            f"Valid algorithms: {', '.join(allowed)}."
        )


def _symmetric_only(key: Key, operation: str) -> None:
    if key.key_spec != SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(f"{key.arn} key spec is {key.key_spec} which is not valid for {operation}.")


def dry_run_check(dry_run: bool | None) -> None:
    if dry_run:
        raise DryRunOperationException()


def _context_keys(context: EncryptionContext | None) -> list[str]:
    return sorted(context or {})


# --- Encrypt, Decrypt, ReEncrypt -----------------------------------------------------------------


def _encrypt_with(
    key: Key, plaintext: bytes, context: EncryptionContext | None, algorithm: str
) -> tuple[bytes, KeyMaterial]:
    check_algorithm(key, algorithm, encryption_algorithms(key.key_spec, key.key_usage))
    row = current_material(key)
    if algorithm == SYMMETRIC_DEFAULT:
        return _seal(key, row, plaintext, context), row
    if context:
        raise ValidationException("EncryptionContext is not supported with asymmetric KMS keys.")
    limit = rsa_max_plaintext(KEY_SPECS[key.key_spec].size, algorithm)
    if len(plaintext) > limit:
        raise ValidationException(
            f"Plaintext is {len(plaintext)} bytes: {key.key_spec} with {algorithm} encrypts at most {limit} bytes."
        )
    private = material.private_key(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private.public_key().encrypt(plaintext, _oaep(algorithm)), row


def _oaep(algorithm: str) -> padding.OAEP:
    digest = RSA_ENCRYPTION[algorithm]
    return padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None)


def encrypt(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    plaintext: bytes,
    encryption_context: EncryptionContext | None = None,
    encryption_algorithm: str | None = None,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> Encrypted:
    key = usable_key(sandbox=sandbox, region=region, key_id=key_id, operation="Encrypt", usage=ENCRYPT_DECRYPT)
    algorithm = encryption_algorithm or SYMMETRIC_DEFAULT
    ciphertext, row = _encrypt_with(key, plaintext, encryption_context, algorithm)
    dry_run_check(dry_run)
    events.flow(
        sandbox, kind="encrypt", source=caller, key=key, item=ciphertext, now=now,
        detail={"operation": "Encrypt", "algorithm": algorithm, "key_material_id": row.material_id,
                "bytes": len(plaintext), "encryption_context_keys": _context_keys(encryption_context)},
    )  # fmt: skip
    return Encrypted(ciphertext, key.arn, algorithm, row.material_id)


def _decrypt_with(
    *,
    sandbox: Sandbox,
    region: str,
    ciphertext: bytes,
    context: EncryptionContext | None,
    key_id: str | None,
    algorithm: str,
    operation: str,
) -> tuple[Key, KeyMaterial, bytes]:
    """Key, material and plaintext of a ciphertext; the key named by `key_id`, when given, must
    be the one that made it."""
    requested = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id) if key_id else None
    if algorithm == SYMMETRIC_DEFAULT:
        if requested is not None and requested.key_spec != SYMMETRIC_DEFAULT:
            keys.require_enabled(requested)
            check_algorithm(requested, algorithm, encryption_algorithms(requested.key_spec, requested.key_usage))
        envelope = parse_envelope(ciphertext)
        row = _material_of(sandbox=sandbox, region=region, envelope=envelope)
        key = row.key
        if requested is not None and requested.pk != key.pk:
            raise IncorrectKeyException(
                "The key ID in the request does not identify a CMK that can perform this operation."
            )
        keys.require_enabled(key)
        if key.key_usage != ENCRYPT_DECRYPT:
            raise InvalidKeyUsageException(
                f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}."
            )
        return key, row, _open(key, row, envelope, context)
    if requested is None:
        # An asymmetric ciphertext names no key: AWS needs the KeyId to decrypt it.
        raise InvalidCiphertextException("")
    key = requested
    keys.require_enabled(key)
    if key.key_usage != ENCRYPT_DECRYPT:
        raise InvalidKeyUsageException(f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}.")
    check_algorithm(key, algorithm, encryption_algorithms(key.key_spec, key.key_usage))
    if context:
        raise ValidationException("EncryptionContext is not supported with asymmetric KMS keys.")
    row = current_material(key)
    private = material.private_key(bytes(row.sealed), key_id=key.key_id, material_id=row.material_id)
    assert isinstance(private, rsa.RSAPrivateKey)
    try:
        return key, row, private.decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise InvalidCiphertextException("") from None


def decrypt(
    *,
    sandbox: Sandbox,
    region: str,
    ciphertext: bytes,
    encryption_context: EncryptionContext | None = None,
    key_id: str | None = None,
    encryption_algorithm: str | None = None,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
    record: bool = True,
) -> Decrypted:
    """Decrypt a ciphertext blob. With `record=False` no flow event is published (a service
    reusing a data key it already fetched); the key's state is checked all the same."""
    algorithm = encryption_algorithm or SYMMETRIC_DEFAULT
    key, row, plaintext = _decrypt_with(
        sandbox=sandbox, region=region, ciphertext=ciphertext, context=encryption_context,
        key_id=key_id, algorithm=algorithm, operation="Decrypt",
    )  # fmt: skip
    dry_run_check(dry_run)
    if record:
        events.flow(
            sandbox, kind="decrypt", source=caller, key=key, item=ciphertext, now=now,
            detail={"operation": "Decrypt", "algorithm": algorithm, "key_material_id": row.material_id,
                    "bytes": len(plaintext), "encryption_context_keys": _context_keys(encryption_context)},
        )  # fmt: skip
    return Decrypted(plaintext, key.arn, algorithm, row.material_id)


def re_encrypt(
    *,
    sandbox: Sandbox,
    region: str,
    ciphertext: bytes,
    destination_key_id: str,
    source_encryption_context: EncryptionContext | None = None,
    source_key_id: str | None = None,
    destination_encryption_context: EncryptionContext | None = None,
    source_encryption_algorithm: str | None = None,
    destination_encryption_algorithm: str | None = None,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> ReEncrypted:
    """Decrypt under one key and encrypt under another without the plaintext leaving KMS."""
    source_algorithm = source_encryption_algorithm or SYMMETRIC_DEFAULT
    source, source_row, plaintext = _decrypt_with(
        sandbox=sandbox, region=region, ciphertext=ciphertext, context=source_encryption_context,
        key_id=source_key_id, algorithm=source_algorithm, operation="ReEncryptFrom",
    )  # fmt: skip
    destination = usable_key(
        sandbox=sandbox, region=region, key_id=destination_key_id, operation="ReEncryptTo", usage=ENCRYPT_DECRYPT
    )
    algorithm = destination_encryption_algorithm or SYMMETRIC_DEFAULT
    new_ciphertext, row = _encrypt_with(destination, plaintext, destination_encryption_context, algorithm)
    dry_run_check(dry_run)
    events.flow(
        sandbox, kind="re-encrypt", source=caller, key=destination, item=new_ciphertext, now=now,
        detail={"operation": "ReEncrypt", "algorithm": algorithm, "key_material_id": row.material_id,
                "source_key": source.arn, "source_item_id": events.digest(ciphertext),
                "encryption_context_keys": _context_keys(destination_encryption_context)},
    )  # fmt: skip
    return ReEncrypted(
        new_ciphertext, source.arn, destination.arn, source_algorithm, algorithm,
        source_row.material_id, row.material_id,
    )  # fmt: skip


# --- data keys -----------------------------------------------------------------------------------


def _data_key_size(key_spec: str | None, number_of_bytes: int | None) -> int:
    if key_spec and number_of_bytes:
        raise ValidationException("Please specify either number of bytes or key spec, not both.")
    if key_spec:
        return DATA_KEY_SPECS[key_spec]
    if number_of_bytes:
        return number_of_bytes
    raise ValidationException("Please specify either number of bytes or key spec.")


def generate_data_key(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    key_spec: str | None = None,
    number_of_bytes: int | None = None,
    encryption_context: EncryptionContext | None = None,
    with_plaintext: bool = True,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> DataKey:
    """A fresh random data key, returned in plaintext (unless `with_plaintext` is false) and
    encrypted under the KMS key with the encryption context."""
    operation = "GenerateDataKey" if with_plaintext else "GenerateDataKeyWithoutPlaintext"
    size = _data_key_size(key_spec, number_of_bytes)
    key = usable_key(sandbox=sandbox, region=region, key_id=key_id, operation=operation, usage=ENCRYPT_DECRYPT)
    _symmetric_only(key, operation)
    plaintext = os.urandom(size)
    row = current_material(key)
    ciphertext = _seal(key, row, plaintext, encryption_context)
    dry_run_check(dry_run)
    events.flow(
        sandbox, kind="generate-data-key" if with_plaintext else "generate-data-key-without-plaintext",
        source=caller, key=key, item=ciphertext, now=now,
        detail={"operation": operation, "algorithm": SYMMETRIC_DEFAULT, "key_material_id": row.material_id,
                "bytes": size, "encryption_context_keys": _context_keys(encryption_context)},
    )  # fmt: skip
    return DataKey(plaintext if with_plaintext else None, ciphertext, key.arn, row.material_id)


def generate_data_key_pair(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    key_pair_spec: str,
    encryption_context: EncryptionContext | None = None,
    with_plaintext: bool = True,
    dry_run: bool | None = False,
    caller: str,
    now: dt.datetime,
) -> DataKeyPair:
    """A fresh asymmetric key pair whose private key is returned encrypted under the KMS key
    (and in plaintext unless `with_plaintext` is false)."""
    operation = "GenerateDataKeyPair" if with_plaintext else "GenerateDataKeyPairWithoutPlaintext"
    if key_pair_spec not in DATA_KEY_PAIR_SPECS:
        raise UnsupportedOperationException(f"KeyPairSpec {key_pair_spec} is not supported by Playground.")
    key = usable_key(sandbox=sandbox, region=region, key_id=key_id, operation=operation, usage=ENCRYPT_DECRYPT)
    _symmetric_only(key, operation)
    row = current_material(key)
    dry_run_check(dry_run)
    private = material.generate_private_key(key_pair_spec)
    private_plaintext = material.private_der(private)
    ciphertext = _seal(key, row, private_plaintext, encryption_context)
    events.flow(
        sandbox, kind="generate-data-key-pair" if with_plaintext else "generate-data-key-pair-without-plaintext",
        source=caller, key=key, item=ciphertext, now=now,
        detail={"operation": operation, "algorithm": SYMMETRIC_DEFAULT, "key_material_id": row.material_id,
                "key_pair_spec": key_pair_spec, "encryption_context_keys": _context_keys(encryption_context)},
    )  # fmt: skip
    return DataKeyPair(
        private_plaintext if with_plaintext else None, ciphertext, material.public_der(private.public_key()),
        key_pair_spec, key.arn, row.material_id,
    )  # fmt: skip


def generate_random(*, number_of_bytes: int | None) -> bytes:
    if not number_of_bytes:
        raise ValidationException("Please specify either number of bytes or key spec.")
    return os.urandom(number_of_bytes)
