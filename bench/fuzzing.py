"""Hostile AWS requests for every emulated operation, made from botocore's service models, and the
check every answer must pass.

    fuzzer = Fuzzer(seed=7, operations=emulated_operations(), keys=keys, known=resources)
    request = fuzzer.request(41)        # the same request for the same (seed, index), on any run
    failure = check(request, status, headers, body)   # None, or why the answer is wrong

Each request starts valid by shape: the operation's input generated from its model (lengths,
ranges and enums respected; members naming a queue, topic or key often take one that exists),
serialized with botocore's own serializer for the protocol and signed with botocore's SigV4 signer.
Then, most of the time, one mutation spoils it: wrong types, strings over their length limit or
about 1 MB long, deep nesting, invalid UTF-8 and percent-encoding, truncated bodies, the wrong
content type or HTTP method, a missing or unknown operation, or (sent to the strict-auth server) a
bad, incomplete, skewed, replayed or expired signature or presigned URL.

An answer passes when its status is below 500 and botocore's response parser for the protocol
reads it either as the operation's output or as an error whose code is one the operation models
or one of the errors any AWS service may answer (COMMON_ERRORS).

LIMITATIONS: long polls are kept out (WaitTimeSeconds is 0 in valid requests) so that the run
measures hostile input, not waiting; patterns (regular expressions) in the models are not
followed, so many valid-by-shape values are refused by the service's own checks, as they would be
by AWS.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import string
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HeadersDict
from botocore.credentials import Credentials
from botocore.model import ServiceModel, Shape
from botocore.parsers import ResponseParserError, create_parser
from botocore.serialize import create_serializer

from bench.fuzz_mutations import MUTATIONS, WEIGHTS, WORDS, Draft, decoded_form, finish_body
from playground.gateway.specs import wire_models

# Errors any AWS service may answer, whatever the operation models: authentication, throttling,
# malformed requests (the protocol's names for them) and the playground's sandbox quotas.
COMMON_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "InvalidAction",
        "InvalidClientTokenId",
        "InvalidParameterCombination",
        "InvalidParameterValue",
        "InvalidQueryParameter",
        "InvalidSignatureException",
        "LimitExceededException",
        "MalformedQueryString",
        "MissingAction",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "MissingParameter",
        "OverLimit",
        "RequestEntityTooLarge",
        "RequestExpired",
        "RequestThrottled",
        "SerializationException",
        "SignatureDoesNotMatch",
        "Throttling",
        "ThrottlingException",
        "UnknownOperationException",
        "UnrecognizedClientException",
        "ValidationError",
        "ValidationException",
    }
)
DEFAULT_REGION = "us-east-1"
# Operations whose valid requests must not use the resources the run shares, or they would be gone
# for every later request.
DESTRUCTIVE_PREFIXES = ("Delete", "Purge", "ScheduleKeyDeletion", "Disable", "Cancel", "Unsubscribe")


# --- the services under test ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One way to reach a service: its model in the flavour of one wire protocol."""

    service: str
    protocol: str  # json | query
    model: ServiceModel
    operations: tuple[str, ...]

    @property
    def signing_name(self) -> str:
        return str(self.model.metadata.get("signingName") or self.model.metadata["endpointPrefix"])


def targets(operations: dict[str, list[str]]) -> list[Target]:
    """Every (service, protocol) the gateway serves, limited to the emulated `operations`: each json
    or query protocol of the service's current model and of its older client generations (SQS's
    query form), in the model the gateway reads that protocol with (specs.wire_models)."""
    found = []
    for service in sorted(operations):
        for protocol, model in wire_models(service).items():
            if protocol in ("json", "query"):
                names = tuple(sorted(name for name in operations[service] if name in model.operation_names))
                found.append(Target(service, protocol, model, names))
    return found


def emulated_operations() -> dict[str, list[str]]:
    """What the gateway's providers implement: service -> operation names. Needs Django set up."""
    from playground.gateway.registry import provider_for, registered_services
    from playground.gateway.specs import service_model

    result = {}
    for service in registered_services():
        provider = provider_for(service)
        names = service_model(service).operation_names
        result[service] = [name for name in names if provider and provider.handler(name)]
    return result


