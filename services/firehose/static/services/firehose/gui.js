// Amazon Data Firehose on the sandbox page (the contract: docs/services-gui.md): delivery stream
// nodes whose badges draw the buffer filling by size and by time, edges to the S3 bucket they
// deliver to (and their backup bucket), the palette's Delivery stream form, the inspector
// (buffer.js: the buffer's records, its size and interval bars, the next flush on the sandbox
// clock, a put form, the last delivery), wiring a stream to a bucket, and what a failure means.

import { field, h, toNumber } from "../../js/kit.js";
import { bufferPanel } from "./buffer.js";

const icon = new URL("icons/deliverystream.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

const tenth = (share) => Math.max(0, Math.min(10, Math.floor(share * 10 + 1e-9)));
const percent = (share) => `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;

function statusTone(status) {
  if (status === "ACTIVE") return "ok";
  if (status === "CREATING" || status === "DELETING") return "warn";
  return "muted";
}

export const kinds = {
  deliverystream: {
    title: "Firehose delivery stream",
    icon: () => icon,
    subtitle: (node) =>
      node.destination === "HttpEndpoint" ? `HTTP endpoint · backup s3://${node.bucket}` : `to s3://${node.bucket}${node.compression !== "UNCOMPRESSED" ? ` · ${node.compression}` : ""}`,
    badges: (node) => [
      { key: "records", label: "buffered", value: node.counts.records, tone: "records" },
      { key: "size", label: "of size", value: percent(node.buffer.fill), tone: `fill-${tenth(node.buffer.fill)}` },
      { key: "time", label: "of interval", value: percent(node.buffer.elapsed), tone: `time-${tenth(node.buffer.elapsed)}` },
      { key: "status", label: "status", value: node.status || "?", tone: statusTone(node.status) },
    ],
    column: () => 1,
    ports: { in: true, out: true },
    /** Fields from the graph (buffer_records, buffer_fill...) or a resource event's attributes. */
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      const old = previous?.buffer || {};
      const limit = toNumber(raw.buffer_size_limit, old.limit ?? 5 * 1024 * 1024);
      const bytes = toNumber(raw.buffer_bytes ?? attributes.BufferedBytes, old.bytes ?? 0);
      return {
        status: raw.status ?? attributes.DeliveryStreamStatus ?? previous?.status ?? "",
        destination: raw.destination ?? attributes.Destination ?? previous?.destination ?? "ExtendedS3",
        bucket: raw.bucket ?? previous?.bucket ?? "",
        compression: raw.compression ?? previous?.compression ?? "UNCOMPRESSED",
        buffer: {
          bytes,
          limit,
          interval: toNumber(raw.buffer_interval, old.interval ?? 300),
          fill: raw.buffer_fill !== undefined ? toNumber(raw.buffer_fill) : Math.min(bytes / limit, 1),
          elapsed: toNumber(raw.buffer_elapsed, old.elapsed ?? 0),
          nextFlushAt: raw.next_flush_at !== undefined ? raw.next_flush_at : attributes.NextFlushAt !== undefined ? attributes.NextFlushAt : (old.nextFlushAt ?? null),
        },
        counts: {
          records: toNumber(raw.buffer_records ?? attributes.BufferedRecords, previous?.counts.records ?? 0),
          delivered: toNumber(raw.records_out, previous?.counts.delivered ?? 0),
          objects: toNumber(raw.objects_out, previous?.counts.objects ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "It is deleted as by the AWS API (DELETING for a few seconds); records still in its buffer are lost.",
      action: "Delete",
      done: (node) => `Deleting ${node.label}`,
      run: (ctx, node) => ctx.api.aws("firehose", "DeleteDeliveryStream", { DeliveryStreamName: node.name }, node),
    },
  },
};

export const palette = [
  {
    id: "deliverystream",
    label: "Delivery stream",
    icon,
    title: "New Firehose delivery stream (Direct PUT to S3)",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[a-zA-Z0-9_.\\-]{1,64}", autocomplete: "off" }), "Letters, digits, . - and _"),
      field("S3 bucket", h("input", { name: "bucket", required: true, autocomplete: "off" }), "Where the objects go (create it first, or deliveries wait)"),
      field("Prefix", h("input", { name: "prefix", autocomplete: "off", placeholder: "YYYY/MM/dd/HH/ by default" })),
      field("Buffer size (MiB)", h("input", { name: "size", type: "number", min: 1, max: 128, value: 5 }), "1 to 128"),
      field("Buffer interval (s)", h("input", { name: "interval", type: "number", min: 0, max: 900, value: 300 }), "0 to 900: whichever comes first flushes"),
      field(
        "Compression",
        h("select", { name: "compression" }, ...["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"].map((fmt) => h("option", { value: fmt }, fmt))),
      ),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const destination = {
        RoleARN: `arn:aws:iam::${config.account_id || "000000000000"}:role/firehose-delivery`,
        BucketARN: `arn:aws:s3:::${form.get("bucket").trim()}`,
        BufferingHints: { SizeInMBs: Number(form.get("size") || 5), IntervalInSeconds: Number(form.get("interval") ?? 300) },
        CompressionFormat: form.get("compression") || "UNCOMPRESSED",
      };
      if (form.get("prefix")) destination.Prefix = form.get("prefix");
      await api.aws("firehose", "CreateDeliveryStream", { DeliveryStreamName: name, DeliveryStreamType: "DirectPut", ExtendedS3DestinationConfiguration: destination });
      return { name };
    },
  },
];

