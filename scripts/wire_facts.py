"""Write playground/gateway/wire/<api>.json: what the gateway must know about the older wire forms of
an AWS API (its client generations), taken from a botocore release that shipped each form (the one
a pinned old client bundles, requirements/aws-cli-*.txt).

    .venv/bin/python scripts/wire_facts.py            # download the botocore wheels, rewrite the files
    .venv/bin/python scripts/wire_facts.py --check    # exit 1 when a committed file differs
    .venv/bin/python scripts/wire_facts.py --local    # read the old clients' botocore in .venv/clients
                                                      # instead of downloading (what the suite does)

Only the facts a wire protocol reads are kept, never a whole model: the protocol metadata, and per
operation and shape the serialization traits (locationName, flattened, queryName, xmlNamespace,
xmlAttribute, resultWrapper, location). The gateway lays them over the current botocore model
(playground/gateway/generations.py); the format is described in playground/gateway/wire/README.md.

To add a generation when a future botocore moves an API to another protocol: add an entry to
GENERATIONS naming a botocore release with the old form, the newest one (and the clients that bundle it),
run this script, and commit the file it writes (docs/client-generations.md).
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIRE_DIR = ROOT / "playground" / "gateway" / "wire"
CLIENTS_DIR = ROOT / ".venv" / "clients"

# The keys of a model that say how values travel on the wire. The gateway replaces the current
# model's with a generation's (playground/gateway/generations.py has the same lists).
METADATA_KEYS = ("protocol", "protocols", "jsonVersion", "targetPrefix", "xmlNamespace", "awsQueryCompatible")
REF_KEYS = ("location", "locationName", "flattened", "queryName", "xmlNamespace", "xmlAttribute", "resultWrapper")
# A rest generation's operations are told apart by their HTTP binding as well.
REST_OPERATION_KEYS = ("http",)


@dataclass(frozen=True)
class FromBotocore:
    """A generation whose facts are read from an older botocore's model of the API."""

    protocol: str
    botocore: str
    clients: str
    note: str  # what this model is, for the _source line


@dataclass(frozen=True)
class Encoding:
    """A generation that speaks the current model in another encoding: no model facts of its own."""

    protocol: str
    clients: str
    source: str


GENERATIONS: dict[str, list[FromBotocore | Encoding]] = {
    "sqs": [
        FromBotocore(
            protocol="query",
            botocore="1.34.20",
            clients=(
                "awscli 1.32 and boto3/botocore up to 1.34 (early 2024), the AWS SDK for Java v1 and other SDKs "
                "generated before SQS moved to JSON 1.0: form posts with Action=..., answered in XML with the "
                "2012-11-05 element names (<Message>, <Attribute><Name/><Value/></Attribute>, ...)"
            ),
            note="the query-protocol SQS model that awscli 1.32.20 bundles",
        ),
    ],
    "athena": [
        FromBotocore(
            protocol="json",
            botocore="1.35.85",
            clients=(
                "awscli 1.36 / boto3 1.35 (end of 2024) and every SDK generated before Athena moved to "
                "rest-json: POST / with X-Amz-Target: AmazonAthena.<Operation>, JSON 1.1 bodies"
            ),
            note="the JSON 1.1 Athena model that awscli 1.36.26 bundles",
        ),
    ],
    "kinesis": [
        Encoding(
            protocol="json-cbor",
            clients=(
                "the AWS SDK for Java v1 and v2 with CBOR on (their default) and the Kinesis Client Library: "
                "AWS JSON 1.1 requests (X-Amz-Target: Kinesis_20131202.<Operation>) encoded as CBOR, "
                "Content-Type: application/x-amz-cbor-1.1"
            ),
            source=(
                "aws-sdk-java-v2 core/protocols/aws-cbor-protocol: AwsCborProtocolFactory (content type "
                "application/x-amz-cbor-1.1, payload timestamps UNIX_TIMESTAMP_MILLIS) and SdkCborGenerator "
                "(a timestamp is CBOR tag 1 holding epoch milliseconds); aws-sdk-java v1 SdkCborGenerator does the same"
            ),
        ),
    ],
}

