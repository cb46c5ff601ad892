"""VPC Flow Logs to S3 or CloudWatch Logs.

A flow log covers a network interface, a subnet (its instances' interfaces) or a VPC (every
interface in it). traffic.py records each simulated flow, once per covering flow log and interface,
when the flow log's TrafficType takes its action (`record`). Every MaxAggregationInterval (60 or
600 s of sandbox time) the tick delivers what was captured, as AWS does:

- to S3: a gzip file with a header line of field names and one line per record, under
  `[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/`, through S3's public door as
  the service principal delivery.logs.amazonaws.com (the bucket policy must allow it);
- to CloudWatch Logs: one log event per record in the log group, in a stream per network
  interface named by its ID, through Logs' public door (the group is made when missing, as the
  delivery role would make it), with what the flow log watches (the VPC, the subnet, or the
  instance of the interface) as the writer: Logs' diagram draws that edge to the group (`writer`;
  named at creation when the group exists already, forgotten when the flow log is deleted).

An interface the flow log covers that had no traffic in the interval gets a NODATA record; one
with more than MAX_RECORDS records in an interval keeps the first ones and gets a SKIPDATA record
(AWS: records skipped for capacity).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import secrets
from typing import Any

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.ec2 import common, network
from services.ec2.exceptions import InvalidParameterValue, MissingParameter
from services.ec2.models import TERMINATED, FlowLog, FlowRecord, Instance
from services.logs.public import LogsError, events_write, writer_add, writer_remove
from services.s3.public import AccessDenied, bucket_exists, object_write

DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
FIELDS = frozenset({
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
    "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id", "type", "pkt-srcaddr",
    "pkt-dstaddr", "region", "az-id", "flow-direction", "tcp-flags",
})  # fmt: skip
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
MAX_RECORDS = 1000  # per interface and interval; more are skipped (SKIPDATA)
PRINCIPAL = "delivery.logs.amazonaws.com"
FIELD = re.compile(r"\$\{([a-z0-9-]+)\}")


def _fields_of(log_format: str) -> list[str]:
    names = FIELD.findall(log_format)
    unknown = [name for name in names if name not in FIELDS]
    if unknown or not names:
        raise InvalidParameterValue(f"Unknown fields provided: {', '.join('${' + n + '}' for n in unknown)}")
    return names


def _resource_exists(sandbox: Sandbox, region: str, kind: str, resource_id: str) -> None:
    if kind == "VPC":
        network.vpc_get(sandbox=sandbox, region=region, vpc_id=resource_id)
    elif kind == "Subnet":
        network.subnet_get(sandbox=sandbox, region=region, subnet_id=resource_id)
    elif not Instance.objects.filter(sandbox=sandbox, region=region, eni_id=resource_id).exists():
        raise InvalidParameterValue(
            f"The networkInterface ID '{resource_id}' does not exist", code="InvalidNetworkInterfaceID.NotFound"
        )


def flow_logs_create(
    *, sandbox: Sandbox, region: str, resource_ids: list[str], kind: str, traffic_type: str | None,
    destination_type: str | None, destination: str | None, log_format: str | None, interval: int | None,
    group_name: str | None = None, permission_arn: str | None = None, now: dt.datetime,
) -> tuple[list[str], list[dict[str, Any]]]:  # fmt: skip
    """(the new flow log IDs, the Unsuccessful entries) as CreateFlowLogs answers them."""
    if kind not in ("VPC", "Subnet", "NetworkInterface"):
        raise InvalidParameterValue(f"Value ({kind}) for parameter resourceType is invalid.")
    destination_type = destination_type or "cloud-watch-logs"
    if destination_type not in ("s3", "cloud-watch-logs"):
        raise InvalidParameterValue(
            f"Only LogDestinationType s3 and cloud-watch-logs are emulated (not {destination_type})."
        )
    if not traffic_type:
        raise MissingParameter("The request must contain the parameter TrafficType")
    if interval not in (None, 60, 600):
        raise InvalidParameterValue("Invalid value for MaxAggregationInterval. Valid values are 60 and 600.")
    log_format = log_format or DEFAULT_FORMAT
    _fields_of(log_format)
    bucket = ""
    if destination_type == "s3":
        if permission_arn:
            raise InvalidParameterValue(
                "DeliverLogsPermissionArn is not applicable for s3 delivery", code="InvalidParameter"
            )
        if not destination:
            raise MissingParameter("The request must contain the parameter LogDestination")
        match = re.match(r"^arn:aws:s3:::([^/]+)(/.*)?$", destination)
        if not match:
            raise InvalidParameterValue(f"LogDestination: {destination} is not a valid S3 bucket ARN.")
        bucket = match.group(1)
    else:
        if group_name and destination:
            raise InvalidParameterValue(
                "Please only provide LogGroupName or only provide LogDestination.", code="InvalidParameterCombination"
            )
        if destination:
            match = re.match(r"^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(:\*)?$", destination)
            if not match:
                raise InvalidParameterValue(
                    f"LogDestination: {destination} is not a valid CloudWatch Logs log group ARN."
                )
            group_name = match.group(1)
        if not group_name:
            raise MissingParameter("The request must contain the parameter LogGroupName or LogDestination")
        if not permission_arn:
            raise InvalidParameterValue(
                "DeliverLogsPermissionArn is required for cloud-watch-logs delivery", code="InvalidParameter"
            )
        if not re.match(r"^arn:aws:iam::\d{12}:role/.+", permission_arn):
            raise InvalidParameterValue(f"Invalid value '{permission_arn}' for DeliverLogsPermissionArn.")
        destination = group_name
    created: list[str] = []
    unsuccessful: list[dict[str, Any]] = []
    for resource_id in resource_ids:
        _resource_exists(sandbox, region, kind, resource_id)
        if bucket and not bucket_exists(sandbox=sandbox, bucket=bucket):
            missing = f"LogDestination: {bucket} does not exist."
            unsuccessful.append({"ResourceId": resource_id, "Error": {"Code": "400", "Message": missing}})
            continue
        same = FlowLog.objects.filter(
            sandbox=sandbox, region=region, resource_id=resource_id, traffic_type=traffic_type, destination=destination
        )
        if same.exists():
            unsuccessful.append({"ResourceId": resource_id, "Error": {
                "Code": "FlowLogAlreadyExists",
                "Message": "There is an existing Flow Log with the same configuration and log destination.",
            }})  # fmt: skip
            continue
        flow_log = FlowLog.objects.create(
            sandbox=sandbox, region=region, flow_log_id=common.new_id("fl"), resource_id=resource_id,
            traffic_type=traffic_type, destination_type=destination_type, destination=destination,
            permission_arn=permission_arn or "", log_format=log_format, interval=interval or 600,
            created_at=now, deliver_at=now + dt.timedelta(seconds=interval or 600),
        )  # fmt: skip
        if destination_type == "cloud-watch-logs":  # an existing group shows its edge at once
            writer_add(sandbox=sandbox, region=region, group_name=destination, writer_arn=writer(sandbox, flow_log))
        created.append(flow_log.flow_log_id)
    return created, unsuccessful


def flow_logs_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(FlowLog.objects.filter(sandbox=sandbox, region=region))
    if ids:
        rows = [row for row in rows if row.flow_log_id in ids]

    def fields(row: FlowLog) -> common.Fields:
        return {"flow-log-id": [row.flow_log_id], "resource-id": [row.resource_id], "traffic-type": [row.traffic_type],
                "log-destination-type": [row.destination_type],
                "deliver-log-status": ["FAILED" if row.delivery_error else "SUCCESS"]}  # fmt: skip

    known = ("flow-log-id", "resource-id", "traffic-type", "log-destination-type", "deliver-log-status")
    views = []
    for row in common.select(rows, filters, fields, known):
        view: dict[str, Any] = {
            "CreationTime": row.created_at, "FlowLogId": row.flow_log_id, "FlowLogStatus": "ACTIVE",
            "ResourceId": row.resource_id, "TrafficType": row.traffic_type, "LogDestinationType": row.destination_type,
            "LogDestination": row.destination, "LogFormat": row.log_format, "MaxAggregationInterval": row.interval,
            "DeliverLogsStatus": "FAILED" if row.delivery_error else "SUCCESS",
        }  # fmt: skip
        if row.destination_type == "cloud-watch-logs":
            view["LogGroupName"] = row.destination
            view["LogDestination"] = f"arn:aws:logs:{row.region}:{sandbox.account_id}:log-group:{row.destination}"
            view["DeliverLogsPermissionArn"] = row.permission_arn
        if row.delivery_error:
            view["DeliverLogsErrorMessage"] = row.delivery_error
        views.append(view)
    return views


def flow_logs_delete(*, sandbox: Sandbox, region: str, ids: list[str]) -> list[dict[str, Any]]:
    unsuccessful = []
    for flow_log_id in ids:
        flow_log = FlowLog.objects.filter(sandbox=sandbox, region=region, flow_log_id=flow_log_id).first()
        if flow_log is None or not FlowLog.objects.filter(pk=flow_log.pk).delete()[0]:
            unsuccessful.append({"ResourceId": flow_log_id, "Error": {
                "Code": "InvalidFlowLogId.NotFound",
                "Message": f"Flow log ID '{flow_log_id}' does not exist"}})  # fmt: skip
            continue
        if flow_log.destination_type == "cloud-watch-logs" and not _still_writes(flow_log):
            writer_remove(sandbox=sandbox, region=region, group_name=flow_log.destination,
                          writer_arn=writer(sandbox, flow_log))  # fmt: skip
    return unsuccessful


def _still_writes(flow_log: FlowLog) -> bool:
    """Whether another flow log of the same resource delivers to the same log group."""
    return FlowLog.objects.filter(
        sandbox_id=flow_log.sandbox_id, region=flow_log.region, resource_id=flow_log.resource_id,
        destination_type=flow_log.destination_type, destination=flow_log.destination,
    ).exists()  # fmt: skip


def writer(sandbox: Sandbox, flow_log: FlowLog) -> str:
    """The ARN of what the flow log watches, the diagram's node that writes its records: the VPC,
    the subnet, or the instance of the network interface."""
    prefix = f"arn:aws:ec2:{flow_log.region}:{sandbox.account_id}:"
    if flow_log.resource_id.startswith("vpc-"):
        return f"{prefix}vpc/{flow_log.resource_id}"
    if flow_log.resource_id.startswith("subnet-"):
        return f"{prefix}subnet/{flow_log.resource_id}"
    instance_id = (
        Instance.objects.filter(sandbox=sandbox, region=flow_log.region, eni_id=flow_log.resource_id)
        .values_list("instance_id", flat=True)
        .first()
    )
    return f"{prefix}instance/{instance_id or flow_log.resource_id}"


# Capture and delivery ----------------------------------------------------------------------------


def covering(sandbox: Sandbox, instance: Instance) -> list[FlowLog]:
    ids = [instance.eni_id, instance.subnet.subnet_id, instance.subnet.vpc.vpc_id]
    return list(FlowLog.objects.filter(sandbox=sandbox, region=instance.region, resource_id__in=ids))


def record(sandbox: Sandbox, instance: Instance, *, fields: dict[str, Any], action: str, now: dt.datetime) -> None:
    """Capture one flow record on the instance's interface for every flow log that covers it and
    takes its action."""
    for flow_log in covering(sandbox, instance):
        if flow_log.traffic_type in ("ALL", action):
            FlowRecord.objects.create(sandbox=sandbox, flow_log=flow_log, fields=fields, captured_at=now)


def _interfaces(flow_log: FlowLog) -> list[Instance]:
    """The interfaces a flow log covers (of instances not terminated)."""
    rows = Instance.objects.filter(sandbox_id=flow_log.sandbox_id, region=flow_log.region).exclude(state=TERMINATED)
    if flow_log.resource_id.startswith("eni-"):
        rows = rows.filter(eni_id=flow_log.resource_id)
    elif flow_log.resource_id.startswith("subnet-"):
        rows = rows.filter(subnet__subnet_id=flow_log.resource_id)
    else:
        rows = rows.filter(subnet__vpc__vpc_id=flow_log.resource_id)
    return list(rows.select_related("subnet__vpc").order_by("id"))


def _status_record(
    sandbox: Sandbox, flow_log: FlowLog, instance: Instance, status: str, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:  # fmt: skip
    """A NODATA or SKIPDATA record: the interface's own fields, "-" for the flow's."""
    return {
        "version": 2, "account-id": sandbox.account_id, "interface-id": instance.eni_id,
        "start": int(start.timestamp()), "end": int(end.timestamp()), "log-status": status,
        "vpc-id": instance.subnet.vpc.vpc_id, "subnet-id": instance.subnet.subnet_id,
        "instance-id": instance.instance_id, "region": flow_log.region,
        "az-id": network.zone_id(instance.subnet.availability_zone),
    }  # fmt: skip


def deliver_due(sandbox: Sandbox, now: dt.datetime) -> None:
    for flow_log in FlowLog.objects.filter(sandbox=sandbox, deliver_at__lte=now).order_by("id"):
        window_end = flow_log.deliver_at
        while window_end + dt.timedelta(seconds=flow_log.interval) <= now:
            window_end += dt.timedelta(seconds=flow_log.interval)
        claimed = FlowLog.objects.filter(pk=flow_log.pk, deliver_at=flow_log.deliver_at).update(
            deliver_at=window_end + dt.timedelta(seconds=flow_log.interval)
        )
        if not claimed:
            continue
        window_start = window_end - dt.timedelta(seconds=flow_log.interval)
        records = list(flow_log.records.filter(captured_at__lte=window_end).order_by("id"))
        by_interface: dict[str, list[dict[str, Any]]] = {}
        for row in records:
            by_interface.setdefault(str(row.fields.get("interface-id")), []).append(row.fields)
        lines: list[dict[str, Any]] = []
        for instance in _interfaces(flow_log):
            captured = by_interface.pop(instance.eni_id, [])
            if not captured:
                lines.append(_status_record(sandbox, flow_log, instance, "NODATA", window_start, window_end))
                continue
            lines.extend(captured[:MAX_RECORDS])
            if len(captured) > MAX_RECORDS:
                lines.append(_status_record(sandbox, flow_log, instance, "SKIPDATA", window_start, window_end))
        for rest in by_interface.values():  # interfaces gone since (terminated)
            lines.extend(rest[:MAX_RECORDS])
        if lines:
            if flow_log.destination_type == "cloud-watch-logs":
                _write_logs(sandbox, flow_log, lines, window_end)
            else:
                _write(sandbox, flow_log, lines, window_end)
        FlowRecord.objects.filter(pk__in=[row.pk for row in records]).delete()


def _line(names: list[str], fields: dict[str, Any]) -> str:
    return " ".join(str(fields.get(name, "-")) for name in names)


def _failed(flow_log: FlowLog, error: str) -> None:
    if error != flow_log.delivery_error:
        FlowLog.objects.filter(pk=flow_log.pk).update(delivery_error=error)


def _write_logs(sandbox: Sandbox, flow_log: FlowLog, records: list[dict[str, Any]], at: dt.datetime) -> None:
    """One event per record, in the stream named by its interface's ID."""
    names = _fields_of(flow_log.log_format)
    streams: dict[str, list[tuple[int, str]]] = {}
    for fields in records:
        streams.setdefault(str(fields["interface-id"]), []).append((int(fields["start"]) * 1000, _line(names, fields)))
    error = ""
    for stream, batch in streams.items():
        try:
            events_write(
                sandbox=sandbox, region=flow_log.region, group_name=flow_log.destination, stream_name=stream,
                events=batch, now=at, writer_arn=writer(sandbox, flow_log),
            )  # fmt: skip
        except LogsError as problem:
            error = f"Unknown error: {problem.code}"
    _failed(flow_log, error)


