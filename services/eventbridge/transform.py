"""What a target receives: the whole event (no input setting), Input (constant JSON text), InputPath
(a JSONPath into the event), or InputTransformer (InputPathsMap's values placed into InputTemplate).

InputTemplate placeholders are `<name>` for the map's keys and the predefined
<aws.events.rule-arn>, <aws.events.rule-name>, <aws.events.event.ingestion-time>,
<aws.events.event> and <aws.events.event.json>. A placeholder inside JSON quotes ("<name>") takes
a string's characters (JSON-escaped, no added quotes); one outside quotes takes the value as JSON.
A template that is not JSON (a sentence) takes strings as they are. A path that finds nothing
gives an empty string inside quotes and null outside.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.eventbridge.models import Rule

PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MISSING = object()


def resolve(path: str, document: Any) -> Any:
    """A simple JSONPath ($, $.a.b, $.a[0].c, $['a-b']) into the document; _MISSING if absent."""
    path = path.strip()
    if not path.startswith("$"):
        raise ValueError(f"InputPath {path} is not valid.")
    current = document
    position = 1
    while position < len(path):
        step = PATH_STEP.match(path, position)
        if step is None:
            raise ValueError(f"InputPath {path} is not valid.")
        position = step.end()
        key, index, quoted = step.groups()
        if index is not None:
            if not isinstance(current, list) or int(index) >= len(current):
                return _MISSING
            current = current[int(index)]
        else:
            name = key if key is not None else quoted
            if not isinstance(current, dict) or name not in current:
                return _MISSING
            current = current[name]
    return current


def _string_spans(template: str) -> list[tuple[int, int]]:
    """Where the template's JSON string literals lie (start and end offsets, quotes included)."""
    spans: list[tuple[int, int]] = []
    opened = -1
    index = 0
    while index < len(template):
        char = template[index]
        if char == "\\" and opened >= 0:
            index += 2
            continue
        if char == '"':
            if opened < 0:
                opened = index
            else:
                spans.append((opened, index))
                opened = -1
        index += 1
    return spans


def _fill(template: str, values: dict[str, Any]) -> str:
    is_json = template.lstrip().startswith(("{", "["))
    spans = _string_spans(template) if is_json else []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if not is_json:
            if value is _MISSING:
                return ""
            return value if isinstance(value, str) else json.dumps(value)
        if any(start < match.start() and match.end() <= end for start, end in spans):
            if value is _MISSING:
                return ""
            text = value if isinstance(value, str) else json.dumps(value)
            return json.dumps(text)[1:-1]
        return "null" if value is _MISSING else json.dumps(value)

    return PLACEHOLDER.sub(replace, template)


def payload_for(config: dict[str, Any], *, event: dict[str, Any], rule: Rule) -> str:
    if config.get("Input") is not None:
        return str(config["Input"])
    if config.get("InputPath"):
        found = resolve(config["InputPath"], event)
        return "null" if found is _MISSING else json.dumps(found)
    transformer = config.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {
            name: resolve(str(path), event) for name, path in (transformer.get("InputPathsMap") or {}).items()
        }
        values.update(
            {
                "aws.events.rule-arn": rule.arn,
                "aws.events.rule-name": rule.name,
                "aws.events.event.ingestion-time": event.get("time", ""),
                "aws.events.event": event,
                "aws.events.event.json": event,
            }
        )
        return _fill(str(transformer.get("InputTemplate", "")), values)
    return json.dumps(event)
