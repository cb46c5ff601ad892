"""Student code is untrusted: a handler cannot read the server's files, reach Redis or the server
other than through its endpoint, fork without bound, or take memory without bound; each attempt
fails inside the function, and the server keeps serving. A setting stops code from running."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ROOT, SandboxInfo, Server, _server_env, _start_server, _stop, error_of
from tests.services.awslambda.conftest import ROLE, zipped

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("bwrap"), reason="bubblewrap is not installed (make setup-dev installs it)"
)

PROBE = """
import os, socket
def handler(event, context):
    found = {"uid": os.getuid()}
    for path in event["paths"]:
        try:
            with open(path, "rb") as handle:
                handle.read(16)
            found[path] = "read"
        except OSError as problem:
            found[path] = type(problem).__name__
    for port in event["ports"]:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            found[str(port)] = "connected"
        except OSError as problem:
            found[str(port)] = type(problem).__name__
    return found
"""


def _database_files(db_access: None) -> list[str]:
    from django.conf import settings
    from django.db import connection

    paths = [str(settings.VAR_DIR / "master.key"), str(settings.VAR_DIR / "secret_key"), str(ROOT / "pyproject.toml")]
    if connection.vendor == "sqlite":
        paths.append(str(connection.settings_dict["NAME"]))
    return paths


def test_handler_cannot_read_server_files_or_reach_redis(
    lam: Any, make_function: Callable[..., str], db_access: None, daphne: Server
) -> None:
    name = make_function(PROBE)
    server_port = int(daphne.url.rsplit(":", 1)[1])
    paths = _database_files(db_access)
    result = lam.invoke(FunctionName=name, Payload=json.dumps({"paths": paths, "ports": [6379, server_port]}))
    found = json.loads(result["Payload"].read())
    assert found["uid"] != 0
    for path in paths:
        assert Path(path).exists()
        assert found[path] in ("FileNotFoundError", "PermissionError"), path
    assert found["6379"] == "ConnectionRefusedError"  # no Redis in the function's network
    assert found[str(server_port)] == "ConnectionRefusedError"  # only AWS_ENDPOINT_URL leads out
    assert lam.list_functions()["Functions"]


def test_fork_bomb_and_two_gigabytes_fail_and_the_server_keeps_serving(
    lam: Any, make_function: Callable[..., str]
) -> None:
    # Each child waits on a pipe the handler holds open, and exits once the handler closes it: the
    # children live exactly as long as the bomb needs them, with no sleep.
    bomb = make_function("""
import os
def handler(event, context):
    children = 0
    held, hold = os.pipe()
    try:
        while children < 10000:
            if os.fork() == 0:
                os.close(hold)
                os.read(held, 1)
                os._exit(0)
            children += 1
    except OSError as problem:
        return {"children": children, "error": type(problem).__name__}
    finally:
        os.close(hold)
        os.close(held)
    return {"children": children}
""")
    forked = json.loads(lam.invoke(FunctionName=bomb)["Payload"].read())
    assert forked["error"] == "BlockingIOError"
    assert forked["children"] < 64
    hog = make_function("def handler(event, context):\n    return len(bytearray(2 * 1024 ** 3))\n")
    result = lam.invoke(FunctionName=hog)
    assert result["FunctionError"] == "Unhandled"
    payload = json.loads(result["Payload"].read())
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    big_file = make_function(
        "def handler(event, context):\n"
        "    try:\n        open('/tmp/big', 'wb').write(b'x' * (600 * 1024 * 1024))\n"
        "    except OSError as problem:\n        return str(problem)\n",
        MemorySize=1024,
    )
    assert "File too large" in json.loads(lam.invoke(FunctionName=big_file)["Payload"].read())
    assert {f["FunctionName"] for f in lam.list_functions()["Functions"]} >= {bomb, hog, big_file}


@pytest.fixture
def no_code_server(django_db_setup: Any, django_db_blocker: Any, channel_prefix: str) -> Iterator[Server]:
    """A server whose settings say function code never runs (PLAYGROUND_LAMBDA_EXECUTION=off) and
    a sandbox keeps at most 1 MB of deployment packages."""
    with django_db_blocker.unblock():
        env = _server_env(
            PLAYGROUND_AUTH_MODE="open",
            PLAYGROUND_CHANNEL_PREFIX=channel_prefix,
            PLAYGROUND_LAMBDA_EXECUTION="off",
            PLAYGROUND_LAMBDA_CODE_STORAGE_MB="1",
        )
    server = _start_server("daphne-lambda-off", env)
    yield server
    _stop(server.process)


def test_the_setting_can_stop_code_from_running(
    aws: Callable[..., Any], no_code_server: Server, sandbox: SandboxInfo, paused: None,
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    lam = aws("lambda", server=no_code_server)
    code = zipped({"lambda_function.py": "def handler(e, c):\n    return 1\n"})
    lam.create_function(
        FunctionName="never", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler", Code={"ZipFile": code}
    )
    advance(1)
    result = lam.invoke(FunctionName="never")
    assert result["FunctionError"] == "Unhandled"
    payload = json.loads(result["Payload"].read())
    assert payload["errorType"] == "Runtime.Unavailable"
    assert "PLAYGROUND_LAMBDA_EXECUTION=off" in payload["errorMessage"]

    # The code storage cap (PLAYGROUND_LAMBDA_CODE_STORAGE_MB): the second 600 KB package passes it.
    noise = os.urandom(300_000).hex()
    bulky = zipped({"lambda_function.py": "def handler(e, c):\n    return 1\n", "data.txt": noise})
    for name in ("bulky-1", "bulky-2"):
        params = {"FunctionName": name, "Runtime": "python3.12", "Role": ROLE, "Handler": "lambda_function.handler"}
        if name == "bulky-1":
            lam.create_function(**params, Code={"ZipFile": bulky})
            continue
        with pytest.raises(ClientError) as caught:
            lam.create_function(**params, Code={"ZipFile": bulky})
        assert error_of(caught) == ("CodeStorageExceededException", 400, "Code storage limit exceeded.")
