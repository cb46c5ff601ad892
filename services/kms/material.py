"""Key material: made per key spec, kept encrypted at rest under the server's master key.

The master key (settings.MASTER_KEY, a Fernet key kept in var/master.key or the environment,
never in the database) is stretched with HKDF-SHA256 into an AES-256-GCM wrapping key. Each
material row is sealed as nonce || AES-GCM(secret) with "<key id>/<material id>" as associated
data, so a sealed blob copied onto another key's row does not open.

Unsealed material is memoised per process by (key id, material id). That is not state: a
material id names one immutable secret forever (rotation makes a new id), so the memo can never
be stale; it saves the unsealing and, for asymmetric keys, the costly parsing of the private key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from services.kms.specs import KEY_SPECS

NONCE_BYTES = 12
_HKDF_INFO = b"playground/kms/key-material/v1"
_MEMO_SIZE = 512

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@lru_cache(maxsize=4)
def _wrapping_key(master_key: str) -> AESGCM:
    ikm = base64.urlsafe_b64decode(master_key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(ikm)
    return AESGCM(derived)


def _aad(key_id: str, material_id: str) -> bytes:
    return f"{key_id}/{material_id}".encode()


def seal(secret: bytes, *, key_id: str, material_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _wrapping_key(settings.MASTER_KEY).encrypt(nonce, secret, _aad(key_id, material_id))


def unseal(sealed: bytes, *, key_id: str, material_id: str) -> bytes:
    data = bytes(sealed)
    wrapping = _wrapping_key(settings.MASTER_KEY)
    return wrapping.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(key_id, material_id))


def new_material_id() -> str:
    return secrets.token_hex(32)


@lru_cache(maxsize=4)
def _id_key(master_key: str) -> bytes:
    ikm = base64.urlsafe_b64decode(master_key.encode())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO + b"/imported-id").derive(ikm)


def imported_material_id(*, key_id: str, secret: bytes) -> str:
    """The id of imported material: the same material imported again into the same key gets the
    same id (so ciphertexts made before a DeleteImportedKeyMaterial decrypt after the re-import).
    An HMAC under a key derived from the master key, so the id tells nothing of the material."""
    return hmac.new(_id_key(settings.MASTER_KEY), key_id.encode() + b"/" + secret, hashlib.sha256).hexdigest()


def generate(spec: str) -> tuple[bytes, bytes]:
    """New material for a key spec: (secret bytes, DER public key or b"")."""
    info = KEY_SPECS[spec]
    if info.family in ("symmetric", "hmac"):
        return os.urandom(info.size), b""
    private = generate_private_key(spec)
    return private_der(private), public_der(private.public_key())


def generate_private_key(spec: str) -> PrivateKey:
    info = KEY_SPECS[spec]
    if info.family == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=info.size)
    if info.family == "ecc":
        curve: Any = getattr(ec, info.curve)
        return ec.generate_private_key(curve())
    raise ValueError(f"{spec} is not an asymmetric key spec")


def private_der(private: PrivateKey) -> bytes:
    """PKCS #8 DER, the form GenerateDataKeyPair returns private keys in."""
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_der(public: PublicKey) -> bytes:
    """DER SubjectPublicKeyInfo (RFC 5280), the form GetPublicKey returns."""
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class _Memo:
    """A small thread-safe LRU of unsealed material by (key id, material id)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: tuple[str, str]) -> Any:
        with self._lock:
            value = self._items.get(name)
            if value is not None:
                self._items.move_to_end(name)
            return value

    def put(self, name: tuple[str, str], value: Any) -> None:
        with self._lock:
            self._items[name] = value
            self._items.move_to_end(name)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_secrets = _Memo(_MEMO_SIZE)
_private_keys = _Memo(_MEMO_SIZE)


def secret(sealed: bytes, *, key_id: str, material_id: str) -> bytes:
    name = (key_id, material_id)
    found: bytes | None = _secrets.get(name)
    if found is None:
        found = unseal(sealed, key_id=key_id, material_id=material_id)
        _secrets.put(name, found)
    return found


def private_key(sealed: bytes, *, key_id: str, material_id: str) -> PrivateKey:
    name = (key_id, material_id)
    found: PrivateKey | None = _private_keys.get(name)
    if found is None:
        loaded = serialization.load_der_private_key(
            unseal(sealed, key_id=key_id, material_id=material_id), password=None
        )
        if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise TypeError(f"unexpected private key type {type(loaded).__name__}")
        found = loaded
        _private_keys.put(name, found)
    return found


def load_public_key(der: bytes) -> PublicKey:
    loaded = serialization.load_der_public_key(bytes(der))
    if not isinstance(loaded, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise TypeError(f"unexpected public key type {type(loaded).__name__}")
    return loaded
