"""Imported key material (keys made with Origin EXTERNAL): a key without material waits in
PendingImport; GetParametersForImport hands out an RSA wrapping public key and an import token
(valid 24 hours); ImportKeyMaterial unwraps the material and makes the key Enabled, until the
material's ValidTo (sandbox clock) when the tick deletes it and the key goes back to PendingImport;
DeleteImportedKeyMaterial does the same at once. Only the same material can be imported again,
and then ciphertexts made before decrypt again.

Wrapping algorithms: RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256 (the material encrypted with the
wrapping key), RSA_AES_KEY_WRAP_SHA_1 and RSA_AES_KEY_WRAP_SHA_256 (an ephemeral AES-256 key
encrypted with RSA-OAEP, followed by the material wrapped with it, AES key wrap with padding).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, keys, material, metrics
from services.kms.exceptions import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
)
from services.kms.models import DISABLED, ENABLED, PENDING_DELETION, PENDING_IMPORT, ImportParameters, Key, KeyMaterial
from services.kms.specs import KEY_SPECS

LOG = logging.getLogger(__name__)

EXTERNAL = "EXTERNAL"
EXPIRES = "KEY_MATERIAL_EXPIRES"
DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
TOKEN_LIFETIME = dt.timedelta(hours=24)
WRAPPING_HASHES: dict[str, type[hashes.SHA1] | type[hashes.SHA256]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
    "RSA_AES_KEY_WRAP_SHA_1": hashes.SHA1,
    "RSA_AES_KEY_WRAP_SHA_256": hashes.SHA256,
}
WRAPPING_KEY_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}


def _external_key(*, sandbox: Sandbox, region: str, key_id: str) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    if key.origin != EXTERNAL:
        raise UnsupportedOperationException(
            f"{key.arn} origin is {key.origin} which is not valid for this operation. "
            "Only keys made with Origin EXTERNAL take imported key material."
        )
    if key.state == PENDING_DELETION:
        raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
    return key


def _digest(token: bytes) -> str:
    return hashlib.sha256(token).hexdigest()


@transaction.atomic
def get_parameters_for_import(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    wrapping_algorithm: str,
    wrapping_key_spec: str,
    now: dt.datetime,
) -> tuple[Key, bytes, bytes, dt.datetime]:
    """(key, import token, wrapping public key as DER SubjectPublicKeyInfo, valid until)."""
    key = _external_key(sandbox=sandbox, region=region, key_id=key_id)
    if wrapping_algorithm not in WRAPPING_HASHES:
        raise UnsupportedOperationException(f"WrappingAlgorithm {wrapping_algorithm} is not supported.")
    bits = WRAPPING_KEY_BITS.get(wrapping_key_spec)
    if bits is None:
        raise UnsupportedOperationException(f"WrappingKeySpec {wrapping_key_spec} is not supported.")
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    token = secrets.token_bytes(64)
    digest = _digest(token)
    valid_to = now + TOKEN_LIFETIME
    ImportParameters.objects.create(
        sandbox=sandbox,
        key=key,
        token_digest=digest,
        wrapping_algorithm=wrapping_algorithm,
        sealed_private_key=material.seal(material.private_der(private), key_id=key.key_id, material_id=digest),
        valid_to=valid_to,
    )
    return key, token, material.public_der(private.public_key()), valid_to


def _unwrap(parameters: ImportParameters, key: Key, wrapped: bytes) -> bytes:
    der = material.unseal(bytes(parameters.sealed_private_key), key_id=key.key_id, material_id=parameters.token_digest)
    private = serialization.load_der_private_key(der, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    digest = WRAPPING_HASHES[parameters.wrapping_algorithm]
    oaep = padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None)
    try:
        if parameters.wrapping_algorithm.startswith("RSA_AES_KEY_WRAP"):
            split = private.key_size // 8
            aes_key = private.decrypt(wrapped[:split], oaep)
            return keywrap.aes_key_unwrap_with_padding(aes_key, wrapped[split:])
        return private.decrypt(wrapped, oaep)
    except (ValueError, keywrap.InvalidUnwrap):
        raise InvalidCiphertextException("") from None


@transaction.atomic
def import_key_material(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    import_token: bytes,
    encrypted_key_material: bytes,
    valid_to: dt.datetime | None,
    expiration_model: str | None,
    import_type: str | None,
    caller: str,
    now: dt.datetime,
) -> tuple[Key, str]:
    """Unwrap and install the material; returns the key and the key material id."""
    key = _external_key(sandbox=sandbox, region=region, key_id=key_id)
    parameters = ImportParameters.objects.filter(token_digest=_digest(import_token)).first()
    if parameters is None or parameters.key_id != key.pk:
        raise InvalidImportTokenException("The import token is not valid for this KMS key.")
    if parameters.valid_to <= now:
        raise ExpiredImportTokenException("The import token has expired. Call GetParametersForImport for a new one.")
    model = expiration_model or EXPIRES
    if model == EXPIRES:
        if valid_to is None:
            raise ValidationException("A ValidTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        if valid_to <= now:
            raise ValidationException("ValidTo must be in the future.")
    elif valid_to is not None:
        raise ValidationException(
            "A ValidTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"
        )
    if import_type == "NEW_KEY_MATERIAL" and key.imported_material_id:
        raise UnsupportedOperationException(
            f"{key.arn} already has imported key material: Playground keeps one imported material per key."
        )
    secret = _unwrap(parameters, key, encrypted_key_material)
    size = KEY_SPECS[key.key_spec].size
    if len(secret) != size:
        raise ValidationException(f"Key material for a {key.key_spec} key must be {size} bytes.")
    material_id = material.imported_material_id(key_id=key.key_id, secret=secret)
    if key.imported_material_id and material_id != key.imported_material_id:
        raise IncorrectKeyMaterialException(
            "The key material does not match the key material previously imported into this KMS key."
        )
    row = KeyMaterial.objects.filter(key=key, material_id=material_id).first()
    if row is None:
        row = KeyMaterial.objects.create(
            sandbox=sandbox,
            key=key,
            material_id=material_id,
            sealed=material.seal(secret, key_id=key.key_id, material_id=material_id),
            created_at=now,
        )
    key.current_material = row
    key.imported_material_id = material_id
    key.expiration_model = model
    key.valid_to = valid_to if model == EXPIRES else None
    if key.state == PENDING_IMPORT:
        key.state = ENABLED
    key.save(update_fields=["current_material", "imported_material_id", "expiration_model", "valid_to", "state"])
    events.key_changed(key, now=now)
    metrics.material_imported(key, now=now)
    return key, material_id


def _remove_material(key: Key) -> None:
    key.current_material = None
    key.valid_to = None
    key.state = PENDING_IMPORT
    key.save(update_fields=["current_material", "valid_to", "state"])
    KeyMaterial.objects.filter(key=key).delete()


@transaction.atomic
def delete_imported_key_material(
    *, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime
) -> tuple[Key, str]:
    key = _external_key(sandbox=sandbox, region=region, key_id=key_id)
    material_id = key.current_material.material_id if key.current_material else ""
    _remove_material(key)
    events.key_changed(key, now=now)
    return key, material_id


def expire_due_material(*, sandbox: Sandbox, now: dt.datetime, batch: int = 200) -> int:
    """Delete imported material whose ValidTo has passed; its key goes back to PendingImport.
    Clearing valid_to with a conditional update is the claim."""
    due = Key.objects.filter(sandbox=sandbox, valid_to__lte=now, state__in=[ENABLED, DISABLED]).order_by("valid_to")
    expired = 0
    for key in list(due[:batch]):
        key.sandbox = sandbox
        with transaction.atomic():
            if not Key.objects.filter(pk=key.pk, valid_to=key.valid_to).update(valid_to=None):
                continue
            _remove_material(key)
            events.key_changed(key, now=now)
            expired += 1
    if expired:
        LOG.info("expired the imported material of %d KMS key(s) of sandbox %s", expired, sandbox.account_id)
    return expired
