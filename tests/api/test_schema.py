"""The OpenAPI schema, its browsable docs, and a run through every operation it lists with inputs
made from the schema (valid, missing, mistyped, oversized, malformed): no answer is a 5xx.

This is the acceptance's schemathesis run done with our own small generator (schemathesis is not
a dependency yet); it reads the same schema a schemathesis run would.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, Classroom, User, unique
from tests.conftest import Server

pytestmark = pytest.mark.live

ODD_STRINGS = [
    "",
    "nul\x00byte",
    " ",
    "x" * 5000,
    "ünï©ødé ✓",
    "../../etc/passwd",
    "<script>",
    "null",
    "-1",
    "0x10",
    "1e400",
]
ODD_NUMBERS: list[Any] = [-1, 0, 2**63, -(2**63), 1e308, 0.5, "12", None, True]


def test_schema_is_openapi_3_with_every_endpoint(daphne: Server) -> None:
    schema = requests.get(f"{daphne.url}/api/schema/?format=json", timeout=30).json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in (
        "/api/sandboxes/",
        "/api/sandboxes/{sandbox_id}/credentials/{access_key_id}/rotate/",
        "/api/sandboxes/{sandbox_id}/clock/advance/",
        "/api/sandboxes/{sandbox_id}/graph/",
        "/api/sandboxes/{sandbox_id}/resources/",
        "/api/sandboxes/{sandbox_id}/events/",
        "/api/sandboxes/{sandbox_id}/calls/",
        "/api/sandboxes/{sandbox_id}/aws/{service}/{operation}/",
        "/api/lab-sessions/{session_id}/check/",
        "/api/classrooms/{classroom_id}/students/import/",
    ):
        assert path in paths, path
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    docs = requests.get(f"{daphne.url}/api/docs/", timeout=30)
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    browsable = requests.get(f"{daphne.url}/api/labs/", headers={"Accept": "text/html"}, timeout=30)
    assert browsable.status_code in (401, 403)  # the browsable API asks for a login like the JSON one


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _valid(schema: dict[str, Any], node: Any) -> Any:
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return {}
    if "enum" in node:
        return node["enum"][0]
    if "allOf" in node:
        return _valid(schema, node["allOf"][0])
    kind = node.get("type", "object")
    if kind == "object":
        properties = node.get("properties", {})
        return {name: _valid(schema, value) for name, value in properties.items() if not value.get("readOnly")}
    if kind == "array":
        return [_valid(schema, node.get("items", {}))]
    if kind == "integer":
        return max(int(node.get("minimum", 1)), 1)
    if kind == "number":
        return float(node.get("minimum", 1) or 1)
    if kind == "boolean":
        return True
    if node.get("format") == "uri":
        return "http://127.0.0.1:9/hook"
    return "sqs-decouple" if "lab" in str(node.get("description", "")) else "value"


def _bodies(schema: dict[str, Any], operation: dict[str, Any]) -> Iterator[Any]:
    content = operation.get("requestBody", {}).get("content", {})
    media: dict[str, Any] = next(iter(content.values()), {})
    node = _resolve(schema, media.get("schema", {}))
    valid = _valid(schema, node)
    yield valid
    yield {}
    yield [] if isinstance(valid, dict) else {}
    yield "a string"
    if isinstance(valid, dict):
        for name in valid:
            for odd in itertools.chain(ODD_STRINGS[:4], ODD_NUMBERS[:6], [[], {"$gt": 1}]):
                yield {**valid, name: odd}


def _query_variants(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        for odd in [*ODD_STRINGS[:6], "5", "-5", str(2**70)]:
            yield {parameter["name"]: odd}


def _path_values(kind: str, ids: dict[str, Any]) -> list[Any]:
    return {
        "sandbox_id": [ids["sandbox"], ids["other_sandbox"], 0, 2**40],
        "session_id": [ids["session"], 2**40],
        "classroom_id": [ids["classroom"], 2**40],
        "enrollment_id": [2**40],
        "access_key_id": [ids["key"], "AKIANOTAKEY", "%00", "x" * 300],
        "service": ["sqs", "kms", "sts", "sns", "nosuch", "%00"],
        "operation": ["ListQueues", "CreateQueue", "Encrypt", "Nope", "x" * 300],
        "lab_id": ["sqs-decouple", "no-such-lab", "Bad_Id", "nul%00"],
    }[kind]


@pytest.fixture
def ids(daphne: Server, as_user: Callable[..., Api], make_user: Callable[..., User], make_classroom: Any) -> Any:
    room: Classroom = make_classroom(daphne)
    owner = room.api  # a staff user: classroom endpoints answer them, and their own sandbox the rest
    box = owner.ok("POST", "/sandboxes/", {"name": unique("fuzz")}, status=201)
    other = as_user(make_user("other")).ok("POST", "/sandboxes/", {"name": "other"}, status=201)
    session = owner.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": "kms-envelope"}, status=201)
    return owner, {
        "sandbox": box["id"],
        "other_sandbox": other["id"],
        "session": session["id"],
        "classroom": room.id,
        "key": box["credentials"]["access_key_id"],
    }


def test_no_input_makes_a_server_error(daphne: Server, ids: Any) -> None:
    api, known = ids
    schema = requests.get(f"{daphne.url}/api/schema/?format=json", timeout=30).json()
    failures: list[str] = []
    sent = 0
    deletes = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method.upper() == "DELETE":
                deletes.append((path, operation))
                continue
            sent += _exercise(api, schema, path, method, operation, known, failures)
    for path, operation in deletes:  # last: they remove what the others use
        sent += _exercise(api, schema, path, "delete", operation, known, failures)
    anonymous = requests.Session()
    for path in schema["paths"]:
        response = anonymous.post(f"{daphne.url}{path.replace('{', '').replace('}', '')}", timeout=30)
        if response.status_code >= 500:
            failures.append(f"anonymous POST {path}: {response.status_code}")
    assert sent > 400
    assert failures == [], "\n".join(failures[:30])


def _exercise(
    api: Api,
    schema: dict[str, Any],
    path: str,
    method: str,
    operation: dict[str, Any],
    known: dict[str, Any],
    failures: list[str],
) -> int:
    names = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
    combos = itertools.product(*(_path_values(name, known) for name in names))
    sent = 0
    for number, values in enumerate(itertools.islice(combos, 10)):
        url = path
        for name, value in zip(names, values, strict=True):
            url = url.replace("{" + name + "}", str(value))
        url = url.removeprefix("/api")
        if method.upper() in ("GET", "DELETE"):
            variants = [(query, None) for query in _query_variants(operation)]
        else:
            variants = [({}, body) for body in _bodies(schema, operation)]
        # Every variant against the ids that exist; the first two against ids that do not.
        for query, body in variants[:40] if number == 0 else variants[:2]:
            response = api.session.request(method.upper(), api.url(url), params=query, json=body, timeout=60)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} {query} {str(body)[:120]}: {response.status_code}")
    raw = api.session.request(
        method.upper(),
        api.url(path.replace("{", "").replace("}", "").removeprefix("/api")),
        data=b"{not json",
        timeout=30,
    )
    if raw.status_code >= 500:
        failures.append(f"{method.upper()} {path} malformed JSON: {raw.status_code}")
    return sent + 1
