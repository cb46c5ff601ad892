"""KMS keys through boto3 against the live server: creation for every spec, metadata, listing,
enable/disable, deletion on the sandbox clock, tags, descriptions and key policies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo
from tests.services.kms.conftest import error_of

pytestmark = pytest.mark.live


def advance(sandbox: SandboxInfo, days: float) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    clock_advance(sandbox=Sandbox.objects.select_related("clock").get(pk=sandbox.id), seconds=days * 86400)


def test_create_key_defaults(kms: Any, sandbox: SandboxInfo) -> None:
    key = kms.create_key(Description="LA KMS DEMO CMK")["KeyMetadata"]
    assert key["AWSAccountId"] == sandbox.account_id
    assert key["Arn"] == f"arn:aws:kms:{sandbox.region}:{sandbox.account_id}:key/{key['KeyId']}"
    assert (key["KeySpec"], key["KeyUsage"], key["KeyState"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled")
    assert key["Enabled"] is True
    assert key["KeyManager"] == "CUSTOMER"
    assert key["Origin"] == "AWS_KMS"
    assert key["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert len(key["CurrentKeyMaterialId"]) == 64
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"] == key


@pytest.mark.parametrize(("spec", "usage", "member"), [
    ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms"), ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms"),
    ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms"), ("RSA_2048", "SIGN_VERIFY", "SigningAlgorithms"),
    ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms"), ("ECC_NIST_P521", "KEY_AGREEMENT", "KeyAgreementAlgorithms"),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms"),
])  # fmt: skip
def test_create_key_of_each_spec_and_usage(kms: Any, spec: str, usage: str, member: str) -> None:
    key = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    assert (key["KeySpec"], key["CustomerMasterKeySpec"], key["KeyUsage"]) == (spec, spec, usage)
    assert key[member]
    assert "CurrentKeyMaterialId" not in key


@pytest.mark.parametrize(("arguments", "code"), [
    ({"KeySpec": "HMAC_256"}, "ValidationException"),
    ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"}, "ValidationException"),
    ({"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "SIGN_VERIFY"}, "ValidationException"),
    ({"KeySpec": "RSA_2048", "CustomerMasterKeySpec": "RSA_2048"}, "ValidationException"),
    ({"KeySpec": "NOT_A_SPEC"}, "ValidationException"),
    ({"KeySpec": "SM2"}, "UnsupportedOperationException"),
    ({"Policy": "{not json"}, "MalformedPolicyDocumentException"),
    ({"Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]}, "TagException"),
])  # fmt: skip
def test_create_key_refusals_store_nothing(kms: Any, arguments: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as caught:
        kms.create_key(**arguments)
    assert error_of(caught)[0] == code
    assert kms.list_keys()["Keys"] == []


def test_default_key_policy_is_the_one_aws_writes(kms: Any, sandbox: SandboxInfo) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    answer = kms.get_key_policy(KeyId=key_id)
    assert answer["PolicyName"] == "default"
    policy = json.loads(answer["Policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{sandbox.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    assert answer["Policy"].startswith('{\n  "Version" : "2012-10-17",')
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]


def test_list_key_policies_refuses_a_marker_it_never_gave_as_a_validation_error(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.list_key_policies(KeyId=key_id, Marker="not-a-marker")
    # ListKeyPolicies does not model InvalidMarkerException, as ListKeys does.
    code, message = error_of(caught)
    assert code == "ValidationException"
    assert "at 'marker'" in message


def test_put_key_policy_stores_it_and_refuses_a_lockout(kms: Any, sandbox: SandboxInfo) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    mine = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Admins", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
                       "Principal": {"AWS": f"arn:aws:iam::{sandbox.account_id}:root"}}],
    }  # fmt: skip
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(mine))
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == mine

    lockout = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                       "Principal": {"AWS": "arn:aws:iam::111122223333:role/other"}}],
    }  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kms.put_key_policy(KeyId=key_id, Policy=json.dumps(lockout))
    assert error_of(caught) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == mine
    kms.put_key_policy(KeyId=key_id, Policy=json.dumps(lockout), BypassPolicyLockoutSafetyCheck=True)
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == lockout
    with pytest.raises(ClientError) as caught:
        kms.get_key_policy(KeyId=key_id, PolicyName="other")
    assert error_of(caught)[0] == "NotFoundException"


def test_describe_unknown_keys_says_what_aws_says(kms: Any, sandbox: SandboxInfo) -> None:
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    arn = f"arn:aws:kms:{sandbox.region}:{sandbox.account_id}:key/{missing}"
    for key_id, message in (
        (missing, f"Key '{arn}' does not exist"),
        (arn, f"Key '{arn}' does not exist"),
        ("alias/nope", f"Alias arn:aws:kms:{sandbox.region}:{sandbox.account_id}:alias/nope is not found."),
        ("not-a-key-id", "Invalid keyId not-a-key-id"),
    ):
        with pytest.raises(ClientError) as caught:
            kms.describe_key(KeyId=key_id)
        assert error_of(caught) == ("NotFoundException", message)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_keys_of_another_sandbox_or_region_are_not_found(kms: Any, aws: Any, make_sandbox: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    other = aws("kms", info=make_sandbox(name="other"))
    with pytest.raises(ClientError) as caught:
        other.describe_key(KeyId=key_id)
    assert error_of(caught)[0] == "NotFoundException"
    with pytest.raises(ClientError) as caught:
        aws("kms", region_name="eu-west-1").describe_key(KeyId=key_id)
    assert error_of(caught)[0] == "NotFoundException"


def test_list_keys_pages(kms: Any) -> None:
    made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    first = kms.list_keys(Limit=2)
    assert first["Truncated"] is True
    seen = [entry["KeyId"] for entry in first["Keys"]]
    marker = first["NextMarker"]
    while marker:
        page = kms.list_keys(Limit=2, Marker=marker)
        seen += [entry["KeyId"] for entry in page["Keys"]]
        marker = page.get("NextMarker")
    assert seen == made
    assert kms.list_keys()["Keys"][0]["KeyArn"].endswith(made[0])
    with pytest.raises(ClientError) as caught:
        kms.list_keys(Marker="garbage")
    assert error_of(caught)[0] == "InvalidMarkerException"
    paginated = kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 3})
    assert [entry["KeyId"] for page in paginated for entry in page["Keys"]] == made


def test_enable_and_disable(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Disabled", False)
    kms.enable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    with pytest.raises(ClientError) as caught:
        kms.enable_key(KeyId="alias/anything")
    assert error_of(caught)[0] == "NotFoundException"


def test_schedule_deletion_window_is_7_to_30_days(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for days in (6, 31):
        with pytest.raises(ClientError) as caught:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        assert error_of(caught) == ("ValidationException", "PendingWindowInDays must be between 7 and 30")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    scheduled = kms.schedule_key_deletion(KeyId=key_id)
    assert scheduled["PendingWindowInDays"] == 30
    assert scheduled["KeyState"] == "PendingDeletion"
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["DeletionDate"] == scheduled["DeletionDate"]
    assert metadata["PendingDeletionWindowInDays"] == 30
    assert metadata["Enabled"] is False


def test_key_is_really_gone_when_the_window_ends(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    from services.kms.models import Key, KeyMaterial

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"last words")["CiphertextBlob"]
    deletion = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["DeletionDate"]

    advance(sandbox, 6.9)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    advance(sandbox, 0.2)
    with pytest.raises(ClientError) as caught:
        kms.describe_key(KeyId=key_id)
    assert error_of(caught)[0] == "NotFoundException"
    assert kms.list_keys()["Keys"] == []
    assert kms.list_aliases()["Aliases"] == []
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(caught)[0] == "InvalidCiphertextException"
    assert not Key.objects.filter(key_id=key_id).exists()
    assert not KeyMaterial.objects.filter(key__key_id=key_id).exists()
    assert deletion.astimezone(dt.UTC) > dt.datetime.now(dt.UTC) + dt.timedelta(days=6)


def test_cancel_key_deletion_leaves_the_key_disabled(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.cancel_key_deletion(KeyId=key_id)
    assert error_of(caught)[0] == "KMSInvalidStateException"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as caught:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert error_of(caught)[0] == "KMSInvalidStateException"
    with pytest.raises(ClientError) as caught:
        kms.enable_key(KeyId=key_id)
    assert error_of(caught)[0] == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"].endswith(key_id)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled"
    assert "DeletionDate" not in metadata


def test_a_cancelled_deletion_never_happens(kms: Any, sandbox: SandboxInfo, db_access: None) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key_id)
    advance(sandbox, 8)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_tags_and_description(kms: Any) -> None:
    key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "lab"}, {"TagKey": "team", "TagValue": "red"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "team", "TagValue": "red"},
        {"TagKey": "env", "TagValue": "lab"},
    ]
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "env", "TagValue": "lab"}]
    with pytest.raises(ClientError) as caught:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
    assert error_of(caught)[0] == "TagException"
    kms.update_key_description(KeyId=key_id, Description="new words")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "new words"


def test_describe_key_makes_a_predefined_aws_managed_key(kms: Any, sandbox: SandboxInfo) -> None:
    managed = kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert managed["Description"].startswith("Default key that protects my SQS")
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyId"] == managed["KeyId"]
    aliases = kms.list_aliases(KeyId=managed["KeyId"])["Aliases"]
    assert [alias["AliasName"] for alias in aliases] == ["alias/aws/sqs"]
    status = kms.get_key_rotation_status(KeyId=managed["KeyId"])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)
    assert "kms:ViaService" in kms.get_key_policy(KeyId=managed["KeyId"])["Policy"]
    blob = kms.encrypt(KeyId="alias/aws/sqs", Plaintext=b"managed")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"managed"


def test_aws_managed_keys_refuse_management(kms: Any, sandbox: SandboxInfo) -> None:
    key_id = kms.describe_key(KeyId="alias/aws/sns")["KeyMetadata"]["KeyId"]
    for call in (
        lambda: kms.disable_key(KeyId=key_id),
        lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7),
        lambda: kms.put_key_policy(KeyId=key_id, Policy="{}", PolicyName="default"),
        lambda: kms.delete_alias(AliasName="alias/aws/sns"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        code, message = error_of(caught)
        assert code == "AccessDeniedException"
        assert "is not authorized to perform: kms:" in message
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_strict_mode_serves_kms_too(aws: Any, strict_server: Any) -> None:
    client = aws("kms", server=strict_server)
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=key_id, Plaintext=b"strict")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"strict"


def test_the_beat_tick_deletes_a_key_whose_window_ended(
    kms: Any, sandbox: SandboxInfo, celery_worker: Any, db_access: None
) -> None:
    from playground.sandboxes.models import Clock
    from tests.waiting import wait_until

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    # Move the clock without running due work here: only the worker's tick can delete the key.
    clock = Clock.objects.get(sandbox_id=sandbox.id)
    clock.advance(7 * 86400 + 60)

    def gone() -> bool:
        return not kms.list_keys()["Keys"]

    wait_until(gone, timeout=60)