# --- valid values ---------------------------------------------------------------------------------


class Values:
    """Values that fit a shape's type, length, range and enum; members named in `known` often take
    an existing resource's id instead."""

    def __init__(self, rng: random.Random, known: dict[str, list[str]], *, max_depth: int = 4) -> None:
        self.rng = rng
        self.known = known
        self.max_depth = max_depth

    def value(self, shape: Shape, name: str = "", depth: int = 0) -> Any:
        if name in self.known and self.known[name] and self.rng.random() < 0.8:
            return self.rng.choice(self.known[name])
        if name == "WaitTimeSeconds":
            return 0
        return getattr(self, f"_{shape.type_name}")(shape, depth)

    def _string(self, shape: Shape, depth: int) -> str:
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        low = int(shape.metadata.get("min", 1))
        high = min(int(shape.metadata.get("max", 40)), max(low, 40))
        return "".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(max(low, 1), max(high, 1))))

    def _integer(self, shape: Shape, depth: int) -> int:
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", low + 1000))
        return self.rng.randint(low, high)

    _long = _integer

    def _float(self, shape: Shape, depth: int) -> float:
        low = float(shape.metadata.get("min", 0))
        return low + self.rng.random() * (float(shape.metadata.get("max", low + 100)) - low)

    _double = _float

    def _boolean(self, shape: Shape, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _blob(self, shape: Shape, depth: int) -> bytes:
        low = max(int(shape.metadata.get("min", 1)), 1)
        high = min(int(shape.metadata.get("max", 256)), 256)
        return self.rng.randbytes(self.rng.randint(low, max(low, high)))

    def _timestamp(self, shape: Shape, depth: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.rng.randint(1_500_000_000, 2_000_000_000), dt.UTC)

    def _structure(self, shape: Shape, depth: int) -> dict[str, Any]:
        members = shape.members
        if shape.metadata.get("document"):
            return {"a": [1, "b", None]}
        if shape.metadata.get("union"):
            name = self.rng.choice(list(members))
            return {name: self.value(members[name], name, depth + 1)}
        required = set(shape.required_members)
        result = {}
        for name, member in members.items():
            if name in required or (depth < self.max_depth and self.rng.random() < 0.5):
                result[name] = self.value(member, name, depth + 1)
        return result

    def _list(self, shape: Shape, depth: int) -> list[Any]:
        low = int(shape.metadata.get("min", 0))
        high = min(int(shape.metadata.get("max", 3)), max(low, 3))
        count = self.rng.randint(low, high) if depth < self.max_depth else low
        return [self.value(shape.member, "", depth + 1) for _ in range(count)]

    def _map(self, shape: Shape, depth: int) -> dict[str, Any]:
        count = self.rng.randint(0, 3) if depth < self.max_depth else 0
        return {self._string(shape.key, depth): self.value(shape.value, "", depth + 1) for _ in range(count)}


# --- requests -------------------------------------------------------------------------------------


@dataclass
class FuzzRequest:
    """One HTTP request and what it claims to be; `operation` is None when the request names no
    operation the model knows (its answer must then be an error)."""

    index: int
    mutation: str
    target: Target
    operation: str | None
    server: str  # "open" or "strict": which server it is meant for
    method: str = "POST"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    repeat: int = 1  # a replayed request is sent this many times

    @property
    def label(self) -> str:
        return f"{self.target.service}/{self.target.protocol}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "mutation": self.mutation,
            "service": self.target.service,
            "protocol": self.target.protocol,
            "operation": self.operation,
            "server": self.server,
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body_base64": base64.b64encode(self.body).decode(),
        }


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str
    region: str = DEFAULT_REGION


def _encode(draft: Draft) -> None:
    """Serialize the parameters with botocore, keeping the form or document open for mutations."""
    serializer = create_serializer(draft.target.protocol, include_validation=False)
    wire = serializer.serialize_to_request(draft.params, draft.operation)
    draft.headers = {key: str(value) for key, value in wire["headers"].items()}
    draft.claimed = draft.operation.name
    if draft.target.protocol == "query":
        draft.form = list(wire["body"].items())
        draft.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    else:
        body = wire["body"]
        draft.document = json.loads(body) if body else {}


