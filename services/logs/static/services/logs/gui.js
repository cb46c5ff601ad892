// CloudWatch Logs on the sandbox page (the contract: docs/services-gui.md): log group nodes with
// their streams, events and retention; metric filter nodes fed by their group; subscription edges
// to the Kinesis streams they deliver to; the palette's Log group form; the group inspector
// (group.js: the live tail with pause and a filter box in the filter-pattern language, streams,
// retention, filters and their datapoints, putting an event); counters that move on Logs' flows.

import { field, h, toNumber } from "../../js/kit.js";
import { groupPanel, RETENTION_DAYS } from "./group.js";

const groupIcon = new URL("icons/log-group.svg", import.meta.url).href;
const filterIcon = new URL("icons/metric-filter.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

const retentionText = (days) => (days ? `${days} d retention` : "never expire");

/** The group name inside a metric filter node's id (<group ARN>:metric-filter:<name>). */
function groupOfFilter(id) {
  return id.split(":log-group:")[1].split(":metric-filter:")[0];
}

export const kinds = {
  "log-group": {
    title: "CloudWatch log group",
    icon: () => groupIcon,
    subtitle: (node) => retentionText(node.retentionDays),
    badges: (node) => [
      { key: "streams", label: "streams", value: node.counts.streams, tone: "muted" },
      { key: "events", label: "events", value: node.counts.events, tone: "events" },
    ],
    column: () => 2,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes || {};
      const retention = raw.retention_days !== undefined ? raw.retention_days : attributes.retentionInDays;
      return {
        retentionDays: retention === undefined ? previous?.retentionDays ?? null : retention,
        logGroupClass: raw.log_group_class ?? attributes.logGroupClass ?? previous?.logGroupClass ?? "STANDARD",
        counts: {
          streams: toNumber(raw.streams ?? attributes.streams, previous?.counts.streams ?? 0),
          events: toNumber(raw.events, previous?.counts.events ?? 0),
          bytes: toNumber(raw.bytes, previous?.counts.bytes ?? 0),
          lastMinute: toNumber(raw.events_last_minute, previous?.counts.lastMinute ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "The log group is deleted with all its streams, events and filters, as DeleteLogGroup does.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("logs", "DeleteLogGroup", { logGroupName: node.name }, node),
    },
  },
  "metric-filter": {
    title: "Metric filter",
    icon: () => filterIcon,
    subtitle: (node) => node.metric || "",
    badges: (node) => [{ key: "datapoints", label: "datapoints", value: node.counts.datapoints, tone: "muted" }],
    column: () => 3,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      return {
        metric: raw.metric ?? previous?.metric ?? "",
        pattern: raw.pattern ?? previous?.pattern ?? "",
        counts: { datapoints: toNumber(raw.datapoints, previous?.counts.datapoints ?? 0) },
      };
    },
    remove: {
      title: (node) => `Delete metric filter ${node.label}?`,
      text: "Events stop producing datapoints for its metric (DeleteMetricFilter).",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("logs", "DeleteMetricFilter", { logGroupName: groupOfFilter(node.id), filterName: node.name }, node),
    },
  },
};

export const palette = [
  {
    id: "log-group",
    label: "Log group",
    icon: groupIcon,
    title: "New CloudWatch log group",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[\\.\\-_/#A-Za-z0-9]{1,512}", autocomplete: "off", placeholder: "/app/web" }), "Letters, digits, . - _ / #"),
      field("Retention (days)", h("input", { name: "retention", type: "number", min: 1, placeholder: "never expire" }), `Empty: never expire. AWS allows ${RETENTION_DAYS.slice(0, 7).join(", ")}, ... 3653`),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      await api.aws("logs", "CreateLogGroup", { logGroupName: name });
      const days = (form.get("retention") || "").trim();
      if (days) await api.aws("logs", "PutRetentionPolicy", { logGroupName: name, retentionInDays: Number(days) });
      return { name };
    },
  },
];

export const inspectors = { "log-group": (ctx, node) => groupPanel(ctx, node, config) };

export const legend = [
  { kind: "log-subscription", label: "subscription filter", color: "#a61e4d", dash: "6 4" },
  { kind: "metric-filter", label: "metric filter", color: "#e8590c" },
  { kind: "log-writer", label: "writes logs", color: "#5c7cfa", dash: "2 3" },
  { kind: "metric-filter-metric", label: "metric filter's metric", color: "#e8590c", dash: "4 3" },
  { kind: "log-export", label: "export task to S3", color: "#2b8a3e", dash: "8 3" },
];

/** A log group feeding a Kinesis stream: a subscription filter of every event (at most 2 a group). */
export const wiring = [
  {
    from: "logs:log-group",
    to: "kinesis:stream",
    kind: "log-subscription",
    describe: (group, stream) => `${group.label} delivers its events to ${stream.label}`,
    async connect(ctx, group, stream) {
      await ctx.api.aws(
        "logs",
        "PutSubscriptionFilter",
        { logGroupName: group.name, filterName: `to-${stream.name}`, filterPattern: "", destinationArn: stream.id },
        group,
      );
    },
    async disconnect(ctx, group, stream) {
      const found = await ctx.api.aws("logs", "DescribeSubscriptionFilters", { logGroupName: group.name }, group);
      for (const item of found.subscriptionFilters || []) {
        if (item.destinationArn === stream.id)
          await ctx.api.aws("logs", "DeleteSubscriptionFilter", { logGroupName: group.name, filterName: item.filterName }, group);
      }
    },
  },
];

export const counters = {
  put: (e) => [
    [e.target, "events", e.detail?.events ?? 1],
    [e.target, "lastMinute", e.detail?.events ?? 1],
  ],
  metric: (e) => [[e.target, "datapoints", e.detail?.datapoints ?? 1]],
};

/** A subscription batch that could not be delivered: why, and what to check. */
export function explainFlow(event) {
  if (event.kind !== "failed") return null;
  return {
    title: `Subscription filter ${event.detail?.filter || ""} could not deliver`,
    reason: event.detail?.reason || event.detail?.error_code || "the destination refused the batch",
    fix: "check that the destination stream exists and is ACTIVE, or delete the subscription filter.",
    command: null,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
