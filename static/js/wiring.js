// Wiring by drawing: an edge drawn from one node's output port to another node's input port
// performs the AWS calls that make the link real, and removing the edge undoes them. Each rule
// first checks what AWS would refuse and gives the reason instead of calling.
//
//   topic -> queue   sns Subscribe (protocol sqs) + the queue policy that lets the topic send
//   queue -> queue   RedrivePolicy on the source (dead-letter queue), asking maxReceiveCount
//   key -> queue     KmsMasterKeyId on the queue (encryption at rest)
//   key -> topic     KmsMasterKeyId on the topic
//
// Every rule gets ctx = {api, ask} and the two normalized nodes.

import { arnTail } from "./dom.js";
import { kindKey } from "./nodes.js";

let endpoint = { url: location.origin, region: "us-east-1" };

/** Where queue URLs point: this server, for queues of the sandbox's own region. */
export function useEndpoint(url, region) {
  endpoint = { url: url.replace(/\/$/, ""), region };
}

/** The queue URL the SQS API wants, built from the ARN so no GetQueueUrl round trip is needed:
 * this server's address for the sandbox's region (what the CLI line in the activity panel then
 * shows), the regional AWS form otherwise, which names the region and Playground also accepts
 * (services/sqs/addressing.py). */
export function queueUrl(node) {
  const [, , , region, account, name] = node.id.split(":");
  if (region === endpoint.region) return `${endpoint.url}/${account}/${name}`;
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

const policySid = (topic) => `AllowTopic-${arnTail(topic.id).replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 80);

async function queuePolicy(ctx, queue) {
  const answer = await ctx.api.aws("sqs", "GetQueueAttributes", { QueueUrl: queueUrl(queue), AttributeNames: ["Policy"] }, queue);
  const text = answer.Attributes?.Policy;
  return text ? JSON.parse(text) : { Version: "2012-10-17", Id: `${queue.id}/SQSDefaultPolicy`, Statement: [] };
}

async function writePolicy(ctx, queue, document) {
  const policy = document.Statement.length ? JSON.stringify(document) : "";
  await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queueUrl(queue), Attributes: { Policy: policy } }, queue);
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

export const RULES = {
  "sns:topic->sqs:queue": {
    kind: "subscription",
    describe: (topic, queue) => `${queue.label} subscribes to ${topic.label}`,
    refuse(topic, queue) {
      if (queue.fifo && !topic.fifo)
        return `A standard topic cannot deliver to a FIFO queue: AWS only subscribes FIFO queues to FIFO topics. Use a FIFO topic (name ending .fifo) or a standard queue.`;
      return null;
    },
    async connect(ctx, topic, queue) {
      // The policy first: a subscription that cannot deliver would lose the first messages.
      const document = await queuePolicy(ctx, queue);
      const sid = policySid(topic);
      document.Statement = document.Statement.filter((statement) => statement.Sid !== sid);
      document.Statement.push({
        Sid: sid,
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue.id,
        Condition: { ArnEquals: { "aws:SourceArn": topic.id } },
      });
      await writePolicy(ctx, queue, document);
      await ctx.api.aws("sns", "Subscribe", { TopicArn: topic.id, Protocol: "sqs", Endpoint: queue.id, ReturnSubscriptionArn: true }, topic);
    },
    async disconnect(ctx, topic, queue) {
      for (const subscription of await subscriptionsOf(ctx, topic)) {
        if (subscription.Protocol === "sqs" && subscription.Endpoint === queue.id && subscription.SubscriptionArn?.startsWith("arn:"))
          await ctx.api.aws("sns", "Unsubscribe", { SubscriptionArn: subscription.SubscriptionArn }, topic);
      }
      const document = await queuePolicy(ctx, queue);
      const sid = policySid(topic);
      const kept = document.Statement.filter((statement) => statement.Sid !== sid);
      if (kept.length !== document.Statement.length) await writePolicy(ctx, queue, { ...document, Statement: kept });
    },
  },

  "sqs:queue->sqs:queue": {
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
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queueUrl(source), Attributes: { RedrivePolicy: JSON.stringify(policy) } }, source);
      return true;
    },
    async disconnect(ctx, source) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queueUrl(source), Attributes: { RedrivePolicy: "" } }, source);
    },
  },

  "kms:key->sqs:queue": {
    kind: "encryption",
    describe: (key, queue) => `${queue.label} is encrypted at rest with ${key.label}`,
    refuse: (key) => keyRefusal(key),
    async connect(ctx, key, queue) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queueUrl(queue), Attributes: { KmsMasterKeyId: key.id } }, queue);
    },
    async disconnect(ctx, key, queue) {
      await ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queueUrl(queue), Attributes: { KmsMasterKeyId: "" } }, queue);
    },
  },

  "kms:key->sns:topic": {
    kind: "encryption",
    describe: (key, topic) => `${topic.label} is encrypted at rest with ${key.label}`,
    refuse: (key) => keyRefusal(key),
    async connect(ctx, key, topic) {
      await ctx.api.aws("sns", "SetTopicAttributes", { TopicArn: topic.id, AttributeName: "KmsMasterKeyId", AttributeValue: key.id }, topic);
    },
    async disconnect(ctx, key, topic) {
      await ctx.api.aws("sns", "SetTopicAttributes", { TopicArn: topic.id, AttributeName: "KmsMasterKeyId", AttributeValue: "" }, topic);
    },
  },
};

function keyRefusal(key) {
  if (key.attributes.KeyUsage && key.attributes.KeyUsage !== "ENCRYPT_DECRYPT")
    return `${key.label} is a ${key.attributes.KeyUsage} key; encryption at rest needs a symmetric ENCRYPT_DECRYPT key.`;
  if (key.attributes.KeySpec && key.attributes.KeySpec !== "SYMMETRIC_DEFAULT")
    return `${key.label} is a ${key.attributes.KeySpec} key; encryption at rest needs a SYMMETRIC_DEFAULT key.`;
  if (key.state && key.state !== "Enabled") return `${key.label} is ${key.state}; only an enabled key can encrypt.`;
  return null;
}

/** The rule for drawing from `source` to `target`, or {refusal} saying why there is none. */
export function ruleFor(source, target) {
  const rule = RULES[`${kindKey(source)}->${kindKey(target)}`];
  if (!rule) {
    return { refusal: `Nothing connects a ${source.service} ${source.type} to a ${target.service} ${target.type}.` };
  }
  const refusal = rule.refuse(source, target);
  return refusal ? { refusal } : { rule };
}

/** The rule that undoes an edge of the diagram: the one that makes edges of its kind between
 * such nodes (a topic's dead-letter queue is linked to it, but not by drawing). */
export function ruleForEdge(source, target, edge) {
  const rule = RULES[`${kindKey(source)}->${kindKey(target)}`];
  return rule && (!edge || rule.kind === edge.kind) ? rule : null;
}