# Signature mutations, sent to the strict-auth server.
AUTH_MUTATIONS = (
    "signed",
    "presigned",
    "bad-signature",
    "wrong-secret",
    "unknown-key",
    "incomplete",
    "bad-scope",
    "skewed",
    "bad-date",
    "replayed",
    "presigned-expired",
    "presigned-bad-expires",
    "tampered",
    "no-signature",
    "session-token",
)
AUTH_SHARE = 0.25


# --- signing --------------------------------------------------------------------------------------


def _stamp(at: dt.datetime) -> str:
    return at.strftime(SIGV4_TIMESTAMP)


def _signed(draft: Draft, keys: Keys, host: str, *, at: dt.datetime, presign: int | None = None) -> AWSRequest:
    """Sign with botocore's signer at time `at` (a header signature, or a URL valid `presign` s)."""
    url = f"http://{host}{draft.path}" + (f"?{draft.query}" if draft.query else "")
    data: bytes | dict[str, str] = draft.body
    if presign is not None and draft.target.protocol == "query":
        data = dict(decoded_form(draft.body))  # the signer moves the form into the URL
    request = AWSRequest(method=draft.method, url=url, data=data, headers=dict(draft.headers))
    request.headers["Host"] = host
    credentials = Credentials(keys.access_key_id, keys.secret_access_key)
    signer: SigV4Auth
    if presign is None:
        signer = SigV4Auth(credentials, draft.target.signing_name, keys.region)
    else:
        signer = SigV4QueryAuth(credentials, draft.target.signing_name, keys.region, expires=presign)
    # What SigV4Auth.add_auth does, at a time of our choosing rather than now.
    request.context["timestamp"] = _stamp(at)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return request


def _authorize(draft: Draft, kind: str, keys: Keys, host: str, rng: random.Random) -> tuple[AWSRequest, int]:
    """Sign the draft as the auth mutation `kind` says; returns the request and how often to send it."""
    now = dt.datetime.now(dt.UTC)
    if kind == "presigned":
        return _signed(draft, keys, host, at=now, presign=300), 1
    if kind == "presigned-expired":
        return _signed(draft, keys, host, at=now - dt.timedelta(minutes=rng.randint(2, 9000)), presign=60), 1
    if kind == "presigned-bad-expires":
        request = _signed(draft, keys, host, at=now, presign=300)
        bad = rng.choice(["abc", "-5", "", "99999999999999999999", "1e3", "0"])
        request.url = request.url.replace("X-Amz-Expires=300", f"X-Amz-Expires={quote(bad)}")
        return request, 1
    if kind == "wrong-secret":
        return _signed(draft, Keys(keys.access_key_id, "not-" + keys.secret_access_key, keys.region), host, at=now), 1
    if kind == "unknown-key":
        key = rng.choice(["AKIA" + "".join(rng.choice(string.ascii_uppercase) for _ in range(16)), "x", "ü", "1" * 12])
        return _signed(draft, Keys(key, "secret", keys.region), host, at=now), 1
    if kind == "skewed":
        offset = dt.timedelta(minutes=rng.choice([-1, 1]) * rng.randint(16, 600_000))
        return _signed(draft, keys, host, at=now + offset), 1
    if kind == "replayed":
        return _signed(draft, keys, host, at=now), 2
    if kind == "session-token":
        draft.headers["X-Amz-Security-Token"] = rng.choice(["", "garbage", "a" * 5000, "FwoGZX\x7f"])
        return _signed(draft, keys, host, at=now), 1
    request = _signed(draft, keys, host, at=now)
    authorization = str(request.headers["Authorization"])
    if kind == "bad-signature":
        position = rng.randrange(len(authorization) - 64, len(authorization))
        flipped = "0" if authorization[position] != "0" else "1"
        request.headers.replace_header(
            "Authorization", authorization[:position] + flipped + authorization[position + 1 :]
        )
    elif kind == "incomplete":
        part = rng.choice(["Credential=", "SignedHeaders=", "Signature="])
        mangled = authorization.replace(part, "Nope=") if rng.random() < 0.5 else authorization.split(",")[0]
        request.headers.replace_header("Authorization", mangled)
    elif kind == "bad-scope":
        scope = f"{keys.access_key_id}/{_stamp(now)[:8]}/{keys.region}/{draft.target.signing_name}/aws4_request"
        bad = rng.choice(
            [
                f"{keys.access_key_id}/{_stamp(now)[:8]}/{keys.region}/aws4_request",
                f"{keys.access_key_id}/x/y/z/w/aws4_request",
                f"{keys.access_key_id}/{_stamp(now)[:8]}/{keys.region}/{draft.target.signing_name}/aws5_request",
                "/////",
                f"{keys.access_key_id}/{_stamp(now)[:8]}/../{draft.target.signing_name}/aws4_request",
            ]
        )
        request.headers.replace_header("Authorization", authorization.replace(scope, bad))
    elif kind == "bad-date":
        request.headers.replace_header("X-Amz-Date", rng.choice(["yesterday", "", "20991399T999999Z", "0" * 16]))
    elif kind == "tampered":
        request.data = (request.body or b"") + b" "
    elif kind == "no-signature":
        request.headers.replace_header("Authorization", "AWS4-HMAC-SHA256")
    return request, 1


