"""Record format conversion (DataFormatConversionConfiguration): JSON records written to S3 as one
Apache Parquet (ParquetSerDe) or ORC (OrcSerDe) file per object, with pyarrow.

AWS reads the schema from the AWS Glue table SchemaConfiguration names; the playground has no
Glue, so the configuration is kept and described as given and the schema is inferred from the
records of each object (pyarrow's JSON inference: numbers, strings, booleans, nested objects and
lists; a field missing from a record is null). A record that is not a JSON object is written under
the error prefix (`format-conversion-failed`) in AWS's failed-record shape. LIMITATIONS:
docs/firehose.md.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from services.firehose.delivery import Item
from services.firehose.exceptions import InvalidArgumentException

PARQUET_CODECS = {"UNCOMPRESSED": "none", "SNAPPY": "snappy", "GZIP": "gzip"}
ORC_CODECS = {"NONE": "uncompressed", "ZLIB": "zlib", "SNAPPY": "snappy"}
BAD_RECORD_CODE = "DataFormatConversion.InvalidSchema"


@dataclass(frozen=True)
class Converted:
    body: bytes | None  # None when no record could be converted
    records: int
    failed: list[tuple[Item, str]]  # (record, why)


def enabled(config: dict[str, Any]) -> bool:
    conversion = config.get("DataFormatConversionConfiguration") or {}
    return bool(conversion.get("Enabled", True)) if conversion else False


def check(config: dict[str, Any]) -> None:
    """CreateDeliveryStream / UpdateDestination: what AWS requires of an enabled conversion."""
    conversion = config.get("DataFormatConversionConfiguration") or {}
    if not enabled(config):
        return
    for member in ("SchemaConfiguration", "InputFormatConfiguration", "OutputFormatConfiguration"):
        if not conversion.get(member):
            raise InvalidArgumentException(
                f"{member} must be specified when DataFormatConversionConfiguration is enabled."
            )
    serializer = conversion["OutputFormatConfiguration"].get("Serializer") or {}
    if len(serializer) != 1:
        raise InvalidArgumentException("Exactly one of ParquetSerDe and OrcSerDe must be specified as the Serializer.")
    deserializer = conversion["InputFormatConfiguration"].get("Deserializer") or {}
    if len(deserializer) != 1:
        raise InvalidArgumentException(
            "Exactly one of OpenXJsonSerDe and HiveJsonSerDe must be specified as the Deserializer."
        )
    if config.get("CompressionFormat", "UNCOMPRESSED") != "UNCOMPRESSED":
        raise InvalidArgumentException(
            "CompressionFormat must be UNCOMPRESSED when DataFormatConversionConfiguration is enabled: the "
            "serializer compresses the data itself."
        )


def _rows(items: list[Item], *, lowercase: bool) -> tuple[list[dict[str, Any]], list[tuple[Item, str]]]:
    rows, failed = [], []
    for item in items:
        try:
            row = json.loads(item.data)
        except ValueError as problem:
            failed.append((item, f"The record is not valid JSON: {problem}."))
            continue
        if not isinstance(row, dict):
            failed.append((item, "The record is not a JSON object."))
            continue
        rows.append({key.lower(): value for key, value in row.items()} if lowercase else row)
    return rows, failed


def convert(config: dict[str, Any], items: list[Item]) -> Converted:
    """One object's body in the configured columnar format, and the records that did not convert."""
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    conversion = config["DataFormatConversionConfiguration"]
    deserializer = conversion["InputFormatConfiguration"]["Deserializer"]
    # OpenX's JSON SerDe lowercases column names by default (ConvertDotsInJsonKeysToUnderscores aside).
    lowercase = bool((deserializer.get("OpenXJsonSerDe") or {}).get("CaseInsensitive", True)) and (
        "OpenXJsonSerDe" in deserializer
    )
    rows, failed = _rows(items, lowercase=lowercase)
    if not rows:
        return Converted(body=None, records=0, failed=failed)
    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as problem:
        # Mixed types across records: the records that do not fit the first one's schema fail.
        return _one_by_one(config, rows, items, failed, str(problem))
    return Converted(body=_write(conversion, table, pq=pq, orc=orc), records=len(rows), failed=failed)


def _one_by_one(
    config: dict[str, Any], rows: list[dict[str, Any]], items: list[Item], failed: list[tuple[Item, str]], why: str
) -> Converted:
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    failed_ids = {id(item) for item, _ in failed}
    good_items = [item for item in items if id(item) not in failed_ids]
    schema = pa.Table.from_pylist(rows[:1]).schema
    kept = []
    for row, item in zip(rows, good_items, strict=True):
        try:
            pa.Table.from_pylist([row], schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as problem:
            failed.append((item, f"The record does not match the schema: {problem or why}."))
            continue
        kept.append(row)
    table = pa.Table.from_pylist(kept, schema=schema)
    body = _write(config["DataFormatConversionConfiguration"], table, pq=pq, orc=orc)
    return Converted(body=body, records=len(kept), failed=failed)


def _write(conversion: dict[str, Any], table: Any, *, pq: Any, orc: Any) -> bytes:
    serializer = conversion["OutputFormatConfiguration"]["Serializer"]
    out = io.BytesIO()
    if "OrcSerDe" in serializer:
        codec = ORC_CODECS.get((serializer["OrcSerDe"] or {}).get("Compression", "SNAPPY"), "snappy")
        orc.write_table(table, out, compression=codec)
    else:
        options = serializer.get("ParquetSerDe") or {}
        pq.write_table(
            table, out, compression=PARQUET_CODECS.get(options.get("Compression", "SNAPPY"), "snappy"),
            use_dictionary=bool(options.get("EnableDictionaryCompression", False)),
            data_page_size=options.get("PageSizeBytes"),
            data_page_version="2.0" if options.get("WriterVersion") == "V2" else "1.0",
        )  # fmt: skip
    return out.getvalue()
