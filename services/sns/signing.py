"""Message signatures, as AWS makes them, so that the standard verification code accepts ours:

    1. the string to sign: for each of the message's signed fields, in this order and when present,
       "<Name>\\n<value>\\n"
           Notification                 Message, MessageId, Subject, Timestamp, TopicArn, Type
           SubscriptionConfirmation /
           UnsubscribeConfirmation      Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type
    2. RSA PKCS#1 v1.5 over it with SHA1 (SignatureVersion 1) or SHA256 (SignatureVersion 2)
    3. Signature = base64 of that; SigningCertURL = where the X.509 certificate of the key is served

The key pair and its self-signed certificate are made once per server (database) on first use and
kept in the SigningKey table, the private key encrypted with the server's master key. The
certificate is served at /sns/SimpleNotificationService-<fingerprint>.pem (views.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction

from playground.sandboxes.models import decrypt_secret, encrypt_secret, wall_now
from services.sns.models import SigningKey

KEY_NAME = "sns-signing"
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
CERTIFICATE_PREFIX = "SimpleNotificationService-"


@dataclass(frozen=True)
class Signer:
    private_key: rsa.RSAPrivateKey
    certificate_pem: str
    key_id: str  # what names the certificate in its URL

    def sign(self, text: str, *, version: str) -> str:
        algorithm: hashes.HashAlgorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303
        signature = self.private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), algorithm)
        return base64.b64encode(signature).decode("ascii")


_lock = threading.Lock()
_signer: Signer | None = None


def _make() -> tuple[str, str]:
    """A new 2048-bit RSA key and a self-signed certificate for it (encrypted key PEM, cert PEM).

    The certificate's validity is real (wall-clock) time: it is checked by real clients."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    issued = wall_now() - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Playground"), *name]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued)
        .not_valid_after(issued + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return encrypt_secret(private_pem), certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _load(row: SigningKey) -> Signer:
    private_key = serialization.load_pem_private_key(decrypt_secret(row.private_key).encode("ascii"), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    certificate = x509.load_pem_x509_certificate(row.certificate.encode("ascii"))
    key_id = certificate.fingerprint(hashes.SHA256()).hex()[:32]
    return Signer(private_key, row.certificate, key_id)


def signer() -> Signer:
    """This server's signer, made on first use (by whichever process gets there first)."""
    global _signer
    if _signer is not None:
        return _signer
    with _lock:
        if _signer is None:
            row = SigningKey.objects.filter(name=KEY_NAME).first()
            if row is None:
                private_key, certificate = _make()
                try:
                    with transaction.atomic():
                        row = SigningKey.objects.create(name=KEY_NAME, private_key=private_key, certificate=certificate)
                except IntegrityError:
                    row = SigningKey.objects.get(name=KEY_NAME)
            _signer = _load(row)
    return _signer


def forget_signer() -> None:
    """Drop the cached signer (tests that recreate the database)."""
    global _signer
    _signer = None
    _signature.cache_clear()


def certificate_path() -> str:
    return f"/sns/{CERTIFICATE_PREFIX}{signer().key_id}.pem"


def string_to_sign(message: dict[str, Any]) -> str:
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


@lru_cache(maxsize=16)
def _signature(text: str, version: str) -> str:
    """Every subscriber of one publish gets the same signed fields: sign them once (an RSA signature
    costs about a millisecond)."""
    return signer().sign(text, version=version)


def sign_message(message: dict[str, Any], *, version: str, base_url: str) -> dict[str, Any]:
    """The message with SignatureVersion, Signature and SigningCertURL filled in."""
    message["SignatureVersion"] = version
    message["Signature"] = _signature(string_to_sign(message), version)
    message["SigningCertURL"] = f"{base_url}{certificate_path()}"
    return message
