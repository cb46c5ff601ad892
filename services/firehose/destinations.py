"""A delivery stream's destination: the configuration CreateDeliveryStream and UpdateDestination
take, checked as AWS checks it and kept as DescribeDeliveryStream shows it (AWS's defaults filled
in). Built: the extended S3 destination (also what the older S3DestinationConfiguration makes,
shown both ways as AWS shows it) and the HTTP endpoint destination with its S3 backup.
"""

from __future__ import annotations

import copy
from typing import Any

from playground.gateway.errors import NotEmulated
from services.firehose import compression, converting, prefixes, transforming
from services.firehose.exceptions import InvalidArgumentException
from services.firehose.models import EXTENDED_S3, HTTP_ENDPOINT

DESTINATION_ID = "destinationId-000000000001"
S3_DEFAULT_HINTS = {"SizeInMBs": 5, "IntervalInSeconds": 300}
HTTP_DEFAULT_HINTS = {"SizeInMBs": 5, "IntervalInSeconds": 300}
HTTP_DEFAULT_RETRY_SECONDS = 300
DYNAMIC_PARTITIONING_RETRY_SECONDS = 300
BUILT_DESTINATIONS = (
    "ExtendedS3DestinationConfiguration",
    "S3DestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
)
OTHER_DESTINATIONS = (
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
)


def bucket_name(bucket_arn: str) -> str:
    return bucket_arn.rpartition(":")[2]


def _hints(given: dict[str, Any] | None, defaults: dict[str, int]) -> dict[str, int]:
    return {**defaults, **(given or {})}


