"""EC2 DescribeInstances with 500 instances, and RunInstances of one instance, calls per second
from one boto3 client, our server against moto's, in one run. Target: ours at least 2x moto for
DescribeInstances (the issue's figure); RunInstances is reported for perspective.

Both servers get 500 instances first (RunInstances, 50 at a time, each with a Name tag), then
DescribeInstances is called with no filter (every reservation, every instance) and with a tag
filter that matches one instance. Our server keeps instances, tags and security groups as rows and
builds each answer from them, records every call (ApiCall row and api.call event) and publishes a
resource event per launched instance; moto keeps everything in process memory. RunInstances keeps
adding instances during its measured slices, so DescribeInstances is measured first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.timing import Call, Rate

TARGET = 2.0
MIB = 1024 * 1024
INSTANCES = 500
AMI = "ami-0c02fb55956c7d316"  # in our catalogue (services/ec2/images.py); moto accepts any ami-


def _calls(server: Server) -> dict[str, Call]:
    client = server.client("ec2")
    for batch in range(INSTANCES // 50):
        tags = [{"Key": "batch", "Value": str(batch)}]
        client.run_instances(
            ImageId=AMI, MinCount=50, MaxCount=50, InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )  # fmt: skip
    first = client.describe_instances(MaxResults=5)["Reservations"][0]["Instances"][0]["InstanceId"]
    client.create_tags(Resources=[first], Tags=[{"Key": "Name", "Value": "needle"}])

    def describe_all() -> Any:
        answer = client.describe_instances()
        found = sum(len(reservation["Instances"]) for reservation in answer["Reservations"])
        if found < INSTANCES:
            raise RuntimeError(f"DescribeInstances answered {found} instances, not {INSTANCES}")
        return answer

    def describe_tag() -> Any:
        return client.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["needle"]}])

    def run_one() -> Any:
        return client.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro")

    return {"describe_all": describe_all, "describe_tag": describe_tag, "run_one": run_one}


OPERATIONS = {
    "describe_all": "DescribeInstances (500) calls/s",
    "describe_tag": "DescribeInstances tag filter calls/s",
    "run_one": "RunInstances (1) calls/s",
}


@bench("ec2", "boto3 ec2 DescribeInstances over 500 instances and RunInstances calls/s, 1 client: ours vs moto (>= 2x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="ec2",
        title=(
            f"ec2: boto3 DescribeInstances over {INSTANCES} instances (all, and one tag filter) and RunInstances "
            f"of 1, 1 client, {options.seconds:g} s per target and operation in {options.rounds} interleaved "
            f"rounds (our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    rates = measure_operations(
        report, servers, lambda name, server: _calls(server), OPERATIONS, options=options, warm_calls=5
    )

    def per_target(operation: str, read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        found = rates.get(operation, {})
        return {name: read(found[name]) if name in found and found[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        label: per_target(operation, lambda rate: rate.calls_per_second) for operation, label in OPERATIONS.items()
    }
    for operation, label in OPERATIONS.items():
        short = label.removesuffix(" calls/s")
        report.rows[f"{short} p50 ms"] = per_target(operation, lambda rate: _ms(rate.percentile(50)))
        report.rows[f"{short} server CPU ms/call"] = per_target(operation, lambda rate: _ms(rate.server_cpu_per_call))
    report.rows["peak RSS MiB"] = {name: None if value is None else value / MIB for name, value in rss.items()}
    rows = report.rows
    report.ratios = [
        Ratio(f"{OPERATIONS['describe_all']} ours/moto",
              ratio(rows[OPERATIONS["describe_all"]]["ours"], rows[OPERATIONS["describe_all"]]["moto"]), TARGET),
        Ratio(f"{OPERATIONS['describe_tag']} ours/moto",
              ratio(rows[OPERATIONS["describe_tag"]]["ours"], rows[OPERATIONS["describe_tag"]]["moto"]), TARGET),
    ]  # fmt: skip
    report.details = {
        "targets": {
            operation: {name: rate.summary() for name, rate in found.items()} for operation, found in rates.items()
        },
        "peak_rss_bytes": rss,
        "urls": {name: server.url for name, server in servers.items()},
        "instances": INSTANCES,
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
