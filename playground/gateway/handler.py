"""The AWS front door: one AWS request in, one AWS-shaped response out.

    credential scope -> API -> protocol and the model of that client generation -> operation
        -> identity (sandbox, key) -> parameters (parsed, validated) -> provider method
        -> output or AwsError -> response

An API is answered in every protocol its clients send: those its current botocore model lists and
those of its older client generations (generations.py, protocols.detect).

An unsigned request (gateway/unsigned.py) finds its service by its protocol markers instead of a
credential scope. Only an operation AWS serves unsigned (STS AssumeRoleWithWebIdentity) runs: its
provider names the sandbox from the parameters (`Provider.unsigned_sandbox`); anything else is
refused with AWS's MissingAuthenticationToken.

Every call is recorded (ApiCall, written in batches by calllog.py) and published as an
`api.call` live event. No exception escapes
as a 500 page: an unexpected one becomes AWS's InternalFailure, logged with its traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import logging
import os
import random
import re
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from botocore.model import OperationModel, OperationNotFoundError, ServiceModel
from django.conf import settings
from django.db import OperationalError

from playground.gateway import errors
from playground.gateway.auth import AuthProblem, Credential, check_time, read_credential, verify_signature
from playground.gateway.calllog import call_log
from playground.gateway.errors import AwsError
from playground.gateway.models import ApiCall
from playground.gateway.protocols import detect, fallback
from playground.gateway.protocols.base import Protocol
from playground.gateway.quotas import check_request
from playground.gateway.redact import redact
from playground.gateway.registry import provider_for
from playground.gateway.request import AwsRequest, HttpResponse, RequestContext
from playground.gateway.specs import service_for_target_prefix, service_model, services_for_signing_name
from playground.gateway.unsigned import MISSING_TOKEN, is_unsigned_operation, service_model_of
from playground.gateway.validation import validate, validation_error
from playground.live.store import atomic_numbering_events
from playground.sandboxes.generations import generation
from playground.sandboxes.models import AccessKey, Clock, Sandbox, wall_now
from playground.sandboxes.services import default_sandbox, sandbox_for_account

LOG = logging.getLogger(__name__)
T = TypeVar("T")

INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105  (a message)


@dataclass
class Identity:
    sandbox: Sandbox
    access_key: AccessKey | None
    principal_arn: str


def new_request_id() -> str:
    """A UUID-shaped request id. Not a secret, so it need not cost a read of os.urandom, which is
    slow on some virtual machines and would run on every call."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def handle(request: AwsRequest) -> HttpResponse:
    started = time.perf_counter()
    request_id = new_request_id()
    model: ServiceModel | None = None
    protocol: Protocol | None = None
    operation: OperationModel | None = None
    identity: Identity | None = None
    credential: Credential | None = None
    params: dict[str, Any] = {}
    answered: list[dict[str, Any]] = []  # the provider's output, kept for the call record
    error: AwsError | None = None
    now: dt.datetime | None = None
    region = ""
    response: HttpResponse
    try:
        credential = read_credential(request)
        found = _service_model(credential.service, request) if credential else service_model_of(request)
        model, protocol = detect(found, request)
        request = _settle_body(request, model, protocol)
        if request.oversized:
            raise errors.RequestEntityTooLarge(
                f"Request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes this server accepts."
            )
        if credential is None:
            request = _decompressed(request, protocol)
            operation = protocol.operation(model, request)
            params = protocol.parse(operation, request)
            identity = _unsigned_identity(model, operation, params, protocol.name)
            region = _host_region(request) or identity.sandbox.default_region
        else:
            identity = _authenticate(request, credential, resource_path=_resource_path(model, protocol, request))
            region = credential.region or _host_region(request) or identity.sandbox.default_region
            request = _decompressed(request, protocol)  # signed as sent, read decompressed
            operation = protocol.operation(model, request)
            params = protocol.parse(operation, request)
        now = identity.sandbox.clock.now()
        ctx = RequestContext(
            sandbox=identity.sandbox,
            region=region,
            now=now,
            request_id=request_id,
            service=model.service_name,
            operation=operation.name,
            protocol=protocol.name,
            request=request,
            access_key=identity.access_key,
            principal_arn=identity.principal_arn,
        )
        serialize = functools.partial(protocol.serialize, operation, request_id=request_id)

        def finish(output: dict[str, Any]) -> HttpResponse:
            answered.append(output)
            return serialize(output)

        response = dispatch(model=model, operation=operation, params=params, ctx=ctx, finish=finish)
    except AuthProblem as problem:
        error = _auth_error(problem, protocol or fallback(request)[1])
    except AwsError as aws_error:
        error = aws_error
    except Exception as unexpected:
        error = _unexpected(unexpected, _label(model, operation))
    if error is not None:
        response = _error_response(error, request, model, protocol, operation, request_id)
    if identity is not None:
        _record(
            sandbox=identity.sandbox,
            principal_arn=identity.principal_arn,
            request=request,
            service=model.service_name if model else (credential.service if credential else ""),
            operation=operation,
            region=region,
            access_key_id=credential.access_key_id if credential else "",
            params=params,
            output=answered[0] if answered and error is None else None,
            error=error,
            status=response.status,
            request_id=request_id,
            now=now or identity.sandbox.clock.now(),
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    return response


def _settle_body(request: AwsRequest, model: ServiceModel, protocol: Protocol) -> AwsRequest:
    """A body spooled to disk stays there for an operation that streams its input (S3 PutObject,
    any size); for any other it is read into memory, or refused past the usual limit."""
    if request.body_file is None or protocol.streams_input(model, request):
        return request
    size = os.fstat(request.body_file.fileno()).st_size
    if size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return dataclasses.replace(request, body_file=None, oversized=True)
    request.body_file.seek(0)
    return dataclasses.replace(request, body=request.body_file.read(), body_file=None)


def _decompressed(request: AwsRequest, protocol: Protocol) -> AwsRequest:
    """The body of an RPC-protocol request sent gzip'd (`Content-Encoding: gzip`), decompressed.

    botocore compresses the body of operations the model marks `requestcompression` once it passes
    10 KiB (CloudWatch's PutMetricData); the RPC protocols (JSON, CBOR, query) read the plain
    document. In the REST protocols Content-Encoding describes the payload itself (an S3 object
    stored gzip'd), so it is left alone. Decompressed bodies are held to the same size limit as
    plain ones."""
    encodings = [part.strip() for part in request.headers.get("content-encoding", "").split(",") if part.strip()]
    if encodings[-1:] != ["gzip"] or protocol.name.startswith("rest") or request.body_file is not None:
        return request
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        body = inflater.decompress(request.body, limit + 1)
    except zlib.error as problem:
        raise errors.SerializationException(f"The request body is not valid gzip: {problem}.") from None
    if len(body) > limit:
        raise errors.RequestEntityTooLarge(f"Request body is larger than the {limit} bytes this server accepts.")
    headers = type(request.headers)(request.headers)
    if encodings[:-1]:
        headers["content-encoding"] = ", ".join(encodings[:-1])
    else:
        headers.pop("content-encoding", None)
    return dataclasses.replace(request, body=body, headers=headers)


def dispatch(
    *,
    model: ServiceModel,
    operation: OperationModel,
    params: dict[str, Any],
    ctx: RequestContext,
    finish: Callable[[dict[str, Any]], T],
) -> T:
    """Validate the parameters and run the provider method; `finish` turns its output into the
    answer inside the same transaction, so a call that fails at any point changes nothing."""
    check_request(ctx, params)  # the sandbox's quotas: request rate, stored bytes (gateway/quotas.py)
    provider = provider_for(model.service_name)
    check_params(model, operation, params, ctx.protocol)
    method = provider.handler(operation.name) if provider else None
    if method is None:
        raise errors.NotEmulated(f"Playground does not emulate {model.service_name}:{operation.name} yet.")
    if getattr(method, "own_transactions", False):
        # A long poll must not hold a transaction (on SQLite, the write lock) while it waits, and a
        # call that only reads should not pay for one (on SQLite, BEGIN IMMEDIATE takes the lock).
        return finish(method(ctx, params) or {})
    with atomic_numbering_events():  # transaction.atomic(), the call's live events stored by it
        return finish(method(ctx, params) or {})


def check_params(model: ServiceModel, operation: OperationModel, params: dict[str, Any], protocol: str) -> None:
    """Refuse parameters that break the model's constraints, in the service's words."""
    provider = provider_for(model.service_name)
    problems = [
        problem
        for problem in validate(model, operation, params)
        if not (provider and provider.checks_itself(operation.name, problem))
    ]
    if problems:
        raise (provider and provider.validation_error(protocol, problems)) or validation_error(protocol, problems)


# A database too busy to answer in time: SQLite's write lock waited past its timeout, or PostgreSQL
# broke a deadlock. The call changed nothing (its transaction rolled back) and can be retried.
_BUSY = re.compile(r"database is locked|deadlock detected|could not serialize access")


def _unexpected(problem: Exception, label: str) -> errors.AwsError:
    if isinstance(problem, OperationalError) and _BUSY.search(str(problem)):
        LOG.warning("database busy in %s: %s", label, problem)
        return errors.ServiceUnavailable("The service is busy. Please retry the request.")
    LOG.error("unexpected error in %s", label, exc_info=problem)
    return errors.InternalFailure("We encountered an internal error. Please try again.")


CONSOLE_USER_AGENT = "playground-console"


def invoke(
    *,
    sandbox: Sandbox,
    service: str,
    operation: str,
    params: dict[str, Any],
    region: str | None = None,
    principal_arn: str = "",
    source_ip: str = "",
) -> dict[str, Any]:
    """Call an AWS operation for the GUI or the REST API, as the AWS console calls AWS's APIs: the
    same validation, provider and call record as a signed request, without the wire protocol.

    `params` and the result are what boto3 takes and returns. Raises the AwsError AWS would.
    """
    started = time.perf_counter()
    request_id = new_request_id()
    region = region or sandbox.default_region
    sandbox = copy.copy(sandbox)
    sandbox.clock = Clock.current(sandbox.pk)
    now = sandbox.clock.now()
    principal_arn = principal_arn or _user_arn(sandbox)
    public = urlsplit(settings.PLAYGROUND_PUBLIC_URL)
    request = AwsRequest.build(
        method="POST",
        raw_path="/",
        headers={"user-agent": CONSOLE_USER_AGENT, "host": public.netloc},
        host=public.netloc,
        scheme=public.scheme or "http",
        source_ip=source_ip,
    )
    error: AwsError | None = None
    op_model: OperationModel | None = None
    output: dict[str, Any] | None = None
    try:
        model = service_model(service)
        try:
            op_model = model.operation_model(operation)
        except OperationNotFoundError:
            raise errors.InvalidAction(f"The action {operation} is not valid for this web service.") from None
        ctx = RequestContext(
            sandbox=sandbox,
            region=region,
            now=now,
            request_id=request_id,
            service=service,
            operation=operation,
            protocol="console",
            request=request,
            principal_arn=principal_arn,
        )
        output = dispatch(model=model, operation=op_model, params=params, ctx=ctx, finish=lambda answer: answer)
        return output
    except AwsError as aws_error:
        error = aws_error
        raise
    except Exception as unexpected:
        error = _unexpected(unexpected, f"console call {service}:{operation}")
        raise error from None
    finally:
        _record(
            sandbox=sandbox,
            principal_arn=principal_arn,
            request=request,
            service=service,
            operation=op_model,
            region=region,
            access_key_id="",
            params=params,
            output=output,
            error=error,
            status=error.status if error else 200,
            request_id=request_id,
            now=now,
            duration_ms=(time.perf_counter() - started) * 1000,
            deferred=False,
        )


def _label(model: ServiceModel | None, operation: OperationModel | None) -> str:
    return f"{model.service_name if model else '?'}:{operation.name if operation else '?'}"


def _service_model(signing_name: str, request: AwsRequest) -> ServiceModel:
    names = services_for_signing_name(signing_name)
    if not names:
        raise errors.NotEmulated(f"Playground does not emulate the AWS service '{signing_name}'.")
    if len(names) > 1:
        target = request.headers.get("x-amz-target", "")
        by_prefix = service_for_target_prefix(target.rsplit(".", 1)[0]) if target else None
        if by_prefix in names:
            return service_model(by_prefix)
    return service_model(names[0])


# What a call needs to know about its key and sandbox, kept per process: access key id ->
# _KeyEntry. An entry holds while its sandbox's change count (sandboxes/generations.py, shared by
# every process on the machine) is the one it was loaded under, so a key deleted or deactivated, a
# sandbox reset or a clock paused, sped up or advanced is seen by the very next call. Processes on
# other machines only see such changes through BACKSTOP_SECONDS (see generations.py).
BACKSTOP_SECONDS = 10.0
MAX_CACHED_KEYS = 10_000


@dataclass
class _KeyEntry:
    identity: Identity  # its sandbox carries its clock
    secret: str  # decrypted once, not on every call
    session_token: str
    generation: int | None  # None: loaded before its sandbox was known, valid for no call
    expires: float


_keys: dict[str, _KeyEntry] = {}


def _cached_identity(access_key_id: str) -> _KeyEntry | None:
    hit = _keys.get(access_key_id)
    if hit is not None:
        sandbox_id = hit.identity.sandbox.pk
        current = generation(sandbox_id)
        if hit.generation == current and hit.expires > time.monotonic():
            return hit
        # The count is read before the rows: a change committing after this read bumps it again.
        counted: int | None = current
    else:
        counted = None
    entry = _load_identity(access_key_id, counted)
    if entry is not None:
        if len(_keys) >= MAX_CACHED_KEYS:
            _keys.clear()
        _keys[access_key_id] = entry
    else:
        _keys.pop(access_key_id, None)
    return entry


def _load_identity(access_key_id: str, counted: int | None) -> _KeyEntry | None:
    key = AccessKey.objects.select_related("sandbox__owner").filter(access_key_id=access_key_id).first()
    identity: Identity | None = None
    secret = token = ""
    if key is not None:
        identity = Identity(key.sandbox, key, key.principal_arn or _user_arn(key.sandbox))
        secret, token = key.secret_access_key, key.session_token
    elif settings.AUTH_MODE == "open":
        # Any key works: a 12-digit one picks that account, anything else the default sandbox.
        if len(access_key_id) == 12 and access_key_id.isdigit():
            sandbox = sandbox_for_account(access_key_id)
        else:
            sandbox = default_sandbox()
        identity = Identity(sandbox, None, _user_arn(sandbox))
    if identity is None:
        return None
    identity.sandbox.clock = Clock.current(identity.sandbox.pk)
    return _KeyEntry(identity, secret, token, counted, time.monotonic() + BACKSTOP_SECONDS)


def _for_this_call(identity: Identity) -> Identity:
    """The cached identity with a sandbox object of this call's own (providers may set attributes)."""
    return Identity(copy.copy(identity.sandbox), identity.access_key, identity.principal_arn)


def _with_fresh_clock(identity: Identity) -> Identity:
    sandbox = copy.copy(identity.sandbox)
    sandbox.clock = Clock.current(sandbox.pk)
    return Identity(sandbox, identity.access_key, identity.principal_arn)


def _resource_path(model: ServiceModel, protocol: Protocol, request: AwsRequest) -> str | None:
    """The path a SigV2 signature covers (the protocol's routing path), None for the raw path."""
    routing = getattr(protocol, "routing_path", None)
    return routing(model, request) if routing is not None else None


def _authenticate(request: AwsRequest, credential: Credential, *, resource_path: str | None = None) -> Identity:
    entry = _cached_identity(credential.access_key_id)
    if settings.AUTH_MODE == "open":
        assert entry is not None
        return _for_this_call(entry.identity)

    key = entry.identity.access_key if entry else None
    if entry is None or key is None or not key.active:
        raise AuthProblem("unknown-key", INVALID_TOKEN)
    identity = _for_this_call(entry.identity)
    sandbox_now = identity.sandbox.clock.now()
    check_time(credential, wall_now(), sandbox_now=sandbox_now)
    if key.is_temporary:
        if credential.session_token != entry.session_token:
            raise AuthProblem("unknown-key", INVALID_TOKEN)
        if key.expires_at is not None and sandbox_now >= key.expires_at:
            raise AuthProblem("expired-token", "The security token included in the request is expired")
    verify_signature(request, credential, entry.secret, resource_path=resource_path)
    return identity


def _unsigned_identity(
    model: ServiceModel, operation: OperationModel, params: dict[str, Any], protocol: str
) -> Identity:
    """Who an unsigned call acts for: the sandbox its provider names from the parameters (an STS
    web identity call: the account of the role it assumes), for an operation AWS serves unsigned."""
    provider = provider_for(model.service_name)
    if provider is None or not is_unsigned_operation(operation):
        raise AuthProblem("missing", MISSING_TOKEN)
    check_params(model, operation, params, protocol)  # the sandbox is read from a parameter
    sandbox = provider.unsigned_sandbox(operation.name, params, find=_sandbox_of_account)
    if sandbox is None:
        raise AuthProblem("missing", MISSING_TOKEN)
    return _with_fresh_clock(Identity(sandbox, None, ""))


def _sandbox_of_account(account_id: str) -> Sandbox | None:
    """Open mode: the account's sandbox, made on first use; strict mode: only an existing one."""
    if settings.AUTH_MODE == "open":
        return sandbox_for_account(account_id)
    return Sandbox.objects.filter(account_id=account_id).first()


_HOST_REGION = re.compile(r"^[a-z0-9-]+\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.")


def _host_region(request: AwsRequest) -> str:
    """The region an AWS-style host names (sts.eu-west-1.amazonaws.com), or ""."""
    match = _HOST_REGION.match(request.host.lower())
    return match.group(1) if match else ""


def _user_arn(sandbox: Sandbox) -> str:
    return f"arn:aws:iam::{sandbox.account_id}:user/{sandbox.user_name}"


# (protocol family, problem kind) -> (error code, HTTP status). AWS names the same failure
# differently on query, json and S3 services; these are the names their SDKs expect.
_AUTH_ERRORS: dict[tuple[str, str], tuple[str, int]] = {
    ("query", "missing"): ("MissingAuthenticationToken", 403),
    ("json", "missing"): ("MissingAuthenticationTokenException", 400),
    ("rest-json", "missing"): ("MissingAuthenticationTokenException", 403),
    ("rest-xml", "missing"): ("AccessDenied", 403),
    ("query", "unknown-key"): ("InvalidClientTokenId", 403),
    ("query", "bad-signature"): ("SignatureDoesNotMatch", 403),
    ("query", "skewed"): ("SignatureDoesNotMatch", 403),
    ("query", "expired"): ("RequestExpired", 400),
    ("query", "expired-token"): ("ExpiredToken", 400),
    ("query", "incomplete"): ("IncompleteSignature", 400),
    ("json", "unknown-key"): ("UnrecognizedClientException", 400),
    ("json", "bad-signature"): ("InvalidSignatureException", 400),
    ("json", "skewed"): ("InvalidSignatureException", 400),
    ("json", "expired"): ("InvalidSignatureException", 400),
    ("json", "expired-token"): ("ExpiredTokenException", 400),
    ("json", "incomplete"): ("IncompleteSignatureException", 400),
    ("rest-json", "unknown-key"): ("UnrecognizedClientException", 403),
    ("rest-json", "bad-signature"): ("InvalidSignatureException", 403),
    ("rest-json", "skewed"): ("InvalidSignatureException", 403),
    ("rest-json", "expired"): ("InvalidSignatureException", 403),
    ("rest-json", "expired-token"): ("ExpiredTokenException", 403),
    ("rest-json", "incomplete"): ("IncompleteSignatureException", 403),
    ("rest-xml", "unknown-key"): ("InvalidAccessKeyId", 403),
    ("rest-xml", "bad-signature"): ("SignatureDoesNotMatch", 403),
    ("rest-xml", "skewed"): ("RequestTimeTooSkewed", 403),
    ("rest-xml", "expired"): ("AccessDenied", 403),
    ("rest-xml", "expired-token"): ("ExpiredToken", 400),
    ("rest-xml", "incomplete"): ("AuthorizationQueryParametersError", 400),
    ("query", "unsupported"): ("IncompleteSignature", 400),
    ("json", "unsupported"): ("IncompleteSignatureException", 400),
    ("rest-json", "unsupported"): ("IncompleteSignatureException", 403),
    ("rest-xml", "unsupported"): ("InvalidRequest", 400),
}
_FAMILY = {"query": "query", "ec2": "query", "json": "json", "json-cbor": "json", "smithy-rpc-v2-cbor": "json"}


def _auth_error(problem: AuthProblem, protocol: Protocol | None) -> AwsError:
    name = protocol.name if protocol else "query"
    family = _FAMILY.get(name, name)
    code, status = _AUTH_ERRORS[(family, problem.kind)]
    message = problem.message
    if code == "InvalidAccessKeyId":
        message = "The AWS Access Key Id you provided does not exist in our records."
    elif code == "AccessDenied" and problem.kind == "missing":
        message = "Access Denied"
    elif code == "InvalidRequest":
        message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    return AwsError(message, code=code, status=status)


def _error_response(
    error: AwsError,
    request: AwsRequest,
    model: ServiceModel | None,
    protocol: Protocol | None,
    operation: OperationModel | None,
    request_id: str,
) -> HttpResponse:
    if model is None or protocol is None:
        # A request naming no API the gateway knows: an error in the protocol it speaks, by itself.
        model, protocol = fallback(request)
    try:
        return protocol.serialize_error(model, operation, error, request_id=request_id)
    except Exception:
        LOG.exception("could not serialize %r", error)
        return HttpResponse(500, {"Content-Type": "text/plain"}, b"InternalFailure")


def _record(
    *,
    sandbox: Sandbox,
    principal_arn: str,
    request: AwsRequest,
    service: str,
    operation: OperationModel | None,
    region: str,
    access_key_id: str,
    params: dict[str, Any],
    output: dict[str, Any] | None,
    error: AwsError | None,
    status: int,
    request_id: str,
    now: dt.datetime,
    duration_ms: float,
    deferred: bool = True,
) -> None:
    """Hand the call's record to the call log. `deferred`: made on the log's thread, for callers
    that never touch the parameters or the output again (the console's callers keep the output)."""
    user_agent = request.headers.get("user-agent", "")[:512]

    def build() -> tuple[ApiCall, dict[str, Any]]:
        # Runs on the call log's thread, after the answer went: nothing touches params or output
        # once the call is answered, and redacting them is the record's largest part.
        fields = {
            "request_id": request_id,
            "service": service,
            "operation": operation.name if operation else "",
            "region": region,
            "access_key_id": access_key_id,
            "source_ip": request.source_ip,
            "user_agent": user_agent,
            "params": redact(params, operation.input_shape if operation else None),
            "error_code": error.code if error else "",
            "http_status": status,
            "duration_ms": round(duration_ms, 3),
        }
        row = ApiCall(
            sandbox=sandbox,
            at=now,
            principal_arn=principal_arn,
            error_message=error.message[:2000].replace("\x00", "\\u0000") if error else "",
            response=redact(output, operation.output_shape) if output is not None and operation else None,
            **fields,
        )
        return row, fields

    if not deferred:
        made = build()
        call_log().record(sandbox=sandbox, at=now.isoformat(), build=lambda: made)
        return
    call_log().record(sandbox=sandbox, at=now.isoformat(), build=build)