def _s3(config: dict[str, Any], *, extended: bool) -> dict[str, Any]:
    """An S3 (or extended S3) destination's description from its configuration."""
    prefix = config.get("Prefix", "")
    error_prefix = config.get("ErrorOutputPrefix", "")
    dynamic = extended and bool((config.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))
    if extended:
        transforming.check(config.get("ProcessingConfiguration"), dynamic_partitioning=dynamic)
        converting.check(config)
    prefixes.check_prefixes(prefix, error_prefix, dynamic_partitioning=dynamic)
    if dynamic:
        _check_dynamic_partitioning(config, prefix, error_prefix)
    prefixes.check_time_zone(config.get("CustomTimeZone", ""))
    described: dict[str, Any] = {
        "RoleARN": config["RoleARN"],
        "BucketARN": config["BucketARN"],
        "BufferingHints": _hints(config.get("BufferingHints"), S3_DEFAULT_HINTS),
        "CompressionFormat": config.get("CompressionFormat", compression.UNCOMPRESSED),
        "EncryptionConfiguration": config.get("EncryptionConfiguration") or {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": config.get("CloudWatchLoggingOptions") or {"Enabled": False},
    }
    if prefix:
        described["Prefix"] = prefix
    if error_prefix:
        described["ErrorOutputPrefix"] = error_prefix
    if not extended:
        return described
    if "ProcessingConfiguration" in config:
        described["ProcessingConfiguration"] = config["ProcessingConfiguration"]
    described["S3BackupMode"] = config.get("S3BackupMode", "Disabled")
    if described["S3BackupMode"] == "Enabled":
        if "S3BackupConfiguration" not in config:
            raise InvalidArgumentException("S3BackupConfiguration must be provided when S3BackupMode is Enabled.")
        described["S3BackupDescription"] = _s3(config["S3BackupConfiguration"], extended=False)
    if "DataFormatConversionConfiguration" in config:
        described["DataFormatConversionConfiguration"] = config["DataFormatConversionConfiguration"]
    if "DynamicPartitioningConfiguration" in config:
        partitioning = dict(config["DynamicPartitioningConfiguration"])
        if partitioning.get("Enabled"):
            partitioning["RetryOptions"] = {"DurationInSeconds": DYNAMIC_PARTITIONING_RETRY_SECONDS,
                                            **(partitioning.get("RetryOptions") or {})}  # fmt: skip
        described["DynamicPartitioningConfiguration"] = partitioning
    if config.get("FileExtension"):
        if described["CompressionFormat"] != compression.UNCOMPRESSED and not config["FileExtension"].endswith(
            compression.EXTENSIONS[described["CompressionFormat"]]
        ):
            raise InvalidArgumentException(
                f"FileExtension {config['FileExtension']} does not match the CompressionFormat "
                f"{described['CompressionFormat']}: it must end with "
                f"{compression.EXTENSIONS[described['CompressionFormat']]}."
            )
        described["FileExtension"] = config["FileExtension"]
    if config.get("CustomTimeZone"):
        described["CustomTimeZone"] = config["CustomTimeZone"]
    return described


def _check_dynamic_partitioning(config: dict[str, Any], prefix: str, error_prefix: str) -> None:
    """AWS's rules for an extended S3 destination with DynamicPartitioningConfiguration Enabled."""
    if not error_prefix:
        raise InvalidArgumentException(
            "ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled."
        )
    if int((config.get("BufferingHints") or {}).get("IntervalInSeconds", 1)) == 0:
        raise InvalidArgumentException(
            "BufferingHints.IntervalInSeconds cannot be 0 when dynamic partitioning is enabled: zero buffering is "
            "not available for dynamic partitioning."
        )
    query = transforming.query_of(config)
    lambda_processor = transforming.processor_of(config)
    if query is None and lambda_processor is None:
        raise InvalidArgumentException(
            "When dynamic partitioning is enabled, ProcessingConfiguration must be enabled with a MetadataExtraction "
            "processor or a Lambda processor to create the partitioning keys."
        )
    for namespace, key in prefixes.partition_keys_used(prefix):
        if namespace == transforming.QUERY_KEYS and query is None:
            raise InvalidArgumentException(
                f"Prefix uses !{{partitionKeyFromQuery:{key}}} but no MetadataExtraction processor is configured."
            )
        if namespace == transforming.QUERY_KEYS and query is not None and key not in query:
            raise InvalidArgumentException(
                f"Prefix uses !{{partitionKeyFromQuery:{key}}} but the MetadataExtractionQuery does not define "
                f"the key {key}."
            )
        if namespace == transforming.LAMBDA_KEYS and lambda_processor is None:
            raise InvalidArgumentException(
                f"Prefix uses !{{partitionKeyFromLambda:{key}}} but no Lambda processor is configured."
            )


def _http(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """An HTTP endpoint destination's description, and its access key (kept apart: never shown)."""
    endpoint = dict(config["EndpointConfiguration"])
    access_key = endpoint.pop("AccessKey", "")
    request = config.get("RequestConfiguration") or {}
    described: dict[str, Any] = {
        "EndpointConfiguration": endpoint,
        "BufferingHints": _hints(config.get("BufferingHints"), HTTP_DEFAULT_HINTS),
        "CloudWatchLoggingOptions": config.get("CloudWatchLoggingOptions") or {"Enabled": False},
        "RequestConfiguration": {
            "ContentEncoding": request.get("ContentEncoding", "NONE"),
            "CommonAttributes": request.get("CommonAttributes", []),
        },
        "RetryOptions": {
            "DurationInSeconds": (config.get("RetryOptions") or {}).get("DurationInSeconds", HTTP_DEFAULT_RETRY_SECONDS)
        },
        "S3BackupMode": config.get("S3BackupMode", "FailedDataOnly"),
        "S3DestinationDescription": _s3(config["S3Configuration"], extended=False),
    }
    transforming.check(config.get("ProcessingConfiguration"))
    for passed in ("RoleARN", "ProcessingConfiguration"):
        if passed in config:
            described[passed] = config[passed]
    return described, access_key


def from_create(params: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(kind, description, access key) of CreateDeliveryStream's one destination."""
    given = [
        key
        for key in (*BUILT_DESTINATIONS, *OTHER_DESTINATIONS)
        if key in params
    ]  # fmt: skip
    if not given:
        raise InvalidArgumentException("Exactly one destination configuration must be provided.")
    if len(given) > 1:
        raise InvalidArgumentException("Only one destination configuration can be provided.")
    key = given[0]
    if key in OTHER_DESTINATIONS:
        raise NotEmulated(f"Firehose {key.removesuffix('DestinationConfiguration')} destinations are not emulated yet.")
    if key == "HttpEndpointDestinationConfiguration":
        described, access_key = _http(params[key])
        return HTTP_ENDPOINT, described, access_key
    return EXTENDED_S3, _s3(params[key], extended=True), ""


def updated(kind: str, current: dict[str, Any], access_key: str, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The destination after UpdateDestination: the given members replace the current ones."""
    if kind == EXTENDED_S3:
        update = params.get("ExtendedS3DestinationUpdate") or params.get("S3DestinationUpdate")
        if update is None or "HttpEndpointDestinationUpdate" in params:
            raise InvalidArgumentException(
                "The destination update does not match the destination's type (Extended S3)."
            )
        merged = {k: v for k, v in copy.deepcopy(current).items() if k != "S3BackupDescription"}
        if "S3BackupDescription" in current:
            merged["S3BackupConfiguration"] = current["S3BackupDescription"]
        for member, value in update.items():
            if member == "BufferingHints":
                merged[member] = {**current["BufferingHints"], **value}
            elif member == "S3BackupUpdate":
                merged["S3BackupConfiguration"] = {**merged.get("S3BackupConfiguration", {}), **value}
            else:
                merged[member] = value
        was = dynamic_partitioning(current)
        if dynamic_partitioning(merged) and not was:
            raise InvalidArgumentException(
                "Dynamic partitioning cannot be enabled on an existing delivery stream that was created without it."
            )
        return _s3(merged, extended=True), access_key
    update = params.get("HttpEndpointDestinationUpdate")
    if update is None:
        raise InvalidArgumentException("The destination update does not match the destination's type (HTTP endpoint).")
    merged = copy.deepcopy(current)
    merged["S3Configuration"] = merged.pop("S3DestinationDescription")
    merged["EndpointConfiguration"] = {**merged["EndpointConfiguration"], "AccessKey": access_key}
    for member, value in update.items():
        if member == "S3Update":
            merged["S3Configuration"] = {**merged["S3Configuration"], **value}
        elif member in ("BufferingHints", "EndpointConfiguration"):
            merged[member] = {**merged[member], **value}
        else:
            merged[member] = value
    return _http(merged)


def description(kind: str, destination: dict[str, Any]) -> dict[str, Any]:
    """The DestinationDescription of DescribeDeliveryStream."""
    if kind == HTTP_ENDPOINT:
        return {"DestinationId": DESTINATION_ID, "HttpEndpointDestinationDescription": destination}
    plain = {key: destination[key] for key in destination if key in _S3_PLAIN}
    return {
        "DestinationId": DESTINATION_ID,
        "S3DestinationDescription": plain,
        "ExtendedS3DestinationDescription": destination,
    }


_S3_PLAIN = ("RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints", "CompressionFormat",
             "EncryptionConfiguration", "CloudWatchLoggingOptions")  # fmt: skip


def dynamic_partitioning(destination: dict[str, Any]) -> bool:
    return bool((destination.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))


def buffering(kind: str, destination: dict[str, Any]) -> tuple[int, int]:
    """(size limit in bytes, interval in seconds) of the destination's buffer."""
    hints = destination["BufferingHints"]
    return int(hints["SizeInMBs"]) * 1024 * 1024, int(hints["IntervalInSeconds"])


def s3_config(kind: str, destination: dict[str, Any]) -> dict[str, Any]:
    """The S3 configuration delivery writes to: the destination itself, or an HTTP endpoint's backup."""
    return destination["S3DestinationDescription"] if kind == HTTP_ENDPOINT else destination
