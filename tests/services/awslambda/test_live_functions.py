"""Functions through boto3: create from a zip or from S3, state Pending -> Active on the clock,
get, list, update code and configuration, delete, and AWS's error for each bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.awslambda.conftest import ROLE, zipped

CODE = zipped({"lambda_function.py": "def handler(event, context):\n    return 'v1'\n"})


def test_function_is_pending_then_active_on_the_clock(
    lam: Any, paused: None, advance: Callable[[float], None], sandbox: SandboxInfo
) -> None:
    created = lam.create_function(
        FunctionName="pend", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": CODE}, Environment={"Variables": {"A": "1"}}, Tags={"team": "x"},
    )  # fmt: skip
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:pend"
    assert created["Timeout"] == 3
    assert created["MemorySize"] == 128
    assert created["CodeSize"] == len(CODE)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="pend")
    assert error_of(caught) == (
        "ResourceConflictException", 409,
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    )  # fmt: skip
    advance(1)
    got = lam.get_function(FunctionName="pend")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["Environment"] == {"Variables": {"A": "1"}}
    assert got["Tags"] == {"team": "x"}
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["pend"]
    assert json.loads(lam.invoke(FunctionName="pend")["Payload"].read()) == "v1"


def test_update_code_and_configuration(lam: Any, make_function: Callable[..., str],
                                       advance: Callable[[float], None]) -> None:  # fmt: skip
    name = make_function("def handler(e, c):\n    return 'v1'\n")
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "v1"
    updated = lam.update_function_code(
        FunctionName=name, ZipFile=zipped({"lambda_function.py": "def handler(e, c):\n    return 'v2'\n"})
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName=name, Timeout=10)
    code, status, message = error_of(caught)
    assert (code, status) == ("ResourceConflictException", 409)
    assert message.startswith("The operation cannot be performed at this time. An update is in progress for resource")
    advance(1)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "v2"
    config = lam.update_function_configuration(FunctionName=name, Timeout=10, MemorySize=256, Description="d")
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (10, 256, "d")
    advance(1)
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName=name)
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)
    assert error_of(caught)[2].startswith("Function not found: arn:aws:lambda:us-east-1:")


def test_code_from_s3(lam: Any, aws: Callable[..., Any], paused: None) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="code-bucket")
    s3.put_object(Bucket="code-bucket", Key="fn.zip", Body=CODE)
    created = lam.create_function(
        FunctionName="from-s3", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"S3Bucket": "code-bucket", "S3Key": "fn.zip"},
    )  # fmt: skip
    assert created["CodeSize"] == len(CODE)
    with pytest.raises(ClientError) as caught:
        lam.create_function(
            FunctionName="from-s3-missing", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
            Code={"S3Bucket": "code-bucket", "S3Key": "nope.zip"},
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValueException", 400,
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
    )  # fmt: skip


BAD = [
    ({"Runtime": "python2.7"}, "InvalidParameterValueException",
     "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. "
     "We recommend you use a supported runtime while creating or updating functions."),
    ({"Timeout": 901}, "InvalidParameterValueException",
     "'Timeout' value failed to satisfy constraint: Member must have value less than or equal to 900"),
    ({"MemorySize": 10241}, "InvalidParameterValueException",
     "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240"),
    ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException",
     "Could not unzip uploaded file. Please check your file, then try to upload again."),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException",
     "Lambda was unable to configure your environment variables because the environment variables you have "
     "provided contains reserved keys that are currently not supported for modification. Reserved keys used in "
     "this request: AWS_REGION"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "code", "message"), BAD)
def test_bad_input_gets_aws_error(lam: Any, change: dict[str, Any], code: str, message: str) -> None:
    params = {"FunctionName": "bad", "Runtime": "python3.12", "Role": ROLE, "Handler": "lambda_function.handler",
              "Code": {"ZipFile": CODE}, **change}  # fmt: skip
    with pytest.raises(ClientError) as caught:
        lam.create_function(**params)
    assert error_of(caught) == (code, 400, message)
    assert lam.list_functions()["Functions"] == []


def test_model_constraints_and_conflicts(lam: Any, paused: None) -> None:
    with pytest.raises(ClientError) as caught:
        lam.create_function(FunctionName="r", Runtime="python3.12", Role="not-a-role", Handler="h.h",
                            Code={"ZipFile": CODE})  # fmt: skip
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern" in message
    lam.create_function(FunctionName="dup", Runtime="python3.12", Role=ROLE, Handler="h.h", Code={"ZipFile": CODE})
    with pytest.raises(ClientError) as caught:
        lam.create_function(FunctionName="dup", Runtime="python3.12", Role=ROLE, Handler="h.h", Code={"ZipFile": CODE})
    assert error_of(caught) == ("ResourceConflictException", 409, "Function already exist: dup")


def test_cli_create_invoke_and_error(aws_cli: Callable[..., Any], tmp_path: Any, sandbox: SandboxInfo) -> None:
    (tmp_path / "fn.zip").write_bytes(
        zipped({"app.py": "def go(event, context):\n    return {'sum': event['a'] + event['b']}\n"})
    )
    created = aws_cli("lambda", "create-function", "--function-name", "cli-fn", "--runtime", "python3.12",
                      "--role", ROLE, "--handler", "app.go", "--zip-file", "fileb://fn.zip", cwd=tmp_path)  # fmt: skip
    assert json.loads(created.stdout)["State"] == "Pending"
    aws_cli("lambda", "wait", "function-active-v2", "--function-name", "cli-fn")
    aws_cli("lambda", "invoke", "--function-name", "cli-fn",
            "--payload", '{"a": 2, "b": 3}', "out.json", cwd=tmp_path)  # fmt: skip
    assert json.loads((tmp_path / "out.json").read_text()) == {"sum": 5}
    missing = aws_cli("lambda", "get-function", "--function-name", "nope", check=False)
    assert missing.returncode == 255
    assert "(ResourceNotFoundException) when calling the GetFunction operation" in missing.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:" in missing.stderr
