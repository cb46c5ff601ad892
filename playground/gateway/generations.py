"""Client generations: the older wire forms of an AWS API that SDKs and CLIs in the wild still send.

botocore ships one model per API, the newest. But clients of several years are in use at once, and
AWS answers each in the form its model expects: an awscli from early 2024 posts SQS query forms and
reads `<Message>` elements; one from late 2024 sends Athena JSON 1.1 with X-Amz-Target; the Java
SDK sends Kinesis AWS JSON encoded as CBOR. A *generation* is such a form: a wire protocol and the
model facts it was spoken with. The facts live as data in `wire/<api>.json` (see its README.md),
written by scripts/wire_facts.py from the botocore release that last shipped them; this module
only reads them and lays them over the current model's JSON, so the protocol modules keep reading
nothing but botocore models.

    current model (botocore)  --strip wire facts-->  --merge generation facts-->  --merge errors-->  model

LIMITATIONS:
- Facts are keyed by shape and member name: a shape the current model renamed loses its old wire
  traits in the generation (none of today's generations has one).
- A generation's model has the current model's operations: an operation added since is answered
  in the old form too, with no wire traits of its own; one removed since is unknown to it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

WIRE_DIR = Path(__file__).resolve().parent / "wire"

# The model keys that say how values travel on the wire (scripts/wire_facts.py keeps the same).
METADATA_KEYS = ("protocol", "protocols", "jsonVersion", "targetPrefix", "xmlNamespace", "awsQueryCompatible")
REF_KEYS = ("location", "locationName", "flattened", "queryName", "xmlNamespace", "xmlAttribute", "resultWrapper")


@dataclass(frozen=True)
class Generation:
    api: str  # botocore service name
    protocol: str  # the gateway protocol it speaks (protocols.get_protocol)
    clients: str  # who sends it
    source: str  # where its facts come from
    facts: Mapping[str, Any] | None  # its wire facts; None: the current model's, in another encoding


def _read(name: str) -> dict[str, Any]:
    path = WIRE_DIR / name
    if not path.is_file():
        return {}
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@cache
def course_apis() -> tuple[str, ...]:
    """The APIs the course's services are called by (wire/catalog.json)."""
    return tuple(_read("catalog.json").get("apis", ()))


@cache
def _wire_file(api: str) -> dict[str, Any]:
    return _read(f"{api}.json")


def generations(api: str) -> tuple[Generation, ...]:
    """The API's older wire forms, as wire/<api>.json lists them (none for most APIs)."""
    return tuple(
        Generation(
            api=api,
            protocol=entry["protocol"],
            clients=entry.get("clients", ""),
            source=entry.get("_source", ""),
            facts=entry.get("model"),
        )
        for entry in _wire_file(api).get("generations", ())
    )


def error_facts(api: str) -> dict[str, dict[str, Any]]:
    """Error shape -> its `error` facts (query code, HTTP status, sender fault) for every generation."""
    errors = _wire_file(api).get("errors", {})
    return {name: facts for name, facts in errors.items() if not name.startswith("_")}


# --- building a generation's model -----------------------------------------------------------------


def _refs(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every place of a model JSON that can carry wire traits: operation inputs and outputs, shapes,
    and the member, key, value and structure member references inside shapes."""
    for operation in model.get("operations", {}).values():
        for part in ("input", "output"):
            if isinstance(operation.get(part), dict):
                yield operation[part]
    for shape in model.get("shapes", {}).values():
        yield shape
        for part in ("member", "key", "value"):
            if isinstance(shape.get(part), dict):
                yield shape[part]
        yield from shape.get("members", {}).values()


def _strip(model: dict[str, Any]) -> None:
    for key in METADATA_KEYS:
        model["metadata"].pop(key, None)
    for ref in _refs(model):
        for key in REF_KEYS:
            ref.pop(key, None)


# Keys that lead to another reference (recursed into, only where the current model has it); any
# other key of a reference is a fact, set as a whole (xmlNamespace may be an object, http is one).
_NESTED = ("input", "output", "member", "key", "value")


def _apply_ref(target: dict[str, Any], facts: Mapping[str, Any]) -> None:
    for key, value in facts.items():
        if key.startswith("_"):
            continue
        if key == "members":
            members = target.get("members", {})
            for name, ref in value.items():
                if name in members:
                    _apply_ref(members[name], ref)
        elif key in _NESTED:
            if isinstance(target.get(key), dict):
                _apply_ref(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _apply(model: dict[str, Any], facts: Mapping[str, Any]) -> None:
    """Merge a generation's facts in. Facts about an operation, shape or member the current model
    lacks are skipped: they say how things travel, they never add things."""
    for key, value in facts.get("metadata", {}).items():
        if not key.startswith("_"):
            model["metadata"][key] = copy.deepcopy(value)
    for section in ("operations", "shapes"):
        for name, entry in facts.get(section, {}).items():
            if name in model[section]:
                _apply_ref(model[section][name], entry)


def _apply_errors(model: dict[str, Any], api: str) -> None:
    shapes = model["shapes"]
    for name, facts in error_facts(api).items():
        shape = shapes.get(name)
        if shape is not None and shape.get("exception"):
            shape["error"] = {**shape.get("error", {}), **facts}


def current_data(api: str, botocore_data: Mapping[str, Any]) -> dict[str, Any]:
    """The current model's JSON with the API's shared error facts: what every current protocol reads."""
    if not error_facts(api):
        return dict(botocore_data)  # nothing to add: spare the copy (EC2's model is large)
    model = copy.deepcopy(dict(botocore_data))
    _apply_errors(model, api)
    return model


def generation_data(generation: Generation, botocore_data: Mapping[str, Any]) -> dict[str, Any]:
    """The model JSON a generation's clients were generated from, as far as the wire shows it."""
    model = copy.deepcopy(dict(botocore_data))
    if generation.facts is not None:
        _strip(model)
        _apply(model, generation.facts)
    model["metadata"]["protocol"] = generation.protocol
    model["metadata"]["protocols"] = [generation.protocol]
    _apply_errors(model, generation.api)
    return model
