// CloudWatch on the sandbox page (the contract: docs/services-gui.md): alarm nodes coloured by
// their state (green OK, red ALARM, grey INSUFFICIENT_DATA), custom metric nodes, dashboards;
// edges from the metric's resource to the alarm and from the alarm to its actions; the palette's
// Alarm form; the alarm inspector (alarm.js: the metric chart with the threshold, the datapoints
// evaluated, history, a "put datapoint" control) and the dashboard's charts.

import { field, h } from "../../js/kit.js";
import { alarmPanel, dashboardPanel } from "./alarm.js";

const icons = {
  OK: new URL("icons/alarm-ok.svg", import.meta.url).href,
  ALARM: new URL("icons/alarm-alarm.svg", import.meta.url).href,
  INSUFFICIENT_DATA: new URL("icons/alarm-insufficient.svg", import.meta.url).href,
};
const metricIcon = new URL("icons/metric.svg", import.meta.url).href;
const dashboardIcon = new URL("icons/dashboard.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

const TONES = { OK: "ok", ALARM: "alarm", INSUFFICIENT_DATA: "muted" };
const SIGNS = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: "≥",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "≤",
};

export const kinds = {
  alarm: {
    title: "CloudWatch alarm",
    icon: (node) => icons[node.state] || icons.INSUFFICIENT_DATA,
    subtitle: (node) =>
      node.alarmType === "CompositeAlarm" ? "Composite alarm" : `${node.metric || "metric"} ${SIGNS[node.comparison] || ""} ${node.threshold ?? ""}`.trim(),
    badges: (node) => [{ key: "state", label: "state", value: node.state || "INSUFFICIENT_DATA", tone: TONES[node.state] || "muted" }],
    column: () => 3,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes || {};
      const metric = raw.metric ?? (attributes.Namespace ? `${attributes.Namespace} ${attributes.MetricName}` : previous?.metric ?? "");
      return {
        state: raw.state ?? attributes.StateValue ?? previous?.state ?? "INSUFFICIENT_DATA",
        reason: raw.reason ?? attributes.StateReason ?? previous?.reason ?? "",
        alarmType: raw.alarm_type ?? attributes.AlarmType ?? previous?.alarmType ?? "MetricAlarm",
        actionsEnabled: raw.actions_enabled ?? attributes.ActionsEnabled ?? previous?.actionsEnabled ?? true,
        metric,
        threshold: raw.threshold ?? attributes.Threshold ?? previous?.threshold ?? null,
        comparison: raw.comparison ?? attributes.ComparisonOperator ?? previous?.comparison ?? "",
        counts: {},
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "The alarm and its actions stop; its history stays readable for a while on AWS.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("cloudwatch", "DeleteAlarms", { AlarmNames: [node.name] }, node),
    },
  },
  metric: {
    title: "CloudWatch metric",
    icon: () => metricIcon,
    subtitle: (node) => node.raw?.namespace || "custom metric",
    badges: () => [],
    column: () => 2,
    ports: { in: false, out: true },
  },
  dashboard: {
    title: "CloudWatch dashboard",
    icon: () => dashboardIcon,
    subtitle: (node) => `${node.raw?.widgets ?? 0} widget(s)`,
    badges: () => [],
    column: () => 4,
    ports: { in: false, out: false },
    remove: {
      title: (node) => `Delete dashboard ${node.label}?`,
      text: "Only the dashboard goes; its metrics stay.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("cloudwatch", "DeleteDashboards", { DashboardNames: [node.name] }, node),
    },
  },
};

export const palette = [
  {
    id: "alarm",
    label: "Alarm",
    icon: icons.INSUFFICIENT_DATA,
    title: "New CloudWatch metric alarm",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, autocomplete: "off" })),
      field("Namespace", h("input", { name: "namespace", required: true, value: "Custom" }), "AWS/SQS, AWS/SNS... or your own"),
      field("Metric", h("input", { name: "metric", required: true, value: "Load" })),
      field("Dimension", h("input", { name: "dimension", placeholder: "QueueName=orders" }), "Name=Value, optional"),
      field("Statistic", h("select", { name: "statistic" }, ...["Average", "Sum", "Maximum", "Minimum", "SampleCount"].map((s) => h("option", { value: s }, s)))),
      field("Comparison", h("select", { name: "comparison" }, ...Object.entries(SIGNS).map(([op, sign]) => h("option", { value: op }, `${sign} ${op}`)))),
      field("Threshold", h("input", { name: "threshold", type: "number", step: "any", required: true, value: "5" })),
      field("Period (s)", h("input", { name: "period", type: "number", min: 10, value: 60 }), "10, 20, 30 or a multiple of 60"),
      field("Evaluation periods", h("input", { name: "periods", type: "number", min: 1, value: 1 }), "N: how many periods it reads"),
      field("Datapoints to alarm", h("input", { name: "datapoints", type: "number", min: 1, placeholder: "N" }), "M of those N must breach"),
      field("Notify topic ARN", h("input", { name: "topic", placeholder: "arn:aws:sns:..." }), "Optional: an SNS topic for ALARM"),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const params = {
        AlarmName: name,
        Namespace: form.get("namespace").trim(),
        MetricName: form.get("metric").trim(),
        Statistic: form.get("statistic"),
        ComparisonOperator: form.get("comparison"),
        Threshold: Number(form.get("threshold")),
        Period: Number(form.get("period") || 60),
        EvaluationPeriods: Number(form.get("periods") || 1),
      };
      if (form.get("datapoints")) params.DatapointsToAlarm = Number(form.get("datapoints"));
      const dimension = (form.get("dimension") || "").trim();
      if (dimension.includes("=")) {
        const [dimName, ...rest] = dimension.split("=");
        params.Dimensions = [{ Name: dimName.trim(), Value: rest.join("=").trim() }];
      }
      const topic = (form.get("topic") || "").trim();
      if (topic) params.AlarmActions = [topic];
      await api.aws("cloudwatch", "PutMetricAlarm", params);
      return { name };
    },
  },
];

export const inspectors = {
  alarm: (ctx, node) => alarmPanel(ctx, node, config),
  dashboard: (ctx, node) => dashboardPanel(ctx, node, config),
};

export const legend = [
  { kind: "alarm-metric", label: "metric → alarm", color: "#e8590c", dash: "4 3" },
  { kind: "alarm-action", label: "alarm action", color: "#e03131" },
  { kind: "alarm-rule", label: "composite rule", color: "#862e9c", dash: "6 4" },
];

export const stylesheet = new URL("gui.css", import.meta.url);
