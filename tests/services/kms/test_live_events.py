"""KMS live events on the sandbox WebSocket: key state changes as resource events, every
cryptographic call as a flow from the caller to the key, nothing for a refused call."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


def kms_event(event_type: str, /, **match: Any) -> Any:
    def predicate(event: dict[str, Any]) -> bool:
        return (
            event["type"] == event_type
            and event.get("service") == "kms"
            and all(event.get(name) == value for name, value in match.items())
        )

    return predicate


def test_key_life_and_crypto_calls_are_published(daphne: Server, make_sandbox: Any, aws: Any) -> None:
    mine: SandboxInfo = make_sandbox(username="kms-events")
    kms = aws("kms", info=mine)
    principal = f"arn:aws:iam::{mine.account_id}:user/kms-events"
    with open_socket(daphne, mine.id, login(daphne, "kms-events", "pw-kms-events")) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"

        key = kms.create_key(Description="watched")["KeyMetadata"]
        created = receive_until(socket, kms_event("resource.created", resource_type="key"), timeout=5)
        assert (created["arn"], created["name"]) == (key["Arn"], key["KeyId"])
        assert created["attributes"]["KeyState"] == "Enabled"

        kms.create_alias(AliasName="alias/watched", TargetKeyId=key["KeyId"])
        alias = receive_until(socket, kms_event("resource.created", resource_type="alias"), timeout=5)
        assert (alias["name"], alias["attributes"]["TargetKeyArn"]) == ("alias/watched", key["Arn"])

        blob = kms.encrypt(KeyId="alias/watched", Plaintext=b"12345", EncryptionContext={"k": "v"})["CiphertextBlob"]
        encrypted = receive_until(socket, kms_event("flow", kind="encrypt"), timeout=5)
        assert (encrypted["source"], encrypted["target"]) == (principal, key["Arn"])
        assert encrypted["detail"]["bytes"] == 5
        assert encrypted["detail"]["encryption_context_keys"] == ["k"]
        assert encrypted["detail"]["key_material_id"] == key["CurrentKeyMaterialId"]

        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
        decrypted = receive_until(socket, kms_event("flow", kind="decrypt"), timeout=5)
        assert decrypted["item_id"] == encrypted["item_id"]
        assert decrypted["target"] == key["Arn"]

        with pytest.raises(ClientError):
            kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "wrong"})
        refused = receive_until(
            socket, lambda e: e["type"] == "api.call" and e["operation"] == "Decrypt" and e["error_code"], timeout=5
        )
        assert refused["error_code"] == "InvalidCiphertextException"

        kms.disable_key(KeyId=key["KeyId"])
        changed = receive_until(socket, kms_event("resource.changed", resource_type="key"), timeout=5)
        assert changed["attributes"]["KeyState"] == "Disabled"

        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        pending = receive_until(socket, kms_event("resource.changed", resource_type="key"), timeout=5)
        assert pending["attributes"]["KeyState"] == "PendingDeletion"
        assert pending["attributes"]["DeletionDate"]

        # The refused decrypt above published no flow: the next flow is this one.
        signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        kms.sign(KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        flow = receive_until(socket, lambda e: e["type"] == "flow", timeout=5)
        assert (flow["kind"], flow["target"]) == ("sign", signing["Arn"])
