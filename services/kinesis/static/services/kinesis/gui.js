// Kinesis Data Streams on the sandbox page (the contract: docs/services-gui.md): stream nodes with
// their status, open shards and the records held in the window, the palette's Data stream form,
// the stream inspector (stream.js: shard lanes, put, read through an iterator, the newest records,
// retention and shard count), and the counters that move at once on Kinesis's flow events.

import { field, h, toNumber } from "../../js/kit.js";
import { streamPanel } from "./stream.js";

const icon = new URL("icons/stream.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

function statusTone(status) {
  if (status === "ACTIVE") return "ok";
  if (status === "CREATING" || status === "UPDATING" || status === "DELETING") return "warn";
  return "muted";
}

export const kinds = {
  stream: {
    title: "Kinesis data stream",
    icon: () => icon,
    subtitle: (node) => `${node.mode === "ON_DEMAND" ? "On-demand" : "Provisioned"} · ${node.retentionHours} h window`,
    badges: (node) => [
      { key: "shards", label: "shards", value: node.counts.shards, tone: "shards" },
      { key: "records", label: "records", value: node.counts.records, tone: "records" },
      { key: "status", label: "status", value: node.status || "?", tone: statusTone(node.status) },
    ],
    column: () => 2,
    ports: { in: true, out: true },
    /** Fields from the graph (open_shards, records, status...) or a resource event's attributes. */
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      return {
        status: raw.status ?? attributes.StreamStatus ?? previous?.status ?? "",
        mode: raw.mode ?? attributes.StreamMode ?? previous?.mode ?? "PROVISIONED",
        retentionHours: toNumber(raw.retention_hours ?? attributes.RetentionPeriodHours, previous?.retentionHours ?? 24),
        counts: {
          shards: toNumber(raw.open_shards ?? attributes.OpenShardCount, previous?.counts.shards ?? 0),
          records: toNumber(raw.records, previous?.counts.records ?? 0),
          bytes: toNumber(raw.bytes, previous?.counts.bytes ?? 0),
          lastMinute: toNumber(raw.records_last_minute, previous?.counts.lastMinute ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "It is deleted as by the AWS API (DELETING for a few seconds), with every record in its window.",
      action: "Delete",
      done: (node) => `Deleting ${node.label}`,
      run: (ctx, node) => ctx.api.aws("kinesis", "DeleteStream", { StreamName: node.name }, node),
    },
  },
};

export const palette = [
  {
    id: "stream",
    label: "Data stream",
    icon,
    title: "New Kinesis data stream",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[a-zA-Z0-9_.\\-]{1,128}", autocomplete: "off" }), "Letters, digits, . - and _"),
      field(
        "Capacity mode",
        h("select", { name: "mode" }, h("option", { value: "PROVISIONED" }, "Provisioned"), h("option", { value: "ON_DEMAND" }, "On-demand (4 shards)")),
      ),
      field("Shards", h("input", { name: "shards", type: "number", min: 1, max: 500, value: 1 }), "Each: 1 MB/s and 1,000 records/s in, 2 MB/s out"),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const mode = form.get("mode") || "PROVISIONED";
      const params = { StreamName: name, StreamModeDetails: { StreamMode: mode } };
      if (mode === "PROVISIONED") params.ShardCount = Number(form.get("shards") || 1);
      await api.aws("kinesis", "CreateStream", params);
      return { name };
    },
  },
];

export const inspectors = { stream: (ctx, node) => streamPanel(ctx, node, config) };

// Counters move at once on a flow (the graph that follows corrects any guess).
export const counters = {
  put: (e) => [
    [e.target, "records", e.detail?.records ?? 1],
    [e.target, "lastMinute", e.detail?.records ?? 1],
  ],
};

/** A throttled put or read: which limit, and what a producer or consumer does about it. */
export function explainFlow(event, ctx) {
  if (event.kind !== "throttled") return null;
  const reading = event.detail?.operation === "GetRecords";
  const shards = (event.detail?.shards || []).join(", ");
  const stream = ctx?.diagram?.get(reading ? event.source : event.target);
  const command = stream
    ? {
        service: "kinesis",
        operation: "UpdateShardCount",
        params: { StreamName: stream.name, TargetShardCount: Math.max(stream.counts.shards * 2, 2), ScalingType: "UNIFORM_SCALING" },
        region: stream.region,
      }
    : null;
  return {
    title: `${event.detail?.operation || "A call"} throttled on ${shards || "a shard"}`,
    reason: reading
      ? "a shard serves 5 GetRecords calls and 2 MB a second, shared by every consumer that polls it"
      : "a shard takes 1 MB or 1,000 records a second; what went over got ProvisionedThroughputExceededException",
    fix: reading
      ? "back off and retry, poll less often, or add shards."
      : "retry the failed records with backoff, spread the partition keys, or add shards.",
    command,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
