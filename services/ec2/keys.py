"""Key pairs with real key material (cryptography): CreateKeyPair makes an RSA 2048 or ED25519 key
and answers its private key once, as AWS does; ImportKeyPair reads an OpenSSH public key. The
fingerprints follow AWS's rules: SHA-1 of the PKCS#8 private key for a created RSA key, MD5 of the
public key's DER for an imported one, SHA-256 of the OpenSSH public key for ED25519."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from playground.sandboxes.models import Sandbox
from services.ec2 import common
from services.ec2.exceptions import (
    InvalidKeyPairDuplicate,
    InvalidKeyPairFormat,
    InvalidKeyPairNotFound,
    InvalidParameterValue,
)
from services.ec2.models import KeyPair, Tag

NAME = re.compile(r"^[\x20-\x7e]{1,255}$")


def _colons(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def _sha256_fingerprint(openssh: bytes) -> str:
    blob = base64.b64decode(openssh.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def _check_new(sandbox: Sandbox, region: str, name: str) -> None:
    if not NAME.match(name):
        raise InvalidParameterValue(f"Value ({name}) for parameter keyName is invalid.")
    if KeyPair.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise InvalidKeyPairDuplicate(f"The keypair '{name}' already exists.")


def key_create(
    *, sandbox: Sandbox, region: str, name: str, key_type: str | None, key_format: str | None,
    tags: list[dict[str, Any]], now: dt.datetime,
) -> tuple[KeyPair, str]:  # fmt: skip
    """The new key pair and its private key (PEM for RSA, OpenSSH for ED25519)."""
    _check_new(sandbox, region, name)
    if key_format == "ppk":
        raise InvalidParameterValue("The ppk key format is not supported by this emulator; use pem.")
    common.check_tags(tags)
    openssh = serialization.PublicFormat.OpenSSH
    if key_type == "ed25519":
        private_ed = ed25519.Ed25519PrivateKey.generate()
        material = private_ed.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
        public = private_ed.public_key().public_bytes(serialization.Encoding.OpenSSH, openssh)
        fingerprint = _sha256_fingerprint(public)
    else:
        private_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        material = private_rsa.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode()
        pkcs8 = private_rsa.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fingerprint = _colons(hashlib.sha1(pkcs8).digest())  # noqa: S324 (AWS's fingerprint)
        public = private_rsa.public_key().public_bytes(serialization.Encoding.OpenSSH, openssh)
    key = KeyPair.objects.create(
        sandbox=sandbox, region=region, key_pair_id=common.new_id("key"), name=name,
        key_type=key_type or "rsa", fingerprint=fingerprint, public_key=public.decode(), created_at=now,
    )  # fmt: skip
    common.tags_set(sandbox=sandbox, region=region, resource_id=key.key_pair_id, tags=tags)
    return key, material.strip()


def key_import(
    *, sandbox: Sandbox, region: str, name: str, material: bytes, tags: list[dict[str, Any]], now: dt.datetime
) -> KeyPair:
    _check_new(sandbox, region, name)
    common.check_tags(tags)
    try:
        public = serialization.load_ssh_public_key(material.strip())
    except (ValueError, TypeError, IndexError, UnsupportedAlgorithm) as error:
        raise InvalidKeyPairFormat("Key is not in valid OpenSSH public key format") from error
    openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    if isinstance(public, rsa.RSAPublicKey):
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        key_type, fingerprint = "rsa", _colons(hashlib.md5(der).digest())  # noqa: S324 (AWS's fingerprint)
    elif isinstance(public, ed25519.Ed25519PublicKey):
        key_type, fingerprint = "ed25519", _sha256_fingerprint(openssh)
    else:
        raise InvalidKeyPairFormat("Key is not in valid OpenSSH public key format")
    key = KeyPair.objects.create(
        sandbox=sandbox, region=region, key_pair_id=common.new_id("key"), name=name, key_type=key_type,
        fingerprint=fingerprint, public_key=openssh.decode(), created_at=now,
    )  # fmt: skip
    common.tags_set(sandbox=sandbox, region=region, resource_id=key.key_pair_id, tags=tags)
    return key


def key_get(*, sandbox: Sandbox, region: str, name: str) -> KeyPair:
    key = KeyPair.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if key is None:
        raise InvalidKeyPairNotFound(f"The key pair '{name}' does not exist")
    return key


def key_delete(*, sandbox: Sandbox, region: str, name: str | None, key_pair_id: str | None) -> str | None:
    """Delete the key pair; a missing one is no error (AWS answers true)."""
    rows = KeyPair.objects.filter(sandbox=sandbox, region=region)
    key = rows.filter(key_pair_id=key_pair_id).first() if key_pair_id else rows.filter(name=name).first()
    if key is None:
        return None
    Tag.objects.filter(sandbox=sandbox, resource_id=key.key_pair_id).delete()
    key.delete()
    return key.key_pair_id


KEY_FILTERS = ("key-name", "key-pair-id", "fingerprint", "key-type")


def keys_describe(
    *, sandbox: Sandbox, region: str, names: list[str], ids: list[str], filters: list[dict[str, Any]],
    include_public: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    rows = list(KeyPair.objects.filter(sandbox=sandbox, region=region))
    for name in names:
        if not any(key.name == name for key in rows):
            raise InvalidKeyPairNotFound(f"The key pair '{name}' does not exist")
    for key_id in ids:
        if not any(key.key_pair_id == key_id for key in rows):
            raise InvalidKeyPairNotFound(f"The key pair '{key_id}' does not exist")
    if names or ids:
        rows = [key for key in rows if key.name in names or key.key_pair_id in ids]
    tags = common.tags_of(sandbox, [key.key_pair_id for key in rows])

    def fields(key: KeyPair) -> common.Fields:
        return common.filter_fields_with_tags(
            {"key-name": [key.name], "key-pair-id": [key.key_pair_id], "fingerprint": [key.fingerprint],
             "key-type": [key.key_type]},
            tags.get(key.key_pair_id, {}),
        )  # fmt: skip

    views = []
    for key in common.select(rows, filters, fields, KEY_FILTERS):
        view: dict[str, Any] = {
            "KeyPairId": key.key_pair_id, "KeyFingerprint": key.fingerprint, "KeyName": key.name,
            "KeyType": key.key_type, "CreateTime": key.created_at,
            "Tags": common.tag_list(tags.get(key.key_pair_id, {})),
        }  # fmt: skip
        if include_public:
            view["PublicKey"] = f"{key.public_key} {key.name}"
        views.append(view)
    return views
