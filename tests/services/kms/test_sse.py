"""The domain functions SQS and SNS call to encrypt at rest (services/kms/sse.py), called directly
as those services will, and the diagram's nodes and edges."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import SandboxInfo


@pytest.fixture
def box(sandbox: SandboxInfo, db_access: None) -> Any:
    from playground.sandboxes.models import Sandbox

    return Sandbox.objects.select_related("clock").get(pk=sandbox.id)


QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders"


def context_for(box: Any) -> dict[str, str]:
    return {"aws:sqs:arn": QUEUE.replace("000000000000", box.account_id)}


def test_a_queue_encrypts_a_body_with_the_aws_managed_key(box: Any) -> None:
    from services.kms import sse
    from services.kms.models import Alias

    now = box.clock.now()
    context = context_for(box)
    data_key = sse.new_data_key(
        sandbox=box, region="us-east-1", key_id="alias/aws/sqs", context=context, source_arn=QUEUE, now=now
    )
    managed = Alias.objects.get(sandbox=box, region="us-east-1", name="alias/aws/sqs").key
    assert managed.key_manager == "AWS"
    assert data_key.key_arn == f"arn:aws:kms:us-east-1:{box.account_id}:key/{managed.key_id}"
    assert data_key.plaintext is not None
    assert len(data_key.plaintext) == 32

    stored = sse.seal(data_key.plaintext, b'{"order": 42}', aad=b"message-1")
    assert b"order" not in stored

    # Later (another request): only the ciphertext of the data key was kept.
    again = sse.reuse_data_key(
        sandbox=box, region="us-east-1", ciphertext=data_key.ciphertext, context=context, now=now
    )
    assert again.plaintext == data_key.plaintext
    assert sse.open_sealed(again.plaintext, stored, aad=b"message-1") == b'{"order": 42}'
    assert sse.aws_managed_key(sandbox=box, region="us-east-1", service="sqs", now=now).pk == managed.pk


def test_a_tampered_body_or_another_message_id_does_not_open(box: Any) -> None:
    from services.kms import sse
    from services.kms.exceptions import InvalidCiphertextException

    data_key = sse.new_data_key(
        sandbox=box, region="us-east-1", key_id="alias/aws/sqs", context=context_for(box), source_arn=QUEUE,
        now=box.clock.now(),
    )  # fmt: skip
    stored = sse.seal(data_key.plaintext, b"body", aad=b"m1")
    with pytest.raises(InvalidCiphertextException):
        sse.open_sealed(data_key.plaintext, stored, aad=b"m2")
    with pytest.raises(InvalidCiphertextException):
        sse.open_sealed(data_key.plaintext, stored[:-1] + bytes([stored[-1] ^ 1]), aad=b"m1")


def test_disabled_pending_and_deleted_keys_fail_as_kms_errors(box: Any) -> None:
    from services.kms import keys, management, sse
    from services.kms.exceptions import (
        DisabledException,
        InvalidCiphertextException,
        KmsError,
        KMSInvalidStateException,
        NotFoundException,
    )

    now = box.clock.now()
    caller = f"arn:aws:iam::{box.account_id}:root"
    key = keys.create_key(sandbox=box, region="us-east-1", now=now, caller=caller, description="queue key")
    context = context_for(box)
    data_key = sse.new_data_key(
        sandbox=box, region="us-east-1", key_id=key.key_id, context=context, source_arn=QUEUE, now=now
    )

    def both() -> list[Any]:
        """The errors of a new data key and of reusing the old one, in that order."""
        failures = []
        with pytest.raises(KmsError) as caught:
            sse.new_data_key(
                sandbox=box, region="us-east-1", key_id=key.key_id, context=context, source_arn=QUEUE, now=now
            )
        failures.append(caught.value)
        with pytest.raises(KmsError) as caught:
            sse.reuse_data_key(
                sandbox=box, region="us-east-1", ciphertext=data_key.ciphertext, context=context, now=now
            )
        failures.append(caught.value)
        return failures

    management.disable_key(sandbox=box, region="us-east-1", key_id=key.key_id, caller=caller, now=now)
    disabled = both()
    assert [type(error) for error in disabled] == [DisabledException, DisabledException]
    assert [sse.SQS_ERRORS[error.code] for error in disabled] == ["KmsDisabled", "KmsDisabled"]
    assert sse.SNS_ERRORS[disabled[0].code] == "KMSDisabledException"

    management.schedule_key_deletion(
        sandbox=box, region="us-east-1", key_id=key.key_id, pending_window_in_days=7, caller=caller, now=now
    )
    assert [type(error) for error in both()] == [KMSInvalidStateException, KMSInvalidStateException]

    assert management.delete_due_keys(sandbox=box, now=now + dt.timedelta(days=7, seconds=1)) == 1
    assert [type(error) for error in both()] == [NotFoundException, InvalidCiphertextException]


def test_a_signing_key_cannot_protect_a_queue(box: Any) -> None:
    from services.kms import keys, sse
    from services.kms.exceptions import InvalidKeyUsageException

    now = box.clock.now()
    key = keys.create_key(
        sandbox=box, region="us-east-1", now=now, caller="", key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY"
    )
    with pytest.raises(InvalidKeyUsageException) as caught:
        sse.new_data_key(sandbox=box, region="us-east-1", key_id=key.arn, context={}, source_arn=QUEUE, now=now)
    assert sse.SQS_ERRORS[caught.value.code] == "KmsInvalidKeyUsage"


def test_graph_nodes_and_alias_edges(box: Any) -> None:
    from services.kms import aliases, graph, keys

    now = box.clock.now()
    key = keys.create_key(sandbox=box, region="us-east-1", now=now, caller="")
    alias = aliases.create_alias(
        sandbox=box, region="us-east-1", alias_name="alias/drawn", target_key_id=key.key_id, caller="", now=now
    )
    drawn = graph.graph(sandbox=box, now=now, region=None)
    nodes = drawn["nodes"]
    assert [(node["type"], node["label"]) for node in nodes] == [("key", "alias/drawn"), ("alias", "alias/drawn")]
    assert nodes[0]["id"] == key.arn
    assert nodes[0]["state"] == "Enabled"
    assert drawn["edges"] == [{"source": alias.arn, "target": key.arn, "type": "alias"}]
    described = graph.describe(sandbox=box, arn=key.arn, now=now)
    assert described is not None
    assert described["aliases"] == ["alias/drawn"]


def test_sandbox_reset_removes_every_kms_row(box: Any) -> None:
    from playground.sandboxes.services import sandbox_reset
    from services.kms import aliases, grants, keys
    from services.kms.models import Alias, Grant, Key, KeyMaterial

    now = box.clock.now()
    key = keys.create_key(sandbox=box, region="us-east-1", now=now, caller="")
    aliases.create_alias(sandbox=box, region="us-east-1", alias_name="alias/r", target_key_id=key.key_id, caller="",
                         now=now)  # fmt: skip
    grants.create_grant(sandbox=box, region="us-east-1", key_id=key.key_id, operations=["Encrypt"],
                        grantee_principal="arn:aws:iam::111122223333:root", now=now)  # fmt: skip
    sandbox_reset(sandbox=box)
    for model in (Key, KeyMaterial, Alias, Grant):
        assert not model.objects.filter(sandbox=box).exists(), model
