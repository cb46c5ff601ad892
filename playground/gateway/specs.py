"""The AWS service models the gateway speaks, read from botocore (or the project's trimmed models).

Nothing here is written per service: routing, parsing and serialization all read these models.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import botocore.loaders
import botocore.session
from botocore.model import OperationModel, ServiceModel

# Services whose models the gateway loads. A service outside this list is answered with a
# NotImplemented error naming it; a listed service without a provider gets the same per operation.
EMULATED_SERVICES: tuple[str, ...] = (
    "sts",
    "sqs",
    "sns",
    "kms",
    "kinesis",
    "firehose",
    "cloudwatch",
    "logs",
    "events",
    "cloudtrail",
    "athena",
    "emr",
    "redshift",
    "redshift-data",
    "elasticbeanstalk",
    "lambda",
    "ec2",
    "s3",
    "iam",
)

# Models of retired services (no longer in botocore), written for the project.
EXTRA_MODELS_DIR = Path(__file__).resolve().parent / "service_models"


@cache
def _loader() -> botocore.loaders.Loader:
    loader = botocore.session.get_session().get_component("data_loader")
    if EXTRA_MODELS_DIR.is_dir():
        loader.search_paths.append(str(EXTRA_MODELS_DIR))
    return loader


@cache
def service_model(name: str) -> ServiceModel:
    data = _loader().load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)


def signing_name(model: ServiceModel) -> str:
    return model.metadata.get("signingName") or model.metadata["endpointPrefix"]


@cache
def _by_signing_name() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name in EMULATED_SERVICES:
        index.setdefault(signing_name(service_model(name)), []).append(name)
    return index


def services_for_signing_name(name: str) -> list[str]:
    """Botocore service names that sign with this credential-scope service name."""
    return _by_signing_name().get(name, [])


@cache
def _by_target_prefix() -> dict[str, str]:
    index = {}
    for name in EMULATED_SERVICES:
        prefix = service_model(name).metadata.get("targetPrefix")
        if prefix:
            index[prefix] = name
    return index


def service_for_target_prefix(prefix: str) -> str | None:
    return _by_target_prefix().get(prefix)


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def protocols(model: ServiceModel) -> list[str]:
    return list(model.metadata.get("protocols") or [model.metadata["protocol"]])
