"""Versions and aliases through boto3: PublishVersion freezes the code, an alias names a version,
Invoke runs what the qualifier names and says which version ran; unknown versions and aliases get
AWS's errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.awslambda.conftest import zipped


def test_versions_and_aliases_pick_the_code_that_runs(
    lam: Any, make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    name = make_function("def handler(e, c):\n    return 'one'\n")
    first = lam.publish_version(FunctionName=name, Description="first")
    assert first["Version"] == "1"
    assert first["FunctionArn"].endswith(f":{name}:1")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed since
    lam.update_function_code(
        FunctionName=name, ZipFile=zipped({"lambda_function.py": "def handler(e, c):\n    return 'two'\n"})
    )
    advance(1)
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f":{name}:live")

    def run(**where: str) -> tuple[str, str]:
        answer = lam.invoke(**{"FunctionName": name, **where})
        return json.loads(answer["Payload"].read()), answer["ExecutedVersion"]

    assert run() == ("two", "$LATEST")
    assert run(Qualifier="1") == ("one", "1")
    assert run(Qualifier="live") == ("one", "1")
    assert run(FunctionName=f"{name}:2") == ("two", "2")  # a qualified name
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert run(Qualifier="live") == ("two", "2")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1", "2"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["Version"] == "1"

    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Qualifier="7")
    code, status, message = error_of(caught)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.endswith(f":function:{name}:7")
    with pytest.raises(ClientError) as caught:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert error_of(caught)[:2] == ("ResourceConflictException", 409)
    assert error_of(caught)[2].startswith("Alias already exists: arn:aws:lambda:")
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError) as caught:
        lam.get_alias(FunctionName=name, Name="live")
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)
    assert error_of(caught)[2].startswith("Alias not found: arn:aws:lambda:")
