"""AWS Lambda: functions from .zip packages (inline or from S3) running real Python handlers,
Invoke (RequestResponse, Event, DryRun; LogType Tail), resource policies, SQS event source
mappings, tags and reserved concurrency, over botocore's lambda model (REST-JSON). Each method
reads its parameters and calls one domain function:

    functions.py    create / find / describe / list / update / delete; Pending -> Active on the clock
    invoking.py     synchronous and queued invocations, destinations and the dead-letter queue
    runtime.py      warm execution environments (processes), cold and warm starts, timeouts
    sandboxing.py   the isolation around them (bubblewrap, resource limits, an unprivileged user)
    bootstrap.py    the runtime inside the sandbox that imports and calls the handler
    mappings.py     event source mappings, and SQS's poller (stream_mappings.py: Kinesis's)
    concurrency.py  reserved concurrency and the account limit, across processes (Redis leases)
    metrics.py      AWS/Lambda metrics into CloudWatch
    permissions.py  AddPermission / RemovePermission / GetPolicy and the service-principal check
    logs.py         START / END / REPORT and the handler's output, kept per invocation
    events.py       the live events; graph.py the diagram; public.py what other services call

LIMITATIONS (deliberate differences from AWS; docs/lambda.md has the full list):
- Python runtimes only, run by the server's own interpreter (python3.9 ... python3.14 all run it);
  no layers, container images, function URLs, SnapStart, VPC, EFS or code signing.
- Versions and aliases: PublishVersion, ListVersionsByFunction, Create/Get/Update/Delete/ListAliases,
  qualified GetFunction/GetFunctionConfiguration/Invoke; no weighted alias routing, and resource
  policies, concurrency, mappings and event-invoke settings apply to the function as a whole.
- Pending lasts 1 s of sandbox time after CreateFunction, LastUpdateStatus InProgress 1 s after
  an update. The handler runs in real time: Timeout is wall-clock seconds.
- Memory: the environment's address space is capped at MemorySize plus the interpreter's share
  (sandboxing.BASE_ADDRESS_SPACE_MB), so a handler gets MemoryError past roughly MemorySize.
- Event source mappings: SQS queues and Kinesis streams (DynamoDB, Kafka, MQ not yet); no filter
  criteria, no scaling config, no tumbling windows; FIFO batches are received in group order
  but a failure does not hold back the rest of its group within one batch.
- Metrics carry the FunctionName dimension only (no Resource for versions and aliases).
"""

from __future__ import annotations

import json
from typing import Any

