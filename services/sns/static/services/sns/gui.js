// SNS on the sandbox page (the contract: docs/services-gui.md): topic and subscriber nodes, the
// palette's Topic form, the topic inspector (topic.js), subscribing a queue by drawing an edge
// (with the queue policy that lets the topic send), encrypting a topic with a key, and what a
// failed delivery means and how to fix it.

import { arnTail, counter, field, h } from "../../js/kit.js";
import { topicPanel } from "./topic.js";

const icon = (name) => new URL(`icons/${name}.svg`, import.meta.url).href;

export const kinds = {
  topic: {
    title: "SNS topic",
    icon: (node) => icon(node.fifo ? "topic-fifo" : "topic"),
    subtitle: (node) => (node.fifo ? "FIFO topic" : "Topic"),
    badges: (node) => [{ key: "subscriptions", label: "subscriptions", value: node.counts.subscriptions, tone: "subs" }],
    column: () => 1,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      const subscriptions =
        raw.subscriptions !== undefined
          ? Array.isArray(raw.subscriptions)
            ? raw.subscriptions.length
            : counter(raw, attributes, "subscriptions")
          : "SubscriptionsConfirmed" in attributes
            ? counter({}, attributes, "", "SubscriptionsConfirmed") + counter({}, attributes, "", "SubscriptionsPending")
            : previous?.counts.subscriptions ?? 0;
      const fifo =
        raw.fifo !== undefined
          ? Boolean(raw.fifo)
          : "FifoTopic" in attributes
            ? String(attributes.FifoTopic) === "true"
            : previous?.fifo ?? node.name.endsWith(".fifo");
      return { fifo, counts: { subscriptions } };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "It is deleted as by the AWS API, with its subscriptions.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("sns", "DeleteTopic", { TopicArn: node.id }, node),
    },
  },
  subscriber: {
    // An endpoint that is no AWS resource of its own: an HTTP(S) URL, an email address, a phone.
    title: "Subscriber",
    icon: () => "client",
    subtitle: (node) => `${node.raw.protocol || "endpoint"}${node.raw.pending ? " · pending confirmation" : ""}`,
    column: () => 2,
    ports: { in: true, out: false },
  },
};

export const hidden = ["subscription"];

export const palette = [
  {
    id: "topic",
    label: "Topic",
    icon: icon("topic"),
    title: "New SNS topic",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9_\\-]{1,251}(\\.fifo)?", autocomplete: "off" })),
      field("FIFO", h("input", { name: "fifo", type: "checkbox" }), "Delivers to FIFO queues; the name gets .fifo"),
    ],
    async create({ api }, form) {
      const fifo = form.get("fifo") === "on";
      let name = form.get("name").trim();
      if (fifo && !name.endsWith(".fifo")) name += ".fifo";
      const params = { Name: name };
      if (fifo) params.Attributes = { FifoTopic: "true", ContentBasedDeduplication: "true" };
      const answer = await api.aws("sns", "CreateTopic", params);
      return { name, id: answer.TopicArn };
    },
  },
];

export const inspectors = { topic: topicPanel };

// --- the queue policy a subscribed queue needs ----------------------------------------------------

