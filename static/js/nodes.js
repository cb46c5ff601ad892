// What each kind of resource looks like on the diagram. A node comes from a service's graph.py
// (through /api/sandboxes/<id>/graph/) or from a resource.* live event; `normalizeNode` turns both
// into one shape, and KINDS says per "service:type" which icon, badges, column and ports it has.
// A kind missing here is still drawn (generic icon, its attributes in the inspector): a new
// service shows up on the diagram before anyone writes a line for it here.

import { arnTail } from "./dom.js";

/** Node types folded into others instead of drawn: a KMS alias shows as its key's label. */
export const HIDDEN = new Set(["kms:alias", "kms:grant", "sns:subscription"]);

const number = (value) => {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : 0;
};

/**
 * Per kind:
 *   title     what the inspector and tooltips call it
 *   icon      file name under static/icons/ (without .svg), from the node
 *   subtitle  the small line under the name
 *   badges    [{key, label, value, tone}] shown on the node, live
 *   column    where a new node is placed (0 = leftmost)
 *   ports     which ports mean something: {in, out}
 */
export const KINDS = {
  "sqs:queue": {
    title: "SQS queue",
    icon: (node) => (node.dlq ? "sqs-dlq" : node.fifo ? "sqs-queue-fifo" : "sqs-queue"),
    subtitle: (node) => [node.fifo ? "FIFO queue" : "Queue", node.dlq ? "dead-letter" : ""].filter(Boolean).join(" · "),
    badges: (node) => [
      { key: "visible", label: "visible", value: node.counts.visible, tone: "visible" },
      { key: "in_flight", label: "in flight", value: node.counts.in_flight, tone: "flight" },
      { key: "delayed", label: "delayed", value: node.counts.delayed, tone: "delayed" },
    ],
    column: (node) => (node.dlq ? 3 : 2),
    ports: { in: true, out: true },
  },
  "sns:topic": {
    title: "SNS topic",
    icon: (node) => (node.fifo ? "sns-topic-fifo" : "sns-topic"),
    subtitle: (node) => (node.fifo ? "FIFO topic" : "Topic"),
    badges: (node) => [{ key: "subscriptions", label: "subscriptions", value: node.counts.subscriptions, tone: "subs" }],
    column: () => 1,
    ports: { in: true, out: true },
  },
  "sns:subscriber": {
    // An endpoint that is no AWS resource of its own: an HTTP(S) URL, an email address, a phone.
    title: "Subscriber",
    icon: () => "client",
    subtitle: (node) => `${node.raw.protocol || "endpoint"}${node.raw.pending ? " · pending confirmation" : ""}`,
    badges: () => [],
    column: () => 2,
    ports: { in: true, out: false },
  },
  "kms:key": {
    title: "KMS key",
    icon: () => "kms-key",
    subtitle: (node) => node.attributes.KeySpec || "Key",
    badges: (node) => [{ key: "state", label: "state", value: node.state || "?", tone: stateTone(node.state) }],
    column: () => 0,
    ports: { in: false, out: true },
  },
};

const GENERIC = {
  title: "Resource",
  icon: () => "generic",
  subtitle: (node) => `${node.service} ${node.type}`,
  badges: () => [],
  column: () => 4,
  ports: { in: true, out: true },
};

function stateTone(state) {
  if (state === "Enabled") return "ok";
  if (state === "PendingDeletion" || state === "Disabled") return "warn";
  return "muted";
}

export function kindKey(node) {
  return `${node.service}:${node.type}`;
}

export function kindOf(node) {
  return KINDS[kindKey(node)] || { ...GENERIC, title: `${node.service} ${node.type}` };
}

/**
 * One shape for a node, whatever it came from:
 *   graph node   {id, service, type, label|name, region, attributes?, visible?, in_flight?, ...}
 *   live event   {service, resource_type, arn, name, attributes}
 * Counters are read from top-level fields first, then from AWS attribute names.
 */
export function normalizeNode(raw, previous = null) {
  const attributes = { ...(previous?.attributes || {}), ...(raw.attributes || {}) };
  const id = raw.id || raw.arn;
  const service = raw.service || previous?.service || id.split(":")[2];
  const type = raw.type || raw.resource_type || previous?.type || "resource";
  const name = raw.name || previous?.name || arnTail(id);
  const pick = (field, attribute, fallback) =>
    raw[field] !== undefined ? number(raw[field]) : attribute in attributes ? number(attributes[attribute]) : fallback;
  const counts = {
    visible: pick("visible", "ApproximateNumberOfMessages", previous?.counts.visible ?? 0),
    in_flight: pick("in_flight", "ApproximateNumberOfMessagesNotVisible", previous?.counts.in_flight ?? 0),
    delayed: pick("delayed", "ApproximateNumberOfMessagesDelayed", previous?.counts.delayed ?? 0),
    subscriptions:
      raw.subscriptions !== undefined
        ? number(Array.isArray(raw.subscriptions) ? raw.subscriptions.length : raw.subscriptions)
        : "SubscriptionsConfirmed" in attributes
          ? number(attributes.SubscriptionsConfirmed) + number(attributes.SubscriptionsPending)
          : previous?.counts.subscriptions ?? 0,
  };
  const fifo =
    raw.fifo !== undefined
      ? Boolean(raw.fifo)
      : "FifoQueue" in attributes || "FifoTopic" in attributes
        ? String(attributes.FifoQueue ?? attributes.FifoTopic) === "true"
        : previous?.fifo ?? name.endsWith(".fifo");
  return {
    id,
    service,
    type,
    name,
    // A graph label (a key's first alias) wins over the event's name (the key id).
    label: raw.label || previous?.label || name,
    region: raw.region || previous?.region || id.split(":")[3] || "",
    fifo,
    state: raw.state || attributes.KeyState || previous?.state || "",
    counts,
    attributes,
    dlq: raw.dlq ?? previous?.dlq ?? false, // from the edges: a queue another one dead-letters into
    raw,
  };
}