# --- the generator --------------------------------------------------------------------------------


class Fuzzer:
    """Request number `index` of the run seeded `seed`: the same request whenever it is asked for
    (bar the signing time), so a failure can be made again from its seed and index alone."""

    def __init__(
        self,
        *,
        seed: int,
        operations: dict[str, list[str]],
        keys: Keys,
        hosts: dict[str, str],
        known: dict[str, list[str]] | None = None,
    ) -> None:
        self.seed = seed
        self.targets = targets(operations)
        self.pairs = [(target, name) for target in self.targets for name in target.operations]
        self.keys = keys
        self.hosts = hosts  # "open" / "strict" -> host:port
        self.known = known or {}
        self.mutations = list(WEIGHTS)
        self.weights = [WEIGHTS[name] for name in self.mutations]

    def request(self, index: int) -> FuzzRequest:
        rng = random.Random(f"{self.seed}:{index}")
        target, name = rng.choice(self.pairs)
        operation = target.model.operation_model(name)
        sharing = not name.startswith(DESTRUCTIVE_PREFIXES)
        values = Values(rng, self.known if sharing else {})
        shape = operation.input_shape
        draft = Draft(rng, target, operation, values.value(shape) if shape is not None else {})
        _encode(draft)
        strict = "strict" in self.hosts and rng.random() < AUTH_SHARE
        mutation = rng.choice(AUTH_MUTATIONS) if strict else rng.choices(self.mutations, self.weights)[0]
        if mutation in MUTATIONS:
            MUTATIONS[mutation](draft)
        finish_body(draft)
        server = "strict" if strict else "open"
        signed, repeat = _authorize(draft, mutation if strict else "signed", self.keys, self.hosts[server], rng)
        split = urlsplit(signed.url)
        body = signed.body if isinstance(signed.body, bytes) else (signed.body or "").encode()
        return FuzzRequest(
            index=index,
            mutation=mutation,
            target=target,
            operation=draft.claimed,
            server=server,
            method=signed.method,
            path=(split.path or "/") + (f"?{split.query}" if split.query else ""),
            headers={key: str(value) for key, value in signed.headers.items()},
            body=body,
            repeat=repeat,
        )


# --- checking the answers -------------------------------------------------------------------------


@cache
def parser_for(protocol: str) -> Any:
    return create_parser(protocol)


