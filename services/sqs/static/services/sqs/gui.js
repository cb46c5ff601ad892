// SQS on the sandbox page (the contract: docs/services-gui.md): queue nodes with their counters,
// the palette's Queue form, the queue inspector (queue.js), dead-letter and encryption wiring, and
// the counters that move at once on SQS's flow events.

import { counter, field, h } from "../../js/kit.js";
import { queuePanel } from "./queue.js";

const icon = (name) => new URL(`icons/${name}.svg`, import.meta.url).href;

let endpoint = { url: location.origin, region: "us-east-1" };

export function setup(ctx) {
  endpoint = { url: ctx.endpointUrl.replace(/\/$/, ""), region: ctx.region };
}

/** The queue URL the SQS API wants, built from the ARN so no GetQueueUrl round trip is needed:
 * this server's address for the sandbox's region (what the aws CLI line then shows), the regional
 * AWS form otherwise, which names the region and Playground also accepts (addressing.py). */
export function queueUrl(arn) {
  const [, , , region, account, name] = arn.split(":");
  if (region === endpoint.region) return `${endpoint.url}/${account}/${name}`;
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

export const kinds = {
  queue: {
    title: "SQS queue",
    icon: (node) => icon(node.dlq ? "dead-letter-queue" : node.fifo ? "queue-fifo" : "queue"),
    subtitle: (node) => [node.fifo ? "FIFO queue" : "Queue", node.dlq ? "dead-letter" : ""].filter(Boolean).join(" · "),
    badges: (node) => [
      { key: "visible", label: "visible", value: node.counts.visible, tone: "visible" },
      { key: "in_flight", label: "in flight", value: node.counts.in_flight, tone: "flight" },
      { key: "delayed", label: "delayed", value: node.counts.delayed, tone: "delayed" },
    ],
    column: (node) => (node.dlq ? 3 : 2),
    ports: { in: true, out: true },
    /** Counters from the graph's fields or an event's attributes; FIFO from either; the URL. */
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      const fifo =
        raw.fifo !== undefined
          ? Boolean(raw.fifo)
          : "FifoQueue" in attributes
            ? String(attributes.FifoQueue) === "true"
            : previous?.fifo ?? node.name.endsWith(".fifo");
      return {
        fifo,
        url: queueUrl(node.id),
        dlq: raw.dlq ?? previous?.dlq ?? false,
        counts: {
          visible: counter(raw, attributes, "visible", "ApproximateNumberOfMessages", previous?.counts.visible ?? 0),
          in_flight: counter(raw, attributes, "in_flight", "ApproximateNumberOfMessagesNotVisible", previous?.counts.in_flight ?? 0),
          delayed: counter(raw, attributes, "delayed", "ApproximateNumberOfMessagesDelayed", previous?.counts.delayed ?? 0),
        },
      };
    },
    /** A queue another queue dead-letters into is a dead-letter queue: its own icon and column. */
    decorate: (node, { incoming }) => ({ dlq: incoming.some((edge) => edge.kind === "dead-letter") }),
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "It is deleted as by the AWS API, with every message in it.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("sqs", "DeleteQueue", { QueueUrl: node.url }, node),
    },
  },
};

export const palette = [
  {
    id: "queue",
    label: "Queue",
    icon: icon("queue"),
    title: "New SQS queue",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9_\\-]{1,75}(\\.fifo)?", autocomplete: "off" }), "Letters, digits, - and _"),
      field("FIFO", h("input", { name: "fifo", type: "checkbox" }), "Ordered, exactly-once; the name gets .fifo"),
      field("Visibility timeout (s)", h("input", { name: "visibility", type: "number", min: 0, max: 43200, value: 30 })),
      field("Delivery delay (s)", h("input", { name: "delay", type: "number", min: 0, max: 900, value: 0 })),
    ],
    async create({ api }, form) {
      const fifo = form.get("fifo") === "on";
      let name = form.get("name").trim();
      if (fifo && !name.endsWith(".fifo")) name += ".fifo";
      const attributes = { VisibilityTimeout: String(form.get("visibility") || 30), DelaySeconds: String(form.get("delay") || 0) };
      if (fifo) Object.assign(attributes, { FifoQueue: "true", ContentBasedDeduplication: "true" });
      await api.aws("sqs", "CreateQueue", { QueueName: name, Attributes: attributes });
      return { name };
    },
  },
];

export const inspectors = { queue: queuePanel };

export const wiring = [
  {
    from: "sqs:queue",
    to: "sqs:queue",
    kind: "dead-letter",
    describe: (source, target) => `${target.label} is the dead-letter queue of ${source.label}`,
    refuse(source, target) {
      if (source.id === target.id) return "A queue can't be its own dead-letter queue.";
      if (source.fifo !== target.fifo)
        return "A dead-letter queue must be the same type as its source queue: FIFO with FIFO, standard with standard.";
      if (source.region !== target.region) return "A dead-letter queue must be in the same Region as its source queue.";
      return null;
    },
    async connect(ctx, source, target) {
      const answer = await ctx.ask({
        title: `Dead-letter queue for ${source.label}`,
        text: `After how many receives without a delete should a message of ${source.label} move to ${target.label}?`,
        label: "maxReceiveCount",
        value: "3",
        type: "number",
        min: 1,
        max: 1000,
      });
      if (answer === null) return false; // cancelled: no edge
      const policy = { deadLetterTargetArn: target.id, maxReceiveCount: Number(answer) };
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: source.url, Attributes: { RedrivePolicy: JSON.stringify(policy) } }, source);
      return true;
    },
    async disconnect(ctx, source) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: source.url, Attributes: { RedrivePolicy: "" } }, source);
    },
  },
  {
    // Encryption at rest is a queue attribute (SQS's API); which keys may encrypt is KMS's to say.
    from: "kms:key",
    to: "sqs:queue",
    kind: "encryption",
    describe: (key, queue) => `${queue.label} is encrypted at rest with ${key.label}`,
    refuse: (key) => key.encryptionRefusal ?? null,
    async connect(ctx, key, queue) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queue.url, Attributes: { KmsMasterKeyId: key.id } }, queue);
    },
    async disconnect(ctx, key, queue) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queue.url, Attributes: { KmsMasterKeyId: "" } }, queue);
    },
  },
];

export const legend = [{ kind: "dead-letter", label: "dead-letter", color: "#862e9c", dash: "8 5" }];

// Counters move at once on a flow (the graph that follows corrects any guess).
export const counters = {
  sent: (e) => [[e.target, e.detail?.delay > 0 ? "delayed" : "visible", 1]],
  received: (e) => [
    [e.source, "visible", -1],
    [e.source, "in_flight", 1],
  ],
  deleted: (e) => [[e.source, "in_flight", -1]],
  "visible-again": (e) => [
    [e.source, "in_flight", -1],
    [e.source, "visible", 1],
  ],
  "dead-lettered": (e) => [
    [e.source, "in_flight", -1],
    [e.target, "visible", 1],
  ],
  moved: (e) => [
    [e.source, "visible", -1],
    [e.target, "visible", 1],
  ],
};

export const stylesheet = new URL("gui.css", import.meta.url);
