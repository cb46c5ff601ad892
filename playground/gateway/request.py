"""The request and context types every protocol, provider and the auth layer share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
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


@dataclass
class HttpResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


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
