"""The request and context types every protocol, provider and the auth layer share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from playground.sandboxes.models import AccessKey, Sandbox


class Headers(dict[str, str]):
    """Header names folded to lower case."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for key, value in dict(items).items():
            self[key.lower()] = value

    def get_ci(self, name: str, default: str = "") -> str:
        return self.get(name.lower(), default)


@dataclass
class AwsRequest:
    method: str
    path: str  # percent-decoded path, as the URI template matcher wants it
    raw_path: str  # the path as sent, still percent-encoded (SigV4 signs this form)
    query_string: str  # raw, still percent-encoded
    headers: Headers
    body: bytes
    host: str
    scheme: str = "http"
    source_ip: str = ""
    # The body was over the server's limit and was not read; the gateway answers 413.
    oversized: bool = False
    # A large body, on disk (playground/streaming.py) instead of in `body`: an open binary file at
    # its start. The gateway hands it to an operation whose input payload is a streaming blob and
    # reads it into `body` (within the limit) for any other.
    body_file: BinaryIO | None = None

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def query_dict(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for key, value in self.query:
            result.setdefault(key, []).append(value)
        return result

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @classmethod
    def build(
        cls,
        *,
        method: str,
        raw_path: str,
        query_string: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        host: str = "localhost",
        scheme: str = "http",
        source_ip: str = "",
    ) -> AwsRequest:
        return cls(
            method=method.upper(),
            path=unquote(raw_path),
            raw_path=raw_path,
            query_string=query_string,
            headers=Headers(headers or {}),
            body=body,
            host=host,
            scheme=scheme,
            source_ip=source_ip,
        )


# An output key a provider may set to answer a successful call with another HTTP status than the
# operation's, where the model has no member for it (S3 GetObject's 206 Partial Content).
RESPONSE_STATUS = "@status"


@dataclass
class BodyStream:
    """A streaming blob a provider returns (S3 GetObject's Body): `length` bytes of an open binary
    file from `offset`. The gateway sends it as the socket drains, then closes the file."""

    file: BinaryIO
    offset: int
    length: int

    def read_all(self) -> bytes:
        try:
            self.file.seek(self.offset)
            return self.file.read(self.length)
        finally:
            self.file.close()


@dataclass
class HttpResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: BodyStream | None = None  # instead of `body`, for a streaming output payload
    # An event stream answer (protocols/eventstream.py): its messages, sent as they come, after
    # the headers; `body` is then empty and no Content-Length is sent.
    events: Iterator[bytes] | None = None


@dataclass
class RequestContext:
    """What a provider method gets beside its parameters."""

    sandbox: Sandbox
    region: str
    now: dt.datetime  # the sandbox clock's time for this request
    request_id: str
    service: str  # botocore service name, e.g. "sqs"
    operation: str  # operation name, e.g. "SendMessage"
    protocol: str
    request: AwsRequest
    access_key: AccessKey | None = None
    principal_arn: str = ""

    @property
    def account_id(self) -> str:
        return self.sandbox.account_id

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        return f"arn:aws:{service}:{self.region if region is None else region}:{self.account_id}:{resource}"
