"""What the protocol tests know about the APIs the gateway routes: derived from the models it loads
(the current botocore model and each client generation's, specs.wire_models), never from a list
of which service speaks what."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.model import ServiceModel

from playground.gateway.specs import protocols, routed_apis, service_model, wire_data, wire_models

ENDPOINT = "http://localhost:8000"


def speaking(protocol: str) -> tuple[str, ...]:
    """The routed APIs whose current model, or one of whose generations, speaks `protocol`."""
    return tuple(api for api in routed_apis() if protocol in wire_models(api))


def model(api: str, protocol: str) -> ServiceModel:
    """The model the gateway reads a request to `api` in `protocol` with."""
    return wire_models(api)[protocol]


class _WireLoader(botocore.loaders.Loader):
    """Loads the model of the client that sends `protocol`: botocore's own where its current model
    speaks it, else the generation's model the gateway reads it with. It lists `speak` as its only
    protocol, so the client sends that."""

    def __init__(self, protocol: str, speak: str) -> None:
        super().__init__()
        self.protocol = protocol
        self.speak = speak

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if type_name != "service-2":
            return super().load_service_model(service_name, type_name, api_version)
        if self.protocol in protocols(service_model(service_name)):
            data = super().load_service_model(service_name, type_name, api_version)  # today's client
        else:
            data = wire_data(service_name, self.protocol)  # the generation's, as far as the wire shows
        metadata = {**data["metadata"], "protocol": self.speak, "protocols": [self.speak]}
        return {**data, "metadata": metadata}


@cache
def botocore_client(api: str, protocol: str, speak: str | None = None) -> Any:
    """A botocore client built from the model the gateway reads `protocol` with: the client of that
    generation (the current one where the current model speaks it), sending `speak` (default:
    `protocol`)."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _WireLoader(protocol, speak or protocol))
    return session.create_client(
        api,
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}),
    )
