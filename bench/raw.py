"""Measuring a server rather than boto3: capture the HTTP request botocore builds and signs for a
call once, then replay those bytes back to back over one keep-alive connection.

A boto3 client spends real time on every call of its own (building and serializing the request,
signing it, parsing the answer): for Kinesis PutRecords of 500 x 1 KiB records about 120 ms, four
times what either server spends. Calls/s through boto3 then measure boto3. Here botocore's work is
done once per distinct request, at capture time; the measured loop only writes the bytes and
reads the answer, so calls/s and server CPU per call are the server's.

    requests = capture(client, "put_records", [{"StreamName": name, "Records": records}, ...])
    call = Replayer(server, client, requests, check=put_records_ok)
    # `call` is an ordinary bench Call: warm_up(call), compare({...: call}), measure_operations(...)

`capture` makes each call once through the client (so the server has seen it and answered 200),
recording method, URL, headers and body from botocore's `before-send` event. `Replayer` sends
the captured requests in turn (one after the other, round and round) over one
http.client.HTTPConnection (reopened by http.client when a server closes it), and for every
answer checks the status is 200, that botocore's parser for the operation reads it (the same
parser boto3 would use) and that the members the model says every answer has are there, so a
malformed answer fails the measurement; `check(parsed)` adds the operation's own test
(PutRecords: FailedRecordCount is 0), raising to fail the call. Reading the answer with botocore
is client work inside the measured loop (a few ms for a 500-entry answer): kept, because an
answer nobody reads proves nothing.

Signatures: our server in `--auth open` and moto read the signature's scope without verifying
it, so the captured bytes are sent as they are. With `resign=True` (the bench passes it for
`--auth strict`) each request is signed afresh with botocore's SigV4Auth before it is sent (a new
X-Amz-Date, the body's hash): strict mode verifies every signature and refuses stale ones, so a
replay of old bytes is refused there on purpose. Signing costs the client well under a millisecond
for a small body, a few for a 500-record one; it is counted in the client CPU, not the server's.
"""

from __future__ import annotations

import http.client
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser

# Headers botocore's signer sets; dropped before a request is signed again.
_SIGNING_HEADERS = frozenset({"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"})


class RawCallError(RuntimeError):
    """A replayed call's answer was not a success (status, parse or the operation's own check)."""


@dataclass(frozen=True)
class Captured:
    """One request as botocore sent it."""

    operation: str  # the API name, PutRecords
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def target(self) -> str:
        """The path and query, what http.client's request line wants."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def capture(client: Any, method: str, params: Iterable[dict[str, Any]]) -> list[Captured]:
    """Call `client.<method>(**p)` for each `p` in `params`, recording the request botocore sends."""
    operation = client.meta.method_to_api_mapping[method]
    service = client.meta.service_model.service_id.hyphenize()
    seen: list[Captured] = []

    def record(request: Any, **_: Any) -> None:
        body = request.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = body.read()  # a file-like body: keep its bytes
        headers = tuple((str(name), value.decode() if isinstance(value, bytes) else str(value))
                        for name, value in request.headers.items())  # fmt: skip
        seen.append(Captured(operation, request.method, request.url, headers, body))

    event = f"before-send.{service}.{operation}"
    client.meta.events.register(event, record)
    try:
        for call_params in params:
            getattr(client, method)(**call_params)
    finally:
        client.meta.events.unregister(event, record)
    return seen


class Replayer:
    """A bench Call sending captured requests in turn to `url` over one keep-alive connection."""

    def __init__(
        self,
        url: str,
        client: Any,
        requests: list[Captured],
        *,
        check: Callable[[dict[str, Any]], None] | None = None,
        resign: bool = False,
        timeout: float = 60.0,
    ) -> None:
        if not requests:
            raise ValueError("nothing to replay")
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
        self.captured = list(requests)
        self.requests: Iterator[Captured] = itertools.cycle(requests)
        self.check = check
        model = client.meta.service_model
        self.protocol = model.protocol
        self.parser = create_parser(self.protocol)
        self.output_shapes = {
            operation: model.operation_model(operation).output_shape for operation in {r.operation for r in requests}
        }
        self.signer: SigV4Auth | None = None
        if resign:
            frozen = client._request_signer._credentials.get_frozen_credentials()
            credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
            self.signer = SigV4Auth(credentials, model.signing_name or model.endpoint_prefix, client.meta.region_name)
        self.sent = 0

    def _headers(self, request: Captured) -> dict[str, str]:
        if self.signer is None:
            return dict(request.headers)
        fresh = AWSRequest(
            method=request.method,
            url=request.url,
            headers={name: value for name, value in request.headers if name.lower() not in _SIGNING_HEADERS},
            data=request.body,
        )
        self.signer.add_auth(fresh)
        return {str(name): str(value) for name, value in fresh.headers.items()}

    def __call__(self) -> dict[str, Any]:
        request = next(self.requests)
        self.connection.request(request.method, request.target, body=request.body, headers=self._headers(request))
        response = self.connection.getresponse()
        body = response.read()
        self.sent += 1
        if response.status != 200:
            raise RawCallError(f"{request.operation} answered HTTP {response.status}: {body[:300]!r}")
        parsed: dict[str, Any] = self.parser.parse(
            {"status_code": response.status, "headers": dict(response.getheaders()), "body": body},
            self.output_shapes[request.operation],
        )
        shape = self.output_shapes[request.operation]
        missing = [name for name in (shape.required_members if shape is not None else []) if name not in parsed]
        if missing:  # botocore reads a body that is not JSON as an empty answer: the model's required members tell
            raise RawCallError(f"{request.operation} answer lacks {', '.join(missing)}: {body[:300]!r}")
        if self.check is not None:
            self.check(parsed)
        return parsed

    def close(self) -> None:
        self.connection.close()
