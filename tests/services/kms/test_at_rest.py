"""What KMS keeps in the database, read directly: key material only sealed under the master key,
and ciphertext blobs in the documented layout (key id, key material id, AES-256-GCM with the
encryption context as associated data)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def test_key_material_is_stored_sealed(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    from services.kms import crypto, material
    from services.kms.models import Key, KeyMaterial

    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"at rest", EncryptionContext={"who": "me"})["CiphertextBlob"]

    row = KeyMaterial.objects.get(key__key_id=key["KeyId"])
    sealed = bytes(row.sealed)
    secret = material.unseal(sealed, key_id=key["KeyId"], material_id=row.material_id)
    assert len(secret) == 32
    assert secret not in sealed
    assert len(sealed) == material.NONCE_BYTES + 32 + 16
    # No column of the key row holds the secret either.
    stored = Key.objects.filter(key_id=key["KeyId"]).values().get()
    assert not any(isinstance(value, bytes | memoryview) and secret in bytes(value) for value in stored.values())

    # The blob names the key and the material, and opens with them and the encryption context.
    envelope = crypto.parse_envelope(blob)
    assert (envelope.key_id, envelope.material_id) == (key["KeyId"], row.material_id)
    aad = envelope.header + crypto.encode_context({"who": "me"})
    assert AESGCM(secret).decrypt(envelope.nonce, envelope.body, aad) == b"at rest"


def test_sealed_material_does_not_open_for_another_key(kms: Any, db_access: None) -> None:
    from cryptography.exceptions import InvalidTag

    from services.kms import material
    from services.kms.models import KeyMaterial

    first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    row = KeyMaterial.objects.get(key__key_id=first)
    with pytest.raises(InvalidTag):
        material.unseal(bytes(row.sealed), key_id=second, material_id=row.material_id)


def test_asymmetric_private_keys_are_sealed_and_public_keys_are_not(kms: Any, db_access: None) -> None:
    from cryptography.hazmat.primitives import serialization

    from services.kms import material
    from services.kms.models import KeyMaterial

    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    row = KeyMaterial.objects.get(key__key_id=key_id)
    private_der = material.unseal(bytes(row.sealed), key_id=key_id, material_id=row.material_id)
    assert private_der not in bytes(row.sealed)
    private = serialization.load_der_private_key(private_der, password=None)
    assert material.public_der(private.public_key()) == bytes(row.public_key)  # type: ignore[arg-type]
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == bytes(row.public_key)