# The codes and statuses the query protocol gave an API's errors. JSON answers of an
# awsQueryCompatible API carry them too (x-amzn-query-error), so they hold for every generation.
# botocore's SQS models since its move to JSON no longer carry them; AWS's Smithy model does.
QUERY_ERRORS: dict[str, dict[str, Any]] = {
    "sqs": {
        "_source": (
            "AWS's Smithy model of SQS, the @awsQueryError trait of each error shape, as published in "
            "@aws-sdk/client-sqs 3.1178.0 (dist-cjs/index.js, `_aQE`); every shape is a client error "
            "(senderFault). Where botocore 1.34.20's query model has the shape, its error code and status agree."
        ),
        "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
        "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
        "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
        "InvalidAddress": ("InvalidAddress", 404),
        "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
        "InvalidSecurity": ("InvalidSecurity", 403),
        "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
        "KmsDisabled": ("KMS.DisabledException", 400),
        "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
        "KmsInvalidState": ("KMS.InvalidStateException", 400),
        "KmsNotFound": ("KMS.NotFoundException", 400),
        "KmsOptInRequired": ("KMS.OptInRequired", 403),
        "KmsThrottled": ("KMS.ThrottlingException", 400),
        "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
        "OverLimit": ("OverLimit", 403),
        "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
        "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
        "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
        "QueueNameExists": ("QueueAlreadyExists", 400),
        "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
        "RequestThrottled": ("RequestThrottled", 403),
        "ResourceNotFoundException": ("ResourceNotFoundException", 404),
        "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
        "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
    },
}


# --- reading botocore's models ---------------------------------------------------------------------


class Models:
    """service-2.json models of the botocore releases named, from downloaded wheels or, with
    `local`, from the old clients' virtual environments (.venv/clients/*)."""

    def __init__(self, *, local: bool) -> None:
        self.local = local
        self._tmp = tempfile.TemporaryDirectory(prefix="wire-facts-")
        self._roots: dict[str, Path | zipfile.ZipFile] = {}

    def model(self, version: str, service: str) -> dict[str, Any]:
        root = self._roots.get(version) or self._root(version)
        self._roots[version] = root
        if isinstance(root, Path):
            folder = sorted((root / service).iterdir())[-1]  # the newest API version
            path = folder / "service-2.json.gz"
            raw = gzip.decompress(path.read_bytes()) if path.exists() else (folder / "service-2.json").read_bytes()
            return dict(json.loads(raw))
        prefix = f"botocore/data/{service}/"
        names = sorted(name for name in root.namelist() if name.startswith(prefix) and "/service-2.json" in name)
        name = names[-1]
        raw = root.read(name)
        return dict(json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw))

    def _root(self, version: str) -> Path | zipfile.ZipFile:
        if self.local:
            for venv in sorted(CLIENTS_DIR.glob("*")):
                for data in venv.glob("lib/python*/site-packages/botocore/data"):
                    if _installed_version(data.parent) == version:
                        return data
            raise SystemExit(f"no client environment in {CLIENTS_DIR} has botocore {version} (run make setup-dev)")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--dest", self._tmp.name, f"botocore=={version}"],
            check=True,
        )  # fmt: skip
        wheel = next(Path(self._tmp.name).glob(f"botocore-{version}-*.whl"))
        return zipfile.ZipFile(wheel)