def _write(sandbox: Sandbox, flow_log: FlowLog, records: list[dict[str, Any]], at: dt.datetime) -> None:
    names = _fields_of(flow_log.log_format)
    lines = [" ".join(names)] + [_line(names, fields) for fields in records]
    body = gzip.compress(("\n".join(lines) + "\n").encode())
    bucket, _, prefix = flow_log.destination.removeprefix("arn:aws:s3:::").partition("/")
    account, region, utc = sandbox.account_id, flow_log.region, at.astimezone(dt.UTC)
    key = (
        f"{prefix.strip('/') + '/' if prefix.strip('/') else ''}AWSLogs/{account}/vpcflowlogs/{region}/"
        f"{utc:%Y/%m/%d}/{account}_vpcflowlogs_{region}_{flow_log.flow_log_id}_{utc:%Y%m%dT%H%MZ}_"
        f"{secrets.token_hex(4)}.log.gz"
    )
    arn = f"arn:aws:ec2:{region}:{account}:vpc-flow-log/{flow_log.flow_log_id}"
    try:
        object_write(
            sandbox=sandbox, bucket=bucket, key=key, body=body, now=at, content_type="application/octet-stream",
            service_principal=PRINCIPAL, source_arn=arn,
        )  # fmt: skip
        error = ""
    except AccessDenied:
        error = "Access error"
    except AwsError as problem:  # the bucket is gone: AWS reports it on the flow log
        error = f"Unknown error: {problem.code}"
    _failed(flow_log, error)
