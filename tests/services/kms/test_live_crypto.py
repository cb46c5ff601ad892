"""KMS cryptography through boto3 against the live server: every key spec round trips, ciphertexts
are authenticated, data keys work for envelope encryption, signatures and MACs verify with the
public key material outside KMS."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.services.kms.conftest import error_of

pytestmark = pytest.mark.live


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(**kwargs)["KeyMetadata"]
    return metadata


@pytest.fixture(scope="module")
def rsa_4096_key(module_kms: Any) -> dict[str, Any]:
    """The one RSA 4096 key of this module (slow to make)."""
    return new_key(module_kms, KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")


# --- symmetric -----------------------------------------------------------------------------------


def test_encrypt_then_decrypt_needs_no_key_id(kms: Any) -> None:
    key = new_key(kms)
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"this is a secret message")
    assert out["KeyId"] == key["Arn"]
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"secret" not in out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"])
    assert back["Plaintext"] == b"this is a secret message"
    assert back["KeyId"] == key["Arn"]
    assert back["KeyMaterialId"] == key["CurrentKeyMaterialId"]


@pytest.mark.parametrize("operation", ["decrypt", "re_encrypt"])
def test_decrypt_and_re_encrypt_without_a_ciphertext_are_validation_errors(kms: Any, operation: str) -> None:
    # The model leaves CiphertextBlob optional, so boto3 sends the call; KMS refuses it.
    key_id = new_key(kms)["KeyId"]
    arguments = {"DestinationKeyId": key_id} if operation == "re_encrypt" else {"KeyId": key_id}
    with pytest.raises(ClientError) as caught:
        getattr(kms, operation)(**arguments)
    code, message = error_of(caught)
    assert code == "ValidationException"
    assert "Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null" in message


def test_the_same_plaintext_encrypts_differently_each_time(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    first = kms.encrypt(KeyId=key_id, Plaintext=b"same")["CiphertextBlob"]
    second = kms.encrypt(KeyId=key_id, Plaintext=b"same")["CiphertextBlob"]
    assert first != second


@pytest.mark.parametrize("form", ["id", "arn", "alias", "alias-arn"])
def test_every_form_of_key_id_encrypts(kms: Any, form: str) -> None:
    key = new_key(kms)
    kms.create_alias(AliasName="alias/crypto-forms", TargetKeyId=key["KeyId"])
    key_id = {
        "id": key["KeyId"],
        "arn": key["Arn"],
        "alias": "alias/crypto-forms",
        "alias-arn": key["Arn"].split(":key/")[0] + ":alias/crypto-forms",
    }[form]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key_id)["Plaintext"] == b"x"


def test_encryption_context_is_authenticated(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    context = {"purpose": "test", "tenant": "a"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"ctx", EncryptionContext=context)["CiphertextBlob"]
    reordered = {"tenant": "a", "purpose": "test"}
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ctx"
    for wrong in ({}, {"purpose": "test"}, {"purpose": "test", "tenant": "b"}):
        with pytest.raises(ClientError) as caught:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=wrong)
        assert error_of(caught)[0] == "InvalidCiphertextException"


def test_one_flipped_bit_anywhere_is_invalid_ciphertext(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"integrity matters")["CiphertextBlob"]
    # version, key id, material id, nonce, ciphertext body and tag
    for position in (0, 1, 5, 40, 60, 80, len(blob) - 20, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(ClientError) as caught:
            kms.decrypt(CiphertextBlob=bytes(tampered))
        assert error_of(caught)[0] == "InvalidCiphertextException", position
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_garbage_and_truncated_ciphertexts_are_invalid(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"abc")["CiphertextBlob"]
    for bad in (b"not a ciphertext", blob[:30], blob[:-1], os.urandom(200)):
        with pytest.raises(ClientError) as caught:
            kms.decrypt(CiphertextBlob=bad)
        assert error_of(caught)[0] == "InvalidCiphertextException"


def test_plaintext_limit_is_4096_bytes(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"a" * 4096)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"a" * 4096
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key_id, Plaintext=b"a" * 4097)
    code, message = error_of(caught)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected:")
    assert "plaintext" in message


def test_decrypt_with_another_key_id_is_incorrect_key(kms: Any) -> None:
    mine, other = new_key(kms)["KeyId"], new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=mine, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=blob, KeyId=other)
    assert error_of(caught)[0] == "IncorrectKeyException"


def test_a_disabled_key_neither_encrypts_nor_decrypts(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    for call in (
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught) == ("DisabledException", f"{key['Arn']} is disabled.")
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_a_key_pending_deletion_is_in_an_invalid_state(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(caught) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")


def test_a_signing_key_cannot_encrypt(kms: Any) -> None:
    key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(caught) == (
        "InvalidKeyUsageException",
        f"{key['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.",
    )


def test_re_encrypt_moves_a_ciphertext_to_another_key(kms: Any) -> None:
    source, destination = new_key(kms), new_key(kms)
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"b": "2"},
    )
    assert moved["SourceKeyId"] == source["Arn"]
    assert moved["KeyId"] == destination["Arn"]
    back = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert back == back | {"Plaintext": b"move me", "KeyId": destination["Arn"]}


def test_dry_run_answers_with_dry_run_operation_exception(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert error_of(caught) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )


# --- data keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "size"), [({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16),
                                            ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)])  # fmt: skip
def test_generate_data_key_sizes(kms: Any, spec: dict[str, Any], size: int) -> None:
    key = new_key(kms)
    data_key = kms.generate_data_key(KeyId=key["KeyId"], EncryptionContext={"k": "v"}, **spec)
    assert len(data_key["Plaintext"]) == size
    assert data_key["KeyId"] == key["Arn"]
    back = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert back["Plaintext"] == data_key["Plaintext"]


def test_generate_data_key_without_plaintext_returns_only_the_ciphertext(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    data_key = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")
    assert "Plaintext" not in data_key
    assert len(kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_wants_exactly_one_of_spec_and_size(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    for arguments in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        with pytest.raises(ClientError) as caught:
            kms.generate_data_key(KeyId=key_id, **arguments)
        assert error_of(caught)[0] == "ValidationException"


def test_envelope_encryption_of_a_ten_megabyte_file(kms: Any, tmp_path: Any) -> None:
    key_id = new_key(kms, Description="envelope")["KeyId"]
    original = os.urandom(10 * 1024 * 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(original)

    # Encrypt locally with a data key from KMS; keep only the encrypted data key beside the file.
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"file": "big.bin"})
    nonce = os.urandom(12)
    sealed = tmp_path / "big.bin.enc"
    sealed.write_bytes(nonce + AESGCM(data_key["Plaintext"]).encrypt(nonce, source.read_bytes(), b"big.bin"))
    (tmp_path / "big.bin.key").write_bytes(data_key["CiphertextBlob"])
    del data_key

    # Later: KMS decrypts the data key, the data key decrypts the file.
    plain_key = kms.decrypt(
        CiphertextBlob=(tmp_path / "big.bin.key").read_bytes(), EncryptionContext={"file": "big.bin"}
    )["Plaintext"]
    stored = sealed.read_bytes()
    assert AESGCM(plain_key).decrypt(stored[:12], stored[12:], b"big.bin") == original


@pytest.mark.parametrize("pair_spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_generate_data_key_pair(kms: Any, pair_spec: str) -> None:
    key_id = new_key(kms)["KeyId"]
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec=pair_spec, EncryptionContext={"p": "q"})
    assert pair["KeyPairSpec"] == pair_spec
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    public = serialization.load_der_public_key(pair["PublicKey"])
    assert private.public_key().public_numbers() == public.public_numbers()  # type: ignore[union-attr]
    back = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"p": "q"})
    assert back["Plaintext"] == pair["PrivateKeyPlaintext"]


def test_generate_data_key_pair_without_plaintext(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    pair = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in pair
    private_der = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
    private = serialization.load_der_private_key(private_der, password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert private.curve.name == "secp384r1"


def test_generate_random(kms: Any) -> None:
    first = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    second = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    assert len(first) == len(second) == 64
    assert first != second


# --- every key spec round trips ------------------------------------------------------------------

SIGNING = {
    "RSA_2048": ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384"],
    "RSA_3072": ["RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256"],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
}
HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}


def verify_locally(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    """Verify a KMS signature with the public key alone, outside KMS (raises if it is wrong)."""
    public = serialization.load_der_public_key(public_der)
    digest = HASHES[algorithm.rsplit("_", 1)[1]]
    if isinstance(public, rsa.RSAPublicKey):
        scheme: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(digest()), salt_length=digest().digest_size)
            if "PSS" in algorithm
            else padding.PKCS1v15()
        )
        public.verify(signature, message, scheme, digest())
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, message, ec.ECDSA(digest()))


@pytest.mark.parametrize("spec", list(SIGNING))
def test_sign_and_verify_round_trip(kms: Any, spec: str) -> None:
    key = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    assert key["SigningAlgorithms"]
    public = kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeySpec"] == spec
    assert public["KeyUsage"] == "SIGN_VERIFY"
    message = b"sign me " + spec.encode()
    for algorithm in SIGNING[spec]:
        signed = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
        assert signed["SigningAlgorithm"] == algorithm
        verify_locally(public["PublicKey"], algorithm, message, signed["Signature"])
        checked = kms.verify(KeyId=key["KeyId"], Message=message, Signature=signed["Signature"],
                             SigningAlgorithm=algorithm)  # fmt: skip
        assert checked["SignatureValid"] is True
        with pytest.raises(ClientError) as caught:
            kms.verify(KeyId=key["KeyId"], Message=message + b"!", Signature=signed["Signature"],
                       SigningAlgorithm=algorithm)  # fmt: skip
        assert error_of(caught)[0] == "KMSInvalidSignatureException"


def test_rsa_4096_signs_and_verifies(module_kms: Any, rsa_4096_key: dict[str, Any]) -> None:
    key_id = rsa_4096_key["KeyId"]
    signed = module_kms.sign(KeyId=key_id, Message=b"big key", SigningAlgorithm="RSASSA_PSS_SHA_384")
    public = module_kms.get_public_key(KeyId=key_id)["PublicKey"]
    loaded = serialization.load_der_public_key(public)
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.key_size == 4096
    verify_locally(public, "RSASSA_PSS_SHA_384", b"big key", signed["Signature"])
    assert module_kms.verify(KeyId=key_id, Message=b"big key", Signature=signed["Signature"],
                             SigningAlgorithm="RSASSA_PSS_SHA_384")["SignatureValid"]  # fmt: skip


def test_signing_a_digest(kms: Any) -> None:
    key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    message = b"a long document"
    digest = hashlib.sha256(message).digest()
    signed = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signed["Signature"], message, ec.ECDSA(hashes.SHA256()))
    public.verify(signed["Signature"], digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    with pytest.raises(ClientError) as caught:
        kms.sign(KeyId=key["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(caught)[0] == "ValidationException"


def test_a_signing_algorithm_of_another_key_spec_is_refused(kms: Any) -> None:
    key_id = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error_of(caught)[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072"])
def test_rsa_encryption_round_trip(kms: Any, spec: str) -> None:
    key = new_key(kms, KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")
    assert key["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    for algorithm, digest in (("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)):
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"rsa", EncryptionAlgorithm=algorithm)["CiphertextBlob"]
        back = kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm)
        assert back["Plaintext"] == b"rsa"
        # Encrypted outside KMS with the public key, decrypted inside.
        outside = public.encrypt(b"outside", padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None))
        assert (
            kms.decrypt(CiphertextBlob=outside, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm)["Plaintext"]
            == b"outside"
        )
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(caught)[0] == "InvalidCiphertextException"
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(caught)[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize(("spec", "algorithm", "digest"), [
    ("HMAC_224", "HMAC_SHA_224", hashlib.sha224), ("HMAC_256", "HMAC_SHA_256", hashlib.sha256),
    ("HMAC_384", "HMAC_SHA_384", hashlib.sha384), ("HMAC_512", "HMAC_SHA_512", hashlib.sha512),
])  # fmt: skip
def test_hmac_round_trip(kms: Any, spec: str, algorithm: str, digest: Any) -> None:
    key = new_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
    assert key["MacAlgorithms"] == [algorithm]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"mac me", MacAlgorithm=algorithm)["Mac"]
    assert len(mac) == digest().digest_size
    assert kms.generate_mac(KeyId=key["KeyId"], Message=b"mac me", MacAlgorithm=algorithm)["Mac"] == mac
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"mac me", Mac=mac, MacAlgorithm=algorithm)["MacValid"]
    with pytest.raises(ClientError) as caught:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"mac me!", Mac=mac, MacAlgorithm=algorithm)
    assert error_of(caught)[0] == "KMSInvalidMacException"
    assert not hmac.compare_digest(mac, digest(b"mac me").digest())


def test_hmac_key_refuses_another_algorithm_and_encryption(kms: Any) -> None:
    key_id = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert error_of(caught)[0] == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key_id, Plaintext=b"m")
    assert error_of(caught)[0] == "InvalidKeyUsageException"


def test_ecdh_shared_secret_matches_the_peers(kms: Any) -> None:
    key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    assert key["KeyAgreementAlgorithms"] == ["ECDH"]
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_public = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    shared = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_public)
    kms_public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert shared["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public)


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.get_public_key(KeyId=key_id)
    assert error_of(caught)[0] == "UnsupportedOperationException"