def _installed_version(package: Path) -> str:
    for line in (package / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("'\"")
    return ""


# --- extracting the facts --------------------------------------------------------------------------


def _ref_facts(ref: dict[str, Any]) -> dict[str, Any]:
    return {key: ref[key] for key in REF_KEYS if key in ref}


def wire_facts(model: dict[str, Any], protocol: str) -> dict[str, Any]:
    """The wire facts of a botocore model: what the gateway lays over the current model."""
    metadata = {key: model["metadata"][key] for key in METADATA_KEYS if key in model["metadata"]}
    metadata["protocol"] = protocol
    metadata["protocols"] = [protocol]
    operations: dict[str, Any] = {}
    for name, operation in model["operations"].items():
        facts: dict[str, Any] = {}
        for part in ("input", "output"):
            if part in operation and _ref_facts(operation[part]):
                facts[part] = _ref_facts(operation[part])
        if protocol.startswith("rest-"):
            facts.update({key: operation[key] for key in REST_OPERATION_KEYS if key in operation})
        if facts:
            operations[name] = facts
    shapes: dict[str, Any] = {}
    for name, shape in model["shapes"].items():
        facts = _ref_facts(shape)
        for part in ("member", "key", "value"):
            if part in shape and _ref_facts(shape[part]):
                facts[part] = _ref_facts(shape[part])
        members = {member: _ref_facts(ref) for member, ref in shape.get("members", {}).items() if _ref_facts(ref)}
        if members:
            facts["members"] = members
        if facts:
            shapes[name] = facts
    return {"metadata": metadata, "operations": operations, "shapes": shapes}


def _errors(api: str) -> dict[str, Any] | None:
    table = QUERY_ERRORS.get(api)
    if table is None:
        return None
    errors: dict[str, Any] = {"_source": table["_source"]}
    for shape, value in sorted(table.items()):
        if shape != "_source":
            code, status = value
            errors[shape] = {"code": code, "httpStatusCode": status, "senderFault": True}
    return errors


def _check_errors_against(api: str, errors: dict[str, Any], model: dict[str, Any], version: str) -> None:
    """The hand-kept table must agree with what an old botocore model says, where it says anything."""
    for shape, facts in errors.items():
        old = model["shapes"].get(shape, {}).get("error")
        if shape.startswith("_") or not old:
            continue
        if (old.get("code"), old.get("httpStatusCode")) != (facts["code"], facts["httpStatusCode"]):
            raise SystemExit(f"{api}.{shape}: the table says {facts}, botocore {version} says {old}")


def wire_file(api: str, models: Models) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_comment": (
            f"The older wire forms of the AWS API '{api}' that the gateway still answers. "
            "Written by scripts/wire_facts.py; the format is in README.md beside this file."
        ),
    }
    errors = _errors(api)
    if errors is not None:
        document["errors"] = errors
    generations: list[dict[str, Any]] = []
    for generation in GENERATIONS.get(api, []):
        if isinstance(generation, Encoding):
            generations.append(
                {"protocol": generation.protocol, "clients": generation.clients, "_source": generation.source}
            )
            continue
        model = models.model(generation.botocore, api)
        if errors is not None:
            _check_errors_against(api, errors, model, generation.botocore)
        folder = model["metadata"]["apiVersion"]
        generations.append(
            {
                "protocol": generation.protocol,
                "clients": generation.clients,
                "_source": (f"botocore {generation.botocore} data/{api}/{folder}/service-2.json, {generation.note}"),
                "model": wire_facts(model, generation.protocol),
            }
        )
    document["generations"] = generations
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    parser.add_argument("--local", action="store_true", help="read the old clients' botocore in .venv/clients")
    parser.add_argument("apis", nargs="*", help="only these APIs (default: every API listed here)")
    args = parser.parse_args(argv)
    models = Models(local=args.local)
    different = []
    for api in args.apis or sorted(set(GENERATIONS) | set(QUERY_ERRORS)):
        text = render(wire_file(api, models))
        path = WIRE_DIR / f"{api}.json"
        committed = path.read_text() if path.exists() else ""
        if args.check:
            if text != committed:
                different.append(api)
                sys.stdout.writelines(
                    difflib.unified_diff(committed.splitlines(True), text.splitlines(True), str(path), "derived", n=1)
                )
        elif text != committed:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if different:
        print(f"differs from what the script derives: {', '.join(different)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
