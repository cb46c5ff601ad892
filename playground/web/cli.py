"""The aws CLI's names for an AWS service's operations and parameters, as the CLI itself makes them.

The activity panel shows, under each call, the aws CLI command that makes the same call. Its
names are not simply the model's in kebab case: the CLI renames some parameters
(`sns subscribe --notification-endpoint` for Endpoint), turns booleans into a `--flag` /
`--no-flag` pair, and takes lists of strings as several values. So the names come from the
installed awscli package: its driver builds each operation's argument table, with every
customization applied, exactly as when a user runs it. (The CLI in requirements/ is version 1;
version 2 builds the same names for these services.)

    cli_names("sns") -> {"service": "sns", "command": "sns", "operations": {
        "Subscribe": {"command": "subscribe", "options": {
            "TopicArn": {"option": "--topic-arn", "type": "string"},
            "Endpoint": {"option": "--notification-endpoint", "type": "string"},
            "ReturnSubscriptionArn": {"option": "--return-subscription-arn",
                                      "negative": "--no-return-subscription-arn", "type": "boolean"},
            "Attributes": {"option": "--attributes", "type": "map"}, ...}}, ...}}

"type" is the botocore shape's type; a list says its members' type in "member". A parameter the
CLI takes no option for is missing from "options" (the GUI passes such ones with --cli-input-json).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

LOCK = threading.Lock()  # awscli's driver builds its tables lazily, and is not meant for threads


@cache
def _command_table() -> dict[str, Any]:
    import botocore.session
    from awscli.clidriver import CLIDriver
    from awscli.plugin import load_plugins

    session = botocore.session.Session()
    # The CLI's own customizations (the renames above), never plugins from a config file.
    load_plugins({}, event_hooks=session.get_component("event_emitter"))
    driver = CLIDriver(session=session)
    return dict(driver._get_command_table())


def _service_command(service: str) -> Any | None:
    from awscli.clidriver import ServiceCommand

    table = _command_table()
    named = table.get(service)
    if isinstance(named, ServiceCommand) and getattr(named, "_service_name", service) == service:
        return named
    for command in table.values():  # a CLI name of its own: s3 is `aws s3api`
        if isinstance(command, ServiceCommand) and getattr(command, "_service_name", "") == service:
            return command
    return None


def _option(argument: Any) -> dict[str, Any] | None:
    model = getattr(argument, "argument_model", None)
    serialized = getattr(argument, "_serialized_name", None)
    if model is None or not serialized or not getattr(argument, "cli_name", ""):
        return None  # --cli-input-json, --generate-cli-skeleton, a customization's own argument
    option: dict[str, Any] = {"option": argument.cli_name, "type": model.type_name}
    if model.type_name == "list":
        option["member"] = model.member.type_name
    return option


def _operation(operation: Any) -> dict[str, Any]:
    options: dict[str, dict[str, Any]] = {}
    for argument in operation.arg_table.values():
        option = _option(argument)
        if option is None:
            continue
        member = argument._serialized_name
        if getattr(argument, "_action", "") == "store_false":  # --no-<flag> of a boolean pair
            options.setdefault(member, dict(option))["negative"] = argument.cli_name
            continue
        options[member] = {**option, **{k: v for k, v in options.get(member, {}).items() if k == "negative"}}
    return {"command": operation.name, "options": options}


@cache
def cli_names(service: str) -> dict[str, Any] | None:
    """The CLI's command and option names for every operation of a botocore service; None for a
    service the installed CLI does not know."""
    with LOCK:
        command = _service_command(service)
        if command is None:
            return None
        operations: dict[str, Any] = {}
        for operation in command._get_command_table().values():
            model = getattr(operation, "_operation_model", None)
            if model is None:
                continue  # a command of the CLI's own (`aws sqs help`, waiters...)
            operations[model.name] = _operation(operation)
        return {"service": service, "command": command.name, "operations": operations}
