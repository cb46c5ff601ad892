"""The seed's KMS commands, verbatim, through the real `aws` executable against the live server:
once naming the key by its id, once by its alias. The lines that pipe through base64 run in bash
with the aws executable on PATH and the server in AWS_ENDPOINT_URL."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live

CREATE_KEY = 'aws kms create-key --description "LA KMS DEMO CMK"'
CREATE_ALIAS = 'aws kms create-alias --target-key-id XXX --alias-name "alias/lakmsdemo" --region us-east-1'
WRITE_SECRET = 'echo "this is a secret message" > topsecret.txt'
ENCRYPT = "aws kms encrypt --key-id KEYID --plaintext file://topsecret.txt --output text --query CiphertextBlob"
ENCRYPT_TO_FILE = (
    "aws kms encrypt --key-id KEYID --plaintext file://topsecret.txt --output text --query CiphertextBlob "
    "| base64 --decode > topsecret.encrypted"
)
DECRYPT = (
    "aws kms decrypt --ciphertext-blob fileb://topsecret.encrypted --output text --query Plaintext | base64 --decode"
)
DATA_KEY = "aws kms generate-data-key --key-id KEYID --key-spec AES_256 --region us-east-1"


def shell(line: str, *, server: Server, sandbox: SandboxInfo, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one command line in bash as a student would type it, the aws CLI pointed at the server."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd),
        "AWS_ACCESS_KEY_ID": sandbox.access_key_id,
        "AWS_SECRET_ACCESS_KEY": sandbox.secret_access_key,
        "AWS_DEFAULT_REGION": sandbox.region,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_CONFIG_FILE": str(cwd / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )
    assert result.returncode == 0, f"{line!r} failed: {result.stderr}"
    return result


@pytest.mark.parametrize("name_by", ["key id", "alias"])
def test_seed_commands_encrypt_and_decrypt_a_secret_file(
    daphne: Server, sandbox: SandboxInfo, tmp_path: Path, name_by: str
) -> None:
    def run(line: str) -> subprocess.CompletedProcess[str]:
        return shell(line, server=daphne, sandbox=sandbox, cwd=tmp_path)

    created = json.loads(run(CREATE_KEY).stdout)["KeyMetadata"]
    assert created["Description"] == "LA KMS DEMO CMK"
    key_id = created["KeyId"]
    run(CREATE_ALIAS.replace("XXX", key_id))
    key_ref = key_id if name_by == "key id" else "alias/lakmsdemo"

    run(WRITE_SECRET)
    printed = run(ENCRYPT.replace("KEYID", key_ref)).stdout.strip()
    assert b"this is a secret message" not in base64.b64decode(printed)

    run(ENCRYPT_TO_FILE.replace("KEYID", key_ref))
    assert (tmp_path / "topsecret.encrypted").stat().st_size > 24
    assert b"secret" not in (tmp_path / "topsecret.encrypted").read_bytes()

    assert run(DECRYPT).stdout == "this is a secret message\n"

    data_key = json.loads(run(DATA_KEY.replace("KEYID", key_ref)).stdout)
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    assert data_key["KeyId"] == created["Arn"]
    assert data_key["CiphertextBlob"]


def test_cli_through_the_fixture_with_the_endpoint_flag(aws_cli: Any, tmp_path: Path) -> None:
    created = json.loads(aws_cli("kms", "create-key", "--description", "LA KMS DEMO CMK").stdout)["KeyMetadata"]
    aws_cli("kms", "create-alias", "--target-key-id", created["KeyId"], "--alias-name", "alias/lakmsdemo",
            "--region", "us-east-1")  # fmt: skip
    (tmp_path / "topsecret.txt").write_text("this is a secret message\n")
    blob = aws_cli(
        "kms", "encrypt", "--key-id", "alias/lakmsdemo", "--plaintext", "file://topsecret.txt",
        "--output", "text", "--query", "CiphertextBlob", cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    (tmp_path / "topsecret.encrypted").write_bytes(base64.b64decode(blob))
    plaintext = aws_cli(
        "kms", "decrypt", "--ciphertext-blob", "fileb://topsecret.encrypted", "--output", "text",
        "--query", "Plaintext", cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    assert base64.b64decode(plaintext) == b"this is a secret message\n"
    failed = aws_cli("kms", "describe-key", "--key-id", "alias/missing", check=False)
    assert failed.returncode != 0
    assert "NotFoundException" in failed.stderr
