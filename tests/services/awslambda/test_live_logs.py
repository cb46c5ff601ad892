"""A function's log goes to CloudWatch Logs: group /aws/lambda/<name>, a stream named as AWS names
it, START, the handler's output, END and REPORT as events."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def test_invocation_log_lands_in_cloudwatch_logs(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str]
) -> None:
    name = make_function("def handler(event, context):\n    print('hello from', context.log_stream_name)\n")
    lam.invoke(FunctionName=name, Payload=b"{}")
    logs = aws("logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(streams) == 1
    stream = streams[0]["logStreamName"]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
    messages = [e["message"] for e in logs.get_log_events(logGroupName=f"/aws/lambda/{name}",
                                                          logStreamName=stream)["events"]]  # fmt: skip
    assert messages[0].startswith("START RequestId: ")
    assert messages[1] == f"hello from {stream}"
    assert messages[2].startswith("END RequestId: ")
    assert messages[3].startswith("REPORT RequestId: ")
    assert lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
