"""Fixtures for the client-generation tests: the aws CLI and boto3 of each generation the project
pins (requirements/aws-cli-*.txt, installed by `make setup-dev` into .venv/clients/<name>, each in
its own virtual environment) and today's (.venv/bin), run against the live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLIENTS_DIR = ROOT / ".venv" / "clients"
# The older generations are the lock files of old clients; "current" is the project's own.
OLD_GENERATIONS = tuple(sorted(path.stem for path in (ROOT / "requirements").glob("aws-cli-*.txt")))
GENERATIONS = (*OLD_GENERATIONS, "current")


@dataclass(frozen=True)
class Generation:
    name: str
    aws: Path
    python: Path


def generation(name: str) -> Generation:
    if name == "current":
        return Generation(name, VENV_BIN / "aws", Path(sys.executable))
    bin_dir = CLIENTS_DIR / name / "bin"
    if not (bin_dir / "aws").exists():
        pytest.fail(f"the {name} client is not installed in {bin_dir.parent}: run `make setup-dev`")
    return Generation(name, bin_dir / "aws", bin_dir / "python")


@pytest.fixture(params=GENERATIONS)
def client(request: pytest.FixtureRequest) -> Generation:
    """Each client generation in turn: the pinned old ones, then today's."""
    return generation(str(request.param))


def _environment(info: SandboxInfo, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": info.access_key_id,
        "AWS_SECRET_ACCESS_KEY": info.secret_access_key,
        "AWS_DEFAULT_REGION": info.region,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }


@pytest.fixture
def cli(
    daphne: Server, sandbox: SandboxInfo, tmp_path: Path, client: Generation
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """cli("sqs", "create-queue", ...) with this generation's aws executable, JSON output."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(client.aws), "--endpoint-url", daphne.url, "--output", "json", *args],
            capture_output=True,
            text=True,
            env=_environment(sandbox, tmp_path),
            cwd=tmp_path,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"[{client.name}] aws {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run


def output(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def boto3_script(daphne: Server, sandbox: SandboxInfo, tmp_path: Path, client: Generation) -> Callable[[str], Any]:
    """boto3_script(source) runs `source` with this generation's Python (and so its boto3), with
    `client(service)` defined for the test's sandbox; it prints one JSON document, returned."""
    prelude = (
        "import json, os, boto3, botocore\n"
        "from botocore.config import Config\n"
        "from botocore.exceptions import ClientError\n"
        "def client(service):\n"
        "    return boto3.client(service, endpoint_url=os.environ['PLAYGROUND_URL'],\n"
        "                        config=Config(retries={'total_max_attempts': 1}))\n"
    )

    def run(source: str) -> Any:
        script = tmp_path / "script.py"
        script.write_text(prelude + source)
        env = {**_environment(sandbox, tmp_path), "PLAYGROUND_URL": daphne.url}
        result = subprocess.run(
            [str(client.python), str(script)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert result.returncode == 0, f"[{client.name}] {result.stderr}"
        return json.loads(result.stdout)

    return run