export const inspectors = { deliverystream: (ctx, node) => bufferPanel(ctx, node, config) };

export const wiring = [
  {
    from: "firehose:deliverystream",
    to: "s3:bucket",
    kind: "delivery",
    describe: (source, target) => `${source.label} delivers to ${target.label}`,
    refuse: (source) => (source.destination !== "ExtendedS3" ? "Only an S3 destination can be pointed at another bucket here." : null),
    async connect(ctx, source, target) {
      const described = await ctx.api.aws("firehose", "DescribeDeliveryStream", { DeliveryStreamName: source.name }, source);
      const stream = described.DeliveryStreamDescription;
      await ctx.api.aws(
        "firehose",
        "UpdateDestination",
        {
          DeliveryStreamName: source.name,
          CurrentDeliveryStreamVersionId: stream.VersionId,
          DestinationId: stream.Destinations[0].DestinationId,
          ExtendedS3DestinationUpdate: { BucketARN: `arn:aws:s3:::${target.name}` },
        },
        source,
      );
    },
    async disconnect() {
      throw new Error("A delivery stream always has a destination: wire it to another bucket instead.");
    },
  },
];

export const legend = [
  { kind: "delivery", label: "Firehose delivery", color: "#d9480f" },
  { kind: "backup", label: "Firehose S3 backup", color: "#d9480f", dash: "6 4" },
  { kind: "source", label: "Firehose source (Kinesis stream)", color: "#d9480f", dash: "2 3" },
  { kind: "transform", label: "Firehose Lambda transformation", color: "#d9480f", dash: "10 3 2 3" },
];

// Counters move at once on a flow (the graph that follows corrects any guess).
export const counters = {
  put: (e) => [[e.target, "records", e.detail?.records ?? 1]],
  delivered: (e) => (e.detail?.backup ? [] : [[e.source, "records", -(e.detail?.records ?? 0)]]),
};

/** A delivery that failed: a missing bucket, a refusing policy, an endpoint that did not answer 200. */
export function explainFlow(event, ctx) {
  if (event.service !== "firehose" || event.kind !== "failed") return null;
  const code = event.detail?.error_code || "";
  const stream = ctx?.diagram?.get(event.source);
  const bucket = stream?.bucket;
  if (code.startsWith("S3.")) {
    return {
      title: `Firehose could not write to ${bucket ? `s3://${bucket}` : "its bucket"}`,
      reason: event.detail?.reason || code,
      fix: code === "S3.NoSuchBucket" ? "create the bucket: the records wait in the buffer and are tried again." : "let the delivery write to the bucket; the records wait and are tried again.",
      command: code === "S3.NoSuchBucket" && bucket ? { service: "s3", operation: "CreateBucket", params: { Bucket: bucket }, region: stream.region } : null,
    };
  }
  return {
    title: `The HTTP endpoint refused a batch (attempt ${event.detail?.attempt ?? 1})`,
    reason: event.detail?.reason || code,
    fix: event.detail?.retry_at ? "Firehose tries again on the sandbox clock until the retry duration is over." : "the retry duration is over: the records went to the S3 backup under http-endpoint-failed/.",
    command: null,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
