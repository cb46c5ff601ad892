"""The AWS service models the gateway speaks: botocore's (or the project's trimmed models of retired
services), with the API's client generations laid over them (generations.py, wire/).

Nothing here is written per service: which APIs are routed comes from the service apps
(catalog.aws_services) and the course's list (wire/catalog.json); routing, parsing and
serialization all read these models.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
from botocore.model import OperationModel, ServiceModel

from playground import catalog
from playground.gateway import generations

# Models of retired services (no longer in botocore), written for the project.
EXTRA_MODELS_DIR = Path(__file__).resolve().parent / "service_models"


@cache
def _loader() -> botocore.loaders.Loader:
    loader = botocore.session.get_session().get_component("data_loader")
    if EXTRA_MODELS_DIR.is_dir():
        loader.search_paths.append(str(EXTRA_MODELS_DIR))
    return loader


def _botocore_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _loader().load_service_model(name, "service-2")
    return data


@cache
def _current_data(name: str) -> dict[str, Any]:
    return generations.current_data(name, _botocore_data(name))


@cache
def _generation_data(name: str, protocol: str) -> dict[str, Any]:
    for generation in generations.generations(name):
        if generation.protocol == protocol:
            return generations.generation_data(generation, _botocore_data(name))
    raise LookupError(f"{name} has no generation speaking {protocol}")


@cache
def service_model(name: str) -> ServiceModel:
    """The API's current model: what today's botocore speaks, in each protocol its model lists."""
    return ServiceModel(_current_data(name), service_name=name)


@cache
def generation_model(name: str, protocol: str) -> ServiceModel:
    """The model of the API's generation that speaks `protocol` (LookupError if none does)."""
    return ServiceModel(_generation_data(name, protocol), service_name=name)


def wire_data(name: str, protocol: str) -> dict[str, Any]:
    """The model JSON a request in `protocol` is read with (see wire_models): what a botocore client
    of that generation is built from. Not to be changed."""
    return _current_data(name) if protocol in protocols(service_model(name)) else _generation_data(name, protocol)


@cache
def wire_models(name: str) -> dict[str, ServiceModel]:
    """Protocol -> the model a request in that protocol is read with: the current model for each
    protocol it lists (in its order of preference), then each generation's for the protocols it adds."""
    current = service_model(name)
    found = dict.fromkeys(protocols(current), current)
    for generation in generations.generations(name):
        if generation.protocol not in found:
            found[generation.protocol] = generation_model(name, generation.protocol)
    return found


@cache
def routed_apis() -> tuple[str, ...]:
    """The APIs the gateway answers: the installed service apps' and the course's."""
    return tuple(sorted(set(catalog.aws_services()) | set(generations.course_apis())))


def signing_name(model: ServiceModel) -> str:
    return model.metadata.get("signingName") or model.metadata["endpointPrefix"]


@cache
def _by_signing_name() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name in routed_apis():
        index.setdefault(signing_name(service_model(name)), []).append(name)
    return index


def services_for_signing_name(name: str) -> list[str]:
    """Botocore service names that sign with this credential-scope service name."""
    return _by_signing_name().get(name, [])


@cache
def _by_target_prefix() -> dict[str, str]:
    index = {}
    for name in routed_apis():
        for model in wire_models(name).values():
            prefix = model.metadata.get("targetPrefix")
            if prefix:
                index[prefix] = name
    return index


def service_for_target_prefix(prefix: str) -> str | None:
    """The API whose current model or one of whose generations names operations `<prefix>.<Op>`."""
    return _by_target_prefix().get(prefix)


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def protocols(model: ServiceModel) -> list[str]:
    return list(model.metadata.get("protocols") or [model.metadata["protocol"]])
