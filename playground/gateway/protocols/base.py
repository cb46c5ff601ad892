"""What every wire protocol implements.

A protocol turns an AwsRequest into (operation, parameters) and a provider's output or an
AwsError into an HttpResponse, reading only the botocore model. Parameters and outputs are the
same Python values botocore's client takes and returns: str, int, float, bool, bytes (blobs),
datetime (timestamps, timezone-aware UTC), list and dict; a streaming blob payload may instead be
an open binary file on the way in (a large body spooled to disk) and a BodyStream on the way out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.model import OperationModel, ServiceModel

from playground.gateway.errors import AwsError
from playground.gateway.request import AwsRequest, HttpResponse


class Protocol:
    name: ClassVar[str]

    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        """The operation this request calls; raises an AwsError when it names none of the model's."""
        raise NotImplementedError

    def streams_input(self, service: ServiceModel, request: AwsRequest) -> bool:
        """Whether the request calls an operation whose input payload is a streaming blob (S3
        PutObject), found without reading its body: such a body may stay on disk, whatever its size
        (AwsRequest.body_file). Protocols that route by the body never stream."""
        return False

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        """The request's parameters, typed by the input shape. Raises SerializationException etc."""
        raise NotImplementedError

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        raise NotImplementedError

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        raise NotImplementedError
