// CloudTrail on the sandbox page (the contract: docs/services-gui.md): trail nodes with their
// logging state and last delivery, edges to the bucket they deliver to (red while the bucket
// refuses the files) and the topic they notify, a palette form that creates a trail and starts it
// logging, and the trail inspector (trail.js): status, delivered files, and the event history with
// LookupEvents' filters and each raw record.

import { field, h } from "../../js/kit.js";
import { trailPanel } from "./trail.js";

const icon = new URL("icons/trail.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

export const kinds = {
  trail: {
    title: "CloudTrail trail",
    icon: () => icon,
    subtitle: (node) => `${node.multiRegion ? "All regions" : node.region} → s3://${node.bucket}${node.prefix ? `/${node.prefix}` : ""}`,
    badges: (node) => [
      { key: "logging", label: "logging", value: node.logging ? "on" : "off", tone: node.logging ? "ok" : "muted" },
      node.deliveryError ? { key: "error", label: "delivery", value: node.deliveryError, tone: "warn" } : null,
    ].filter(Boolean),
    column: () => 0,
    ports: { in: false, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes || {};
      return {
        logging: raw.logging ?? attributes.IsLogging ?? previous?.logging ?? false,
        bucket: raw.bucket ?? attributes.S3BucketName ?? previous?.bucket ?? "",
        prefix: raw.prefix ?? attributes.S3KeyPrefix ?? previous?.prefix ?? "",
        multiRegion: raw.multi_region ?? attributes.IsMultiRegionTrail ?? previous?.multiRegion ?? false,
        deliveryError: raw.latest_delivery_error ?? attributes.LatestDeliveryError ?? previous?.deliveryError ?? "",
        counts: {},
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "The trail stops delivering; the files already in the bucket stay, and the event history is not affected.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("cloudtrail", "DeleteTrail", { Name: node.id }, node),
    },
  },
};

export const palette = [
  {
    id: "trail",
    label: "Trail",
    icon,
    title: "New CloudTrail trail",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9._\\-]{3,128}", autocomplete: "off" }), "3-128 letters, digits, . - _"),
      field("S3 bucket", h("input", { name: "bucket", required: true, autocomplete: "off" }), "Its policy must let cloudtrail.amazonaws.com put objects"),
      field("Key prefix", h("input", { name: "prefix", autocomplete: "off" }), "Optional"),
      field("Start logging", h("input", { name: "start", type: "checkbox", checked: true })),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const params = { Name: name, S3BucketName: form.get("bucket").trim() };
      if (form.get("prefix")) params.S3KeyPrefix = form.get("prefix").trim();
      const trail = await api.aws("cloudtrail", "CreateTrail", params);
      if (form.get("start")) await api.aws("cloudtrail", "StartLogging", { Name: name });
      return { name, id: trail.TrailARN };
    },
  },
];

export const inspectors = { trail: (ctx, node) => trailPanel(ctx, node, config) };

export const legend = [
  { kind: "log-delivery", label: "log files", color: "#c2255c", dash: "6 4" },
  { kind: "log-notification", label: "file notices", color: "#e64980", dash: "2 4" },
  { kind: "logs-delivery", label: "events to CloudWatch Logs", color: "#a61e4d", dash: "6 4" },
];

/** A delivery the bucket refused: why, and the policy that fixes it. */
export function explainFlow(event, ctx) {
  if (event.kind !== "refused" && event.kind !== "failed") return null;
  const trail = ctx?.diagram?.get(event.source);
  const code = event.detail?.error_code || "AccessDenied";
  return {
    title: `${trail?.label || "A trail"} could not deliver its log file`,
    reason:
      code === "AccessDenied"
        ? "the bucket policy does not allow cloudtrail.amazonaws.com s3:PutObject under AWSLogs/<account>/"
        : event.detail?.reason || code,
    fix: "add CloudTrail's statements to the bucket policy; the records wait and go out with the next delivery.",
    command: null,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
