"""KMS aliases and grants through boto3 against the live server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo
from tests.services.kms.conftest import error_of

pytestmark = pytest.mark.live


# --- aliases -------------------------------------------------------------------------------------


def test_create_list_update_delete_alias(kms: Any, sandbox: SandboxInfo) -> None:
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app/key-1", TargetKeyId=first)
    listed = kms.list_aliases()["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in listed] == [("alias/app/key-1", first)]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:{sandbox.region}:{sandbox.account_id}:alias/app/key-1"
    assert kms.describe_key(KeyId="alias/app/key-1")["KeyMetadata"]["KeyId"] == first

    kms.update_alias(AliasName="alias/app/key-1", TargetKeyId=second)
    assert kms.describe_key(KeyId="alias/app/key-1")["KeyMetadata"]["KeyId"] == second
    assert kms.list_aliases(KeyId=first)["Aliases"] == []
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=second)["Aliases"]] == ["alias/app/key-1"]

    kms.delete_alias(AliasName="alias/app/key-1")
    assert kms.list_aliases()["Aliases"] == []
    with pytest.raises(ClientError) as caught:
        kms.delete_alias(AliasName="alias/app/key-1")
    assert error_of(caught) == (
        "NotFoundException",
        f"Alias arn:aws:kms:{sandbox.region}:{sandbox.account_id}:alias/app/key-1 is not found.",
    )


def test_alias_names_must_be_unique(kms: Any, sandbox: SandboxInfo) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/taken", TargetKeyId=key_id)
    with pytest.raises(ClientError) as caught:
        kms.create_alias(AliasName="alias/taken", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    assert error_of(caught) == (
        "AlreadyExistsException",
        f"An alias with the name arn:aws:kms:{sandbox.region}:{sandbox.account_id}:alias/taken already exists",
    )


@pytest.mark.parametrize(("name", "code"), [
    ("taken", "ValidationException"),
    ("alias/has:colon", "ValidationException"),
    ("alias/aws/mine", "InvalidAliasNameException"),
])  # fmt: skip
def test_alias_name_rules(kms: Any, name: str, code: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    assert error_of(caught)[0] == code
    assert kms.list_aliases()["Aliases"] == []


def test_alias_prefix_message(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.create_alias(AliasName="no-prefix", TargetKeyId=key_id)
    assert error_of(caught)[1].startswith('Alias must start with the prefix "alias/".')


def test_alias_cannot_target_an_alias_or_a_key_pending_deletion(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/one", TargetKeyId=key_id)
    with pytest.raises(ClientError) as caught:
        kms.create_alias(AliasName="alias/two", TargetKeyId="alias/one")
    assert error_of(caught)[0] == "NotFoundException"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as caught:
        kms.create_alias(AliasName="alias/three", TargetKeyId=key_id)
    assert error_of(caught)[0] == "KMSInvalidStateException"


def test_alias_moves_only_to_a_key_of_the_same_kind(kms: Any) -> None:
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/kind", TargetKeyId=symmetric)
    with pytest.raises(ClientError) as caught:
        kms.update_alias(AliasName="alias/kind", TargetKeyId=signing)
    assert error_of(caught)[0] == "ValidationException"
    assert kms.list_aliases()["Aliases"][0]["TargetKeyId"] == symmetric


# --- grants --------------------------------------------------------------------------------------


def test_create_list_retire_revoke_grants(kms: Any, sandbox: SandboxInfo) -> None:
    key = kms.create_key()["KeyMetadata"]
    grantee = f"arn:aws:iam::{sandbox.account_id}:role/app"
    retirer = f"arn:aws:iam::{sandbox.account_id}:role/ops"
    made = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=retirer,
        Operations=["Encrypt", "Decrypt"], Constraints={"EncryptionContextSubset": {"app": "x"}}, Name="app-grant",
    )  # fmt: skip
    assert len(made["GrantId"]) == 64
    assert made["GrantToken"]
    again = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=retirer,
        Operations=["Encrypt", "Decrypt"], Constraints={"EncryptionContextSubset": {"app": "x"}}, Name="app-grant",
    )  # fmt: skip
    assert again["GrantId"] == made["GrantId"]

    listed = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["GrantId"] == made["GrantId"]
    assert entry["KeyId"] == key["Arn"]
    assert entry["Operations"] == ["Encrypt", "Decrypt"]
    assert entry["GranteePrincipal"] == grantee
    assert entry["Constraints"] == {"EncryptionContextSubset": {"app": "x"}}
    assert entry["IssuingAccount"] == f"arn:aws:iam::{sandbox.account_id}:root"
    assert [g["GrantId"] for g in kms.list_retirable_grants(RetiringPrincipal=retirer)["Grants"]] == [made["GrantId"]]

    kms.retire_grant(GrantToken=made["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as caught:
        kms.retire_grant(GrantToken=made["GrantToken"])
    assert error_of(caught)[0] == "InvalidGrantTokenException"

    other = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["GenerateDataKey"])
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=other["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as caught:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=other["GrantId"])
    assert error_of(caught)[0] == "NotFoundException"
    with pytest.raises(ClientError) as caught:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId="not-a-grant-id")
    assert error_of(caught)[0] == "InvalidGrantIdException"


def test_grant_operations_must_fit_the_key(kms: Any, sandbox: SandboxInfo) -> None:
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    grantee = f"arn:aws:iam::{sandbox.account_id}:role/app"
    with pytest.raises(ClientError) as caught:
        kms.create_grant(KeyId=signing, GranteePrincipal=grantee, Operations=["Encrypt"])
    assert error_of(caught)[0] == "ValidationException"
    assert kms.list_grants(KeyId=signing)["Grants"] == []
    kms.create_grant(KeyId=signing, GranteePrincipal=grantee, Operations=["Sign", "Verify"])


def test_grants_on_a_disabled_key_are_refused(kms: Any, sandbox: SandboxInfo) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as caught:
        kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{sandbox.account_id}:root",
                         Operations=["Decrypt"])  # fmt: skip
    assert error_of(caught)[0] == "DisabledException"
