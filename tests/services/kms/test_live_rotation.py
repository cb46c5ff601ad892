"""KMS key rotation against the live server: automatic rotation on the sandbox clock, on-demand
rotation, and ciphertexts from before a rotation that still decrypt."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo
from tests.services.kms.conftest import error_of
from tests.services.kms.test_live_keys import advance

pytestmark = pytest.mark.live


def test_rotation_is_off_until_enabled(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert status["KeyId"] == key["Arn"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
    created = key["CreationDate"].astimezone(dt.UTC)
    next_rotation = status["NextRotationDate"].astimezone(dt.UTC)
    assert dt.timedelta(days=89) < next_rotation - created < dt.timedelta(days=91)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_rotation_period_limits(kms: Any, aws: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    unchecked = aws("kms", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    for days in (89, 2561):
        with pytest.raises(ClientError) as caught:
            unchecked.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=days)
        code, message = error_of(caught)
        assert code == "ValidationException"
        assert f"Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint" in message
    kms.enable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 365


def test_automatic_rotation_on_the_clock_keeps_old_ciphertexts(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    key = kms.create_key()["KeyMetadata"]
    first_material = key["CurrentKeyMaterialId"]
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before rotation")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)

    advance(sandbox, 89)
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []
    advance(sandbox, 2)
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert len(rotations) == 1
    assert rotations[0]["RotationType"] == "AUTOMATIC"
    assert rotations[0]["KeyMaterialState"] == "CURRENT"
    second_material = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert second_material == rotations[0]["KeyMaterialId"] != first_material

    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    old = kms.decrypt(CiphertextBlob=before)
    assert (old["Plaintext"], old["KeyMaterialId"]) == (b"before rotation", first_material)
    new = kms.decrypt(CiphertextBlob=after)
    assert (new["Plaintext"], new["KeyMaterialId"]) == (b"after rotation", second_material)

    advance(sandbox, 91)
    assert len(kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]) == 2
    everything = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [entry["KeyMaterialId"] for entry in everything][:2] == [first_material, second_material]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"before rotation"


def test_a_disabled_key_does_not_rotate(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    advance(sandbox, 100)
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    with pytest.raises(ClientError) as caught:
        kms.enable_key_rotation(KeyId=key_id)
    assert error_of(caught)[0] == "DisabledException"


def test_rotate_on_demand(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["KeyId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [entry["RotationType"] for entry in rotations] == ["ON_DEMAND"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] != key["CurrentKeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"old"
    # On-demand rotation leaves automatic rotation as it was.
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_on_demand_rotations_are_limited_to_ten(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key_id)
    with pytest.raises(ClientError) as caught:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert error_of(caught)[0] == "LimitExceededException"
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 10


def test_only_symmetric_encryption_keys_rotate(kms: Any) -> None:
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    for call in (
        lambda: kms.enable_key_rotation(KeyId=hmac_key),
        lambda: kms.rotate_key_on_demand(KeyId=hmac_key),
        lambda: kms.get_key_rotation_status(KeyId=hmac_key),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught)[0] == "UnsupportedOperationException"