const policySid = (topic) => `AllowTopic-${arnTail(topic.id).replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 80);

/** The statement that lets `topic` send to `queue` (what AWS's console adds when subscribing). */
function allowTopic(topic, queue) {
  return {
    Sid: policySid(topic),
    Effect: "Allow",
    Principal: { Service: "sns.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queue.id,
    Condition: { ArnEquals: { "aws:SourceArn": topic.id } },
  };
}

async function queuePolicy(ctx, queue) {
  const answer = await ctx.api.aws("sqs", "GetQueueAttributes", { QueueUrl: queue.url, AttributeNames: ["Policy"] }, queue);
  const text = answer.Attributes?.Policy;
  return text ? JSON.parse(text) : { Version: "2012-10-17", Id: `${queue.id}/SQSDefaultPolicy`, Statement: [] };
}

async function writePolicy(ctx, queue, document) {
  const policy = document.Statement.length ? JSON.stringify(document) : "";
  await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queue.url, Attributes: { Policy: policy } }, queue);
}

/** Add (or replace) the statement that lets the topic send, keeping the policy's others. */
async function allowInPolicy(ctx, topic, queue) {
  const document = await queuePolicy(ctx, queue);
  const statement = allowTopic(topic, queue);
  document.Statement = [...[document.Statement].flat().filter((s) => s && s.Sid !== statement.Sid), statement];
  await writePolicy(ctx, queue, document);
}

async function subscriptionsOf(ctx, topic) {
  const found = [];
  let token;
  do {
    const page = await ctx.api.aws("sns", "ListSubscriptionsByTopic", token ? { TopicArn: topic.id, NextToken: token } : { TopicArn: topic.id }, topic);
    found.push(...(page.Subscriptions || []));
    token = page.NextToken;
  } while (token);
  return found;
}

export const wiring = [
  {
    from: "sns:topic",
    to: "sqs:queue",
    kind: "subscription",
    describe: (topic, queue) => `${queue.label} subscribes to ${topic.label}`,
    refuse(topic, queue) {
      if (queue.fifo && !topic.fifo)
        return `A standard topic cannot deliver to a FIFO queue: AWS only subscribes FIFO queues to FIFO topics. Use a FIFO topic (name ending .fifo) or a standard queue.`;
      return null;
    },
    async connect(ctx, topic, queue) {
      // The policy first: a subscription that cannot deliver would lose the first messages.
      await allowInPolicy(ctx, topic, queue);
      await ctx.api.aws("sns", "Subscribe", { TopicArn: topic.id, Protocol: "sqs", Endpoint: queue.id, ReturnSubscriptionArn: true }, topic);
    },
    async disconnect(ctx, topic, queue) {
      for (const subscription of await subscriptionsOf(ctx, topic)) {
        if (subscription.Protocol === "sqs" && subscription.Endpoint === queue.id && subscription.SubscriptionArn?.startsWith("arn:"))
          await ctx.api.aws("sns", "Unsubscribe", { SubscriptionArn: subscription.SubscriptionArn }, topic);
      }
      const document = await queuePolicy(ctx, queue);
      const sid = policySid(topic);
      const statements = [document.Statement].flat().filter(Boolean);
      const kept = statements.filter((statement) => statement.Sid !== sid);
      if (kept.length !== statements.length) await writePolicy(ctx, queue, { ...document, Statement: kept });
    },
    // A subscription made elsewhere (boto3, the CLI) without the queue policy: the edge is drawn,
    // deliveries fail (graph.py's "problem"); the edge's inspector offers this fix.
    repair: {
      label: "Add the queue policy",
      done: (topic, queue) => `${queue.label}'s policy now lets ${topic.label} send to it.`,
      run: (ctx, topic, queue) => allowInPolicy(ctx, topic, queue),
    },
  },
  {
    from: "kms:key",
    to: "sns:topic",
    kind: "encryption",
    describe: (key, topic) => `${topic.label} is encrypted at rest with ${key.label}`,
    refuse: (key) => key.encryptionRefusal ?? null,
    async connect(ctx, key, topic) {
      await ctx.api.aws("sns", "SetTopicAttributes", { TopicArn: topic.id, AttributeName: "KmsMasterKeyId", AttributeValue: key.id }, topic);
    },
    async disconnect(ctx, key, topic) {
      await ctx.api.aws("sns", "SetTopicAttributes", { TopicArn: topic.id, AttributeName: "KmsMasterKeyId", AttributeValue: "" }, topic);
    },
  },
];

export const legend = [{ kind: "subscription", label: "subscription", color: "#c2255c" }];

/**
 * A delivery SNS gave up on (the `failed` flow event, services/sns/events.py): why, and the fix.
 * For a queue whose policy does not let the topic send, as on AWS every message is lost silently
 * (no error reaches the publisher): here the activity panel and the edge say so.
 */
export function explainFlow(event, ctx) {
  if (event.kind !== "failed") return null;
  const detail = event.detail || {};
  const topic = ctx.diagram.get(event.source);
  const target = ctx.diagram.get(event.target);
  const topicName = topic?.label || arnTail(event.source);
  const targetName = target?.label || arnTail(event.target) || "the subscriber";
  const explained = {
    title: `${topicName} could not deliver to ${targetName}`,
    reason: detail.reason || "the delivery failed",
    fix: "",
    command: null,
  };
  if (detail.dead_letter_error) explained.reason += `; and ${detail.dead_letter_error}`;
  if (detail.protocol === "sqs" && detail.error_code === "AccessDenied" && target?.url) {
    const policy = { Version: "2012-10-17", Statement: [allowTopic({ id: event.source }, target)] };
    explained.fix =
      "Give the queue a policy that lets the topic send: select the edge and press “Add the queue policy” " +
      "(drawing a topic → queue edge adds it too), or set it with the aws CLI (this replaces the queue's policy):";
    explained.command = {
      service: "sqs",
      operation: "SetQueueAttributes",
      params: { QueueUrl: target.url, Attributes: { Policy: JSON.stringify(policy) } },
      region: target.region,
    };
  } else if (detail.error_code === "NonExistentQueue") {
    explained.fix = "Create the queue again, or unsubscribe it from the topic.";
  }
  return explained;
}

export const stylesheet = new URL("gui.css", import.meta.url);