# Errors AWS answers where the model lists none for the operation: SQS refuses an unknown name in
# ReceiveMessage's AttributeNames as InvalidAttributeName, as it does in GetQueueAttributes.
UNMODELED_ERRORS: dict[tuple[str, str], frozenset[str]] = {
    ("sqs", "ReceiveMessage"): frozenset({"InvalidAttributeName"}),
    # CloudWatch's API reference lists DashboardNotFound (ResourceNotFound, 404) for DeleteDashboards;
    # botocore's model does not.
    ("cloudwatch", "DeleteDashboards"): frozenset({"ResourceNotFound"}),
}


@cache
def accepted_errors(target: Target, operation: str | None) -> frozenset[str]:
    """Error codes an answer to `operation` may carry: the ones it models (by shape name and by the
    wire code the model gives them) and COMMON_ERRORS."""
    codes = set(COMMON_ERRORS)
    # A request naming no operation (or two) may be read as any: any of the service's errors will do.
    for name in [operation] if operation is not None else target.model.operation_names:
        codes |= UNMODELED_ERRORS.get((target.service, name), frozenset())
        for shape in target.model.operation_model(name).error_shapes:
            codes.add(shape.name)
            # The code it travels as where the model gives one (SNS's InvalidParameterException is
            # `InvalidParameter`; SQS's QueueDoesNotExist is AWS.SimpleQueueService.NonExistentQueue).
            codes.add(str(shape.metadata.get("error", {}).get("code") or shape.name))
    return frozenset(codes)


@cache
def _answered_in(target: Target, protocol: str) -> Target | None:
    """The same service in the protocol the server chose to answer in (SQS answers a form post in
    its query generation's form, as AWS does); None if the service does not speak it."""
    if protocol == target.protocol:
        return target
    models = wire_models(target.service)
    if protocol in models:
        return Target(target.service, protocol, models[protocol], target.operations)
    return None


def refused_by_http_server(request: FuzzRequest, status: int, body: bytes) -> bool:
    """Twisted (under Daphne) reads a POST body declared multipart/form-data itself, before any
    application sees it, and answers one it cannot parse with a bare 400 and no body."""
    declared = {key.lower(): value for key, value in request.headers.items()}.get("content-type", "")
    return status == 400 and not body and request.method == "POST" and declared.startswith("multipart/form-data")


def check(request: FuzzRequest, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why this answer is not one AWS could give (None when it is)."""
    if status >= 500:
        return f"HTTP {status}"
    if status < 200 or 300 <= status < 400:
        return f"unexpected HTTP {status}"
    if b"Traceback" in body:
        return "a traceback in the body"
    if request.method == "HEAD":
        return None  # no body to read
    ctype = headers_dict(headers).get("content-type", "")
    protocol = "query" if "xml" in ctype else "json"
    target = _answered_in(request.target, protocol)
    if target is None:
        return f"answered in the {protocol} protocol, which {request.target.service} does not speak"
    shape = target.model.operation_model(request.operation).output_shape if request.operation else None
    if target.protocol == "json" and body.strip():
        try:
            json.loads(body)
        except ValueError:
            return "the body is not JSON"
    try:
        parsed = parser_for(target.protocol).parse(
            {"status_code": status, "headers": headers_dict(headers), "body": body}, shape
        )
    except (ResponseParserError, ValueError, KeyError, TypeError, AttributeError) as problem:
        return f"botocore could not parse it: {type(problem).__name__}: {problem}"
    if status < 300:
        if request.operation is None:
            return "success for a request that names no operation"
        if "Error" in parsed:
            return f"an error document with HTTP {status}"
        return None
    error = parsed.get("Error", {})
    code = error.get("Code")
    if not code:
        return "an error without a code"
    # A query-compatible service (SQS) answers JSON with its legacy code in x-amzn-query-error, which
    # botocore reports as the Code, keeping the modeled name as QueryErrorCode.
    accepted = accepted_errors(target, request.operation)
    if code not in accepted and error.get("QueryErrorCode") not in accepted:
        return f"error code {code!r} is neither modeled for {request.operation} nor a common AWS error"
    return None


def headers_dict(headers: dict[str, str]) -> HeadersDict:
    """Headers as botocore's parsers want them: looked up whatever the case."""
    return HeadersDict(headers)