from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from services.awslambda import concurrency, functions, invoking, mappings, permissions, versions
from services.awslambda.exceptions import (
    InvalidParameterValueException,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.awslambda.models import EventSourceMapping, Function


class InvalidRequestContentException(InvalidParameterValueException):
    code = "InvalidRequestContentException"


def _function(ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> Function:
    return functions.find(sandbox=ctx.sandbox, region=ctx.region, name=params["FunctionName"], lock=lock)


def _qualified(ctx: RequestContext, params: dict[str, Any]) -> tuple[Function, Function, str]:
    """(the function, what the qualifier names: $LATEST or a frozen version, the version's name)."""
    function = _function(ctx, params)
    runnable, version = versions.resolve(
        function, functions.qualifier_of(params["FunctionName"], params.get("Qualifier"))
    )
    return function, runnable, version


def _configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    function, runnable, version = _qualified(ctx, params)
    described = functions.configuration(runnable, now=ctx.now)
    if version != versions.LATEST:
        described["Version"] = version
        described["FunctionArn"] = f"{function.arn}:{version}"
    return described


def _function_by_resource(ctx: RequestContext, arn: str) -> Function:
    function = functions.by_arn(sandbox=ctx.sandbox, arn=arn)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {arn}")
    return function


def _payload(value: Any) -> bytes:
    if value is None:
        return b""
    if hasattr(value, "read"):
        return bytes(value.read())
    return value if isinstance(value, bytes) else str(value).encode()


@register
class LambdaProvider(Provider):
    service = "lambda"

    # --- functions -----------------------------------------------------------------------------

    def create_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = functions.function_create(
            sandbox=ctx.sandbox, region=ctx.region, params=params, endpoint=ctx.request.base_url, now=ctx.now
        )
        if params.get("Publish"):
            version = versions.version_publish(function=function, description=None, code_sha256=None,
                                               revision_id=None, now=ctx.now)  # fmt: skip
            return versions.version_configuration(function, version, now=ctx.now)
        return functions.configuration(function, now=ctx.now)

    def get_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        answer = functions.function_get(_function(ctx, params), now=ctx.now, base_url=ctx.request.base_url)
        answer["Configuration"] = _configuration(ctx, params)
        return answer

    def get_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return _configuration(ctx, params)

    def list_functions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return functions.function_list(
            sandbox=ctx.sandbox, region=ctx.region, marker=params.get("Marker"), max_items=params.get("MaxItems"),
            now=ctx.now,
        )  # fmt: skip

    def delete_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        functions.function_delete(function=_function(ctx, params, lock=True), now=ctx.now)
        return {}

    def update_function_code(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = functions.code_update(function=_function(ctx, params, lock=True), params=params, now=ctx.now)
        if params.get("Publish"):
            version = versions.version_publish(function=function, description=None, code_sha256=None,
                                               revision_id=None, now=ctx.now)  # fmt: skip
            return versions.version_configuration(function, version, now=ctx.now)
        return functions.configuration(function, now=ctx.now)

    def update_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = functions.configuration_update(
            function=_function(ctx, params, lock=True), params=params, now=ctx.now
        )
        return functions.configuration(function, now=ctx.now)

    # --- invoking ------------------------------------------------------------------------------

    @own_transactions
    def invoke(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, function, version = _qualified(ctx, params)
        kind = params.get("InvocationType") or "RequestResponse"
        payload = _payload(params.get("Payload"))
        limit = invoking.MAX_ASYNC_PAYLOAD if kind == "Event" else invoking.MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            raise RequestTooLargeException(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            )
        if payload.strip():
            try:
                json.loads(payload)
            except ValueError as problem:
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: Could not parse payload into json: {problem}"
                ) from problem
        state, _ = functions.state_of(function, now=ctx.now)
        if state != "Active":
            raise ResourceConflictException(
                "The operation cannot be performed at this time. The function is currently in the following state: "
                f"{state}"
            )
        if kind == "DryRun":
            return {"StatusCode": 204, "Payload": b""}
        if kind == "Event":
            from django.db import transaction

            with transaction.atomic():
                invoking.enqueue(function=function, payload=payload or b"{}", now=ctx.now)
            return {"StatusCode": 202, "Payload": b""}
        result = invoking.run(function=function, payload=payload or b"{}", kind=kind, source="", now=ctx.now)
        answer: dict[str, Any] = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": version}
        if result.function_error:
            answer["FunctionError"] = result.function_error
        if params.get("LogType") == "Tail":
            answer["LogResult"] = invoking.tail(result.log)
        return answer

    # --- versions and aliases -----------------------------------------------------------------

    def publish_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        version = versions.version_publish(
            function=function, description=params.get("Description"), code_sha256=params.get("CodeSha256"),
            revision_id=params.get("RevisionId"), now=ctx.now,
        )  # fmt: skip
        return versions.version_configuration(function, version, now=ctx.now)

    def list_versions_by_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Versions": versions.versions_list(function=_function(ctx, params), now=ctx.now)}

    def create_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        alias = versions.alias_create(function=function, name=params["Name"], version=params["FunctionVersion"],
                                      description=params.get("Description", ""))  # fmt: skip
        return versions.alias_description(function, alias)

    def get_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params)
        return versions.alias_description(function, versions.alias_find(function=function, name=params["Name"]))

    def update_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        alias = versions.alias_update(function=function, name=params["Name"], params=params)
        return versions.alias_description(function, alias)

    def delete_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        versions.alias_find(function=function, name=params["Name"]).delete()
        return {}

    def list_aliases(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params)
        return {"Aliases": [versions.alias_description(function, alias) for alias in function.aliases.all()]}

    # --- concurrency and asynchronous settings -------------------------------------------------

    def put_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        concurrency.check_reservation(function, wanted=params["ReservedConcurrentExecutions"])
        function.reserved_concurrency = params["ReservedConcurrentExecutions"]
        function.save(update_fields=["reserved_concurrency"])
        return {"ReservedConcurrentExecutions": function.reserved_concurrency}

    def get_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params)
        if function.reserved_concurrency is None:
            return {}
        return {"ReservedConcurrentExecutions": function.reserved_concurrency}

    def delete_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        function.reserved_concurrency = None
        function.save(update_fields=["reserved_concurrency"])
        return {}

    def put_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function(ctx, params, lock=True)
        if "MaximumRetryAttempts" in params:
            function.max_retries = params["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in params:
            function.max_event_age = params["MaximumEventAgeInSeconds"]
        destinations = params.get("DestinationConfig") or {}
        function.on_success = (destinations.get("OnSuccess") or {}).get("Destination", "")
        function.on_failure = (destinations.get("OnFailure") or {}).get("Destination", "")
        function.save()
        return self._event_invoke_config(ctx, function)

    def get_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._event_invoke_config(ctx, _function(ctx, params))

    def _event_invoke_config(self, ctx: RequestContext, function: Function) -> dict[str, Any]:
        destinations: dict[str, Any] = {}
        if function.on_success:
            destinations["OnSuccess"] = {"Destination": function.on_success}
        if function.on_failure:
            destinations["OnFailure"] = {"Destination": function.on_failure}
        return {
            "LastModified": function.last_modified, "FunctionArn": f"{function.arn}:$LATEST",
            "MaximumRetryAttempts": function.max_retries, "MaximumEventAgeInSeconds": function.max_event_age,
            "DestinationConfig": destinations,
        }  # fmt: skip

    # --- resource policy -----------------------------------------------------------------------

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return permissions.permission_add(function=_function(ctx, params, lock=True), params=params)

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        permissions.permission_remove(
            function=_function(ctx, params, lock=True), sid=params["StatementId"], revision_id=params.get("RevisionId")
        )
        return {}

    def get_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return permissions.policy_get(function=_function(ctx, params))

    # --- tags ----------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function_by_resource(ctx, params["Resource"])
        function.tags = {**function.tags, **params["Tags"]}
        function.save(update_fields=["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function = _function_by_resource(ctx, params["Resource"])
        function.tags = {k: v for k, v in function.tags.items() if k not in set(params["TagKeys"])}
        function.save(update_fields=["tags"])
        return {}

    def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(_function_by_resource(ctx, params["Resource"]).tags)}

    # --- event source mappings -----------------------------------------------------------------

    def create_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = mappings.mapping_create(function=_function(ctx, params), params=params, now=ctx.now)
        return mappings.description(mapping, now=ctx.now)

    def get_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return mappings.description(mappings.find(sandbox=ctx.sandbox, mapping_uuid=params["UUID"]), now=ctx.now)

    def update_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = mappings.find(sandbox=ctx.sandbox, mapping_uuid=params["UUID"])
        return mappings.description(mappings.mapping_update(mapping=mapping, params=params, now=ctx.now), now=ctx.now)

    def delete_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = mappings.find(sandbox=ctx.sandbox, mapping_uuid=params["UUID"])
        return mappings.mapping_delete(mapping=mapping, now=ctx.now)

    def list_event_source_mappings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rows = EventSourceMapping.objects.filter(sandbox=ctx.sandbox, region=ctx.region).select_related("function")
        if params.get("FunctionName"):
            rows = rows.filter(function=_function(ctx, params))
        if params.get("EventSourceArn"):
            rows = rows.filter(source_arn=params["EventSourceArn"])
        return {"EventSourceMappings": [mappings.description(row, now=ctx.now) for row in rows.order_by("id")]}

    def get_account_settings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        used = Function.objects.filter(sandbox=ctx.sandbox).values_list("code_size", flat=True)
        return {
            "AccountLimit": {
                "TotalCodeSize": functions.CODE_STORAGE_BYTES, "CodeSizeUnzipped": functions.MAX_UNZIPPED,
                "CodeSizeZipped": 52428800, "ConcurrentExecutions": concurrency.ACCOUNT_LIMIT,
                "UnreservedConcurrentExecutions": concurrency.unreserved(sandbox_id=ctx.sandbox.pk, region=ctx.region),
            },
            "AccountUsage": {"TotalCodeSize": sum(used), "FunctionCount": len(used)},
        }  # fmt: skip
