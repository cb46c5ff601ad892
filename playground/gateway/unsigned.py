"""AWS requests that carry no signature: recognising them, and naming the service they call.

Most AWS operations must be signed, but a few are sent with no Authorization header at all: STS
AssumeRoleWithWebIdentity and AssumeRoleWithSAML (the caller has no AWS credentials yet; the web
identity token or the SAML assertion is the proof), marked `smithy.api#noAuth` in the models. A
request is AWS-shaped when it carries an AWS protocol's markers, signed or not:

    Authorization: AWS4-HMAC-SHA256 ... (or any AWS scheme), X-Amz-Credential=... (presigned)
    X-Amz-Target, X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, Smithy-Protocol headers
    Content-Type application/x-amz-json-1.0 / 1.1, application/x-amz-cbor-1.1
    Action=...&Version=... in the query string or a form-encoded body (the query protocol)

Such a request always goes to the gateway and is answered as AWS answers it, never with one of
Django's HTML pages: a noAuth operation runs, anything else gets MissingAuthenticationToken.
Without a credential scope, the service is found by its markers: the X-Amz-Target prefix, the
RPC v2 path, or the query protocol's Version (each API has its own) together with its Action.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel

from playground.gateway import errors
from playground.gateway.auth import AuthProblem
from playground.gateway.protocols.query import form_params
from playground.gateway.request import AwsRequest
from playground.gateway.specs import protocols, routed_apis, service_for_target_prefix, service_model

FORM = "application/x-www-form-urlencoded"
_MARKER_HEADERS = frozenset(
    {"x-amz-target", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "smithy-protocol"}
)
_AWS_CONTENT_TYPES = ("application/x-amz-json-", "application/x-amz-cbor-")
_AUTH_SCHEMES = ("AWS4-", "AWS ")  # SigV4 (and SigV4a), and the retired SigV2 ("AWS AKIA...:signature")
NO_AUTH = "smithy.api#noAuth"
MISSING_TOKEN = "Request is missing Authentication Token"  # noqa: S105  (AWS's message, not a secret)


def _has_query_markers(pairs: Iterable[tuple[str, str]]) -> bool:
    names = {name for name, _ in pairs}
    return "Action" in names and "Version" in names


def is_aws_shaped(headers: dict[str, str], query_string: str) -> bool:
    """Does the request carry an AWS protocol's markers (headers lower-cased)? A form-encoded body
    may still show the query protocol's Action and Version: see `may_be_query_form`."""
    authorization = headers.get("authorization", "")
    if authorization.startswith(_AUTH_SCHEMES):
        return True
    if _MARKER_HEADERS.intersection(headers):
        return True
    if headers.get("content-type", "").strip().lower().startswith(_AWS_CONTENT_TYPES):
        return True
    lowered = query_string.lower()
    if "x-amz-credential=" in lowered or "x-amz-signature=" in lowered:
        return True
    if "awsaccesskeyid=" in lowered and "signature=" in lowered:  # a SigV2 presigned URL (auth.py)
        return True
    return "Action=" in query_string and _has_query_markers(parse_qsl(query_string, keep_blank_values=True))


def may_be_query_form(method: str, headers: dict[str, str]) -> bool:
    """A POST whose form body must be read to tell an AWS query call from a GUI form."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return method == "POST" and content_type == FORM


def is_query_form(body: bytes) -> bool:
    """Does a form body name the query protocol's Action and Version? (Looked at without decoding
    every field: SDKs put both first, but any position counts.)"""
    if b"Action=" not in body or b"Version=" not in body:
        return False
    names = {field.split(b"=", 1)[0] for field in body.split(b"&")}
    return b"Action" in names and b"Version" in names


def is_unsigned_operation(operation: OperationModel) -> bool:
    """Does AWS serve the operation without a signature (the model's `smithy.api#noAuth`)?"""
    return operation.auth_type == "none" or NO_AUTH in (operation.metadata.get("auth") or ())


@cache
def _query_services() -> dict[str, list[str]]:
    """API version -> the emulated services that speak the query protocol under it."""
    index: dict[str, list[str]] = {}
    for name in routed_apis():
        model = service_model(name)
        if {"query", "ec2"} & set(protocols(model)) or "awsQueryCompatible" in model.metadata:
            index.setdefault(model.api_version, []).append(name)
    return index


def service_model_of(request: AwsRequest) -> ServiceModel:
    """The service an unsigned request calls, from its protocol markers."""
    if request.oversized:  # a body too large to read cannot name its operation
        raise errors.RequestEntityTooLarge("Request body is larger than this server accepts.")
    target = request.headers.get("x-amz-target", "")
    if target:
        prefix = target.rpartition(".")[0]
        name = service_for_target_prefix(prefix)
        if name is None:
            raise errors.NotEmulated(f"Playground does not emulate the AWS API with X-Amz-Target prefix '{prefix}'.")
        return service_model(name)
    if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
        parts = request.path.strip("/").split("/")
        if len(parts) >= 4 and parts[0] == "service" and parts[2] == "operation":
            name = service_for_target_prefix(parts[1])
            if name is None:
                raise errors.NotEmulated(f"Playground does not emulate the AWS service '{parts[1]}'.")
            return service_model(name)
        raise errors.UnknownOperation(
            f"RPC v2 requests are POST /service/<Service>/operation/<Operation>, not {request.path}.", status=404
        )
    params = form_params(request)  # the query protocol's own reading: the form body, then the query
    action = next((value for key, value in params if key == "Action"), "")
    version = next((value for key, value in params if key == "Version"), "")
    if action and version:
        candidates = _query_services().get(version, [])
        for name in candidates:
            if action in service_model(name).operation_names:
                return service_model(name)
        if candidates:
            return service_model(candidates[0])  # answers InvalidAction naming the action
        raise errors.NotEmulated(f"Playground does not emulate the AWS API of version {version} (action {action}) yet.")
    raise AuthProblem("missing", MISSING_TOKEN)
