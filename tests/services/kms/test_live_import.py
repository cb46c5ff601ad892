"""Imported key material (Origin EXTERNAL) through boto3 against the live server: PendingImport
until the material is wrapped and imported, expiry on the sandbox clock, deletion and re-import."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import SandboxInfo
from tests.services.kms.conftest import error_of
from tests.services.kms.test_live_keys import advance

pytestmark = pytest.mark.live


def wrap(public_der: bytes, secret: bytes, algorithm: str) -> bytes:
    """Wrap key material as a key owner does before ImportKeyMaterial, outside KMS."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    digest = hashes.SHA256 if algorithm.endswith("256") else hashes.SHA1
    oaep = padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None)
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        aes_key = os.urandom(32)
        return public.encrypt(aes_key, oaep) + keywrap.aes_key_wrap_with_padding(aes_key, secret)
    return public.encrypt(secret, oaep)


def import_material(kms: Any, key_id: str, secret: bytes, algorithm: str = "RSAES_OAEP_SHA_256", **extra: Any) -> Any:
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
    return kms.import_key_material(
        KeyId=key_id, ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], secret, algorithm), **extra,
    )  # fmt: skip


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"])
def test_imported_material_makes_the_key_usable(kms: Any, algorithm: str) -> None:
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert (key["Origin"], key["KeyState"], key["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(caught) == ("KMSInvalidStateException", f"{key['Arn']} is pending import.")

    imported = import_material(kms, key["KeyId"], os.urandom(32), algorithm,
                               ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")  # fmt: skip
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_material_expires_on_the_clock_and_the_same_material_comes_back(
    kms: Any, sandbox: SandboxInfo, db_access: None
) -> None:
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    secret = os.urandom(32)
    valid_to = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    import_material(kms, key_id, secret, ValidTo=valid_to)
    shown = kms.describe_key(KeyId=key_id)["KeyMetadata"]["ValidTo"]
    assert abs(shown - valid_to) < dt.timedelta(seconds=1)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before expiry")["CiphertextBlob"]

    advance(sandbox, 3)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(caught)[0] == "KMSInvalidStateException"

    with pytest.raises(ClientError) as caught:
        import_material(kms, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error_of(caught)[0] == "IncorrectKeyMaterialException"
    import_material(kms, key_id, secret, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"


def test_delete_imported_key_material(kms: Any) -> None:
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    imported = import_material(kms, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_import_refusals(kms: Any) -> None:
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    parameters = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    assert parameters["KeyId"].endswith(key_id)
    wrapped = wrap(parameters["PublicKey"], os.urandom(32), "RSAES_OAEP_SHA_256")
    never = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    for arguments, code in (
        ({"KeyId": other, "EncryptedKeyMaterial": wrapped}, "InvalidImportTokenException"),
        ({"KeyId": key_id, "EncryptedKeyMaterial": wrapped}, "ValidationException"),  # no ValidTo
        ({"KeyId": key_id, "EncryptedKeyMaterial": b"\x00" * 256, **never}, "InvalidCiphertextException"),
    ):
        with pytest.raises(ClientError) as caught:
            kms.import_key_material(ImportToken=parameters["ImportToken"], **arguments)
        assert error_of(caught)[0] == code
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as caught:
        kms.get_parameters_for_import(
            KeyId=kms.create_key()["KeyMetadata"]["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
            WrappingKeySpec="RSA_2048",
        )  # fmt: skip
    assert error_of(caught)[0] == "UnsupportedOperationException"
    with pytest.raises(ClientError) as caught:
        kms.create_key(Origin="EXTERNAL", KeySpec="RSA_2048")
    assert error_of(caught)[0] == "UnsupportedOperationException"
