// S3 on the sandbox page (the contract: docs/services-gui.md): bucket nodes with their object
// count and size, the palette's Bucket form, the bucket inspector (bucket.js: a folder-like
// browser, upload and download, notifications), event notifications drawn as edges to queues and
// topics (with the destination policy that lets S3 send, as on AWS), and what a notification that
// could not be delivered means.

import { arnTail, counter, field, h } from "../../js/kit.js";
import { bucketPanel, formatBytes } from "./bucket.js";

const icon = (name) => new URL(`icons/${name}.svg`, import.meta.url).href;

export const BUCKET_ARN = "arn:aws:s3:::";
export const bucketName = (node) => node.name || node.id.slice(BUCKET_ARN.length);

// The URLs of S3's own views (services/s3/views.py), from S3Config.gui_config().
export const urls = { objects: "", browse: "" };
let sandboxRegion = "us-east-1";

export function setup(ctx) {
  urls.objects = ctx.service.config.objects;
  urls.browse = ctx.service.config.browse;
  sandboxRegion = ctx.region || ctx.config?.sandbox?.region || sandboxRegion;
}

export const kinds = {
  bucket: {
    title: "S3 bucket",
    icon: () => icon("bucket"),
    subtitle: (node) => (node.versioning === "Enabled" ? "Bucket · versioned" : "Bucket"),
    badges: (node) => [
      { key: "objects", label: node.counts.objects === 1 ? "object" : "objects", value: node.counts.objects, tone: "objects" },
      { key: "size", label: "stored", value: formatBytes(node.counts.size), tone: "bytes" },
    ],
    column: () => 0,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      return {
        // A bucket's ARN names no Region: the graph's node and the bucket's events do.
        region: raw.region || attributes.region || previous?.region || node.region || sandboxRegion,
        versioning: raw.versioning || attributes.versioning || previous?.versioning || "Disabled",
        folders: raw.folders ?? previous?.folders ?? [],
        // From the graph's fields, or the bucket's resource events (object_count, total_size).
        counts: {
          objects: counter(raw, attributes, "objects", "object_count", previous?.counts.objects ?? 0),
          size: counter(raw, attributes, "size", "total_size", previous?.counts.size ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "It is deleted as by the AWS API: S3 refuses while it holds objects (empty it first).",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("s3", "DeleteBucket", { Bucket: bucketName(node) }, node),
    },
  },
};

export const palette = [
  {
    id: "bucket",
    label: "Bucket",
    icon: icon("bucket"),
    title: "New S3 bucket",
    fields: () => [
      field(
        "Name",
        h("input", { name: "name", required: true, pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]", autocomplete: "off" }),
        "3–63 lowercase letters, digits, . and -",
      ),
      field("Versioning", h("input", { name: "versioning", type: "checkbox" }), "Keep every version of each object"),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const params = { Bucket: name };
      // Outside North Virginia, S3 wants the Region named (IllegalLocationConstraintException otherwise).
      if (sandboxRegion !== "us-east-1") params.CreateBucketConfiguration = { LocationConstraint: sandboxRegion };
      await api.aws("s3", "CreateBucket", params);
      if (form.get("versioning") === "on") {
        await api.aws("s3", "PutBucketVersioning", { Bucket: name, VersioningConfiguration: { Status: "Enabled" } });
      }
      return { name, id: `${BUCKET_ARN}${name}` };
    },
  },
];

export const inspectors = { bucket: bucketPanel };

// --- notifications: the destination's policy, then the bucket's configuration ----------------------

const policySid = (bucket) => `AllowS3-${bucketName(bucket).replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 80);

/** The statement that lets the bucket's notifications reach `destination` (what AWS's guide shows). */
export function allowBucket(bucket, destination, action) {
  return {
    Sid: policySid(bucket),
    Effect: "Allow",
    Principal: { Service: "s3.amazonaws.com" },
    Action: action,
    Resource: destination.id,
    Condition: { ArnLike: { "aws:SourceArn": bucket.id } },
  };
}

// Where each destination keeps its policy, and what S3 needs it to allow.
const DESTINATIONS = {
  "sqs:queue": {
    list: "QueueConfigurations",
    arnKey: "QueueArn",
    action: "sqs:SendMessage",
    async read(ctx, queue) {
      const answer = await ctx.api.aws("sqs", "GetQueueAttributes", { QueueUrl: queue.url, AttributeNames: ["Policy"] }, queue);
      return answer.Attributes?.Policy;
    },
    write: (ctx, queue, text) => ctx.api.aws("sqs", "SetQueueAttributes", { QueueUrl: queue.url, Attributes: { Policy: text } }, queue),
  },
  "sns:topic": {
    list: "TopicConfigurations",
    arnKey: "TopicArn",
    action: "SNS:Publish",
    async read(ctx, topic) {
      const answer = await ctx.api.aws("sns", "GetTopicAttributes", { TopicArn: topic.id }, topic);
      return answer.Attributes?.Policy;
    },
    write: (ctx, topic, text) => ctx.api.aws("sns", "SetTopicAttributes", { TopicArn: topic.id, AttributeName: "Policy", AttributeValue: text }, topic),
  },
};

async function allowInPolicy(ctx, bucket, target, kind) {
  const destination = DESTINATIONS[kind];
  const text = await destination.read(ctx, target);
  const document = text ? JSON.parse(text) : { Version: "2012-10-17", Statement: [] };
  const statement = allowBucket(bucket, target, destination.action);
  document.Statement = [...[document.Statement].flat().filter((s) => s && s.Sid !== statement.Sid), statement];
  await destination.write(ctx, target, JSON.stringify(document));
}

async function forgetInPolicy(ctx, bucket, target, kind) {
  const destination = DESTINATIONS[kind];
  const text = await destination.read(ctx, target);
  if (!text) return;
  const document = JSON.parse(text);
  const statements = [document.Statement].flat().filter(Boolean);
  const kept = statements.filter((statement) => statement.Sid !== policySid(bucket));
  if (kept.length === statements.length) return;
  // An SQS queue takes "" for no policy; an SNS topic keeps a policy, so it keeps an empty one.
  await destination.write(ctx, target, kept.length || kind === "sns:topic" ? JSON.stringify({ ...document, Statement: kept }) : "");
}

/** The bucket's NotificationConfiguration as PutBucketNotificationConfiguration takes it back. */
export async function notificationConfiguration(ctx, bucket) {
  const answer = await ctx.api.aws("s3", "GetBucketNotificationConfiguration", { Bucket: bucketName(bucket) }, bucket);
  const config = {};
  for (const name of ["QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations", "EventBridgeConfiguration"]) {
    if (answer[name]) config[name] = answer[name];
  }
  return config;
}

export function putNotificationConfiguration(ctx, bucket, config) {
  return ctx.api.aws("s3", "PutBucketNotificationConfiguration", { Bucket: bucketName(bucket), NotificationConfiguration: config }, bucket);
}

function notificationRule(kind) {
  const destination = DESTINATIONS[kind];
  return {
    from: "s3:bucket",
    to: kind,
    kind: "notification",
    describe: (bucket, target) => `${bucket.label} notifies ${target.label} of new objects`,
    refuse(bucket, target) {
      if (bucket.region !== target.region) return "S3 notifies destinations in the bucket's own Region only.";
      if (target.fifo) return "S3 event notifications cannot go to FIFO queues or topics: use a standard one.";
      return null;
    },
    async connect(ctx, bucket, target) {
      const prefix = await ctx.ask({
        title: `Notify ${target.label}`,
        text: `${bucket.label} will send s3:ObjectCreated:* events to ${target.label}. Only for keys starting with (empty: every key):`,
        label: "Key prefix",
        value: "",
      });
      if (prefix === null) return false; // cancelled: no edge
      // The policy first: S3 checks it can deliver before it accepts the configuration.
      await allowInPolicy(ctx, bucket, target, kind);
      const config = await notificationConfiguration(ctx, bucket);
      const entry = { Id: `to-${arnTail(target.id)}`.slice(0, 64), [destination.arnKey]: target.id, Events: ["s3:ObjectCreated:*"] };
      if (prefix) entry.Filter = { Key: { FilterRules: [{ Name: "prefix", Value: prefix }] } };
      config[destination.list] = [...(config[destination.list] || []).filter((c) => c.Id !== entry.Id), entry];
      await putNotificationConfiguration(ctx, bucket, config);
      return true;
    },
    async disconnect(ctx, bucket, target) {
      const config = await notificationConfiguration(ctx, bucket);
      const kept = (config[destination.list] || []).filter((c) => c[destination.arnKey] !== target.id);
      if (kept.length) config[destination.list] = kept;
      else delete config[destination.list];
      await putNotificationConfiguration(ctx, bucket, config);
      await forgetInPolicy(ctx, bucket, target, kind);
    },
    repair: {
      label: kind === "sqs:queue" ? "Add the queue policy" : "Add the topic policy",
      done: (bucket, target) => `${target.label}'s policy now lets ${bucket.label} send to it.`,
      run: (ctx, bucket, target) => allowInPolicy(ctx, bucket, target, kind),
    },
  };
}

export const wiring = [notificationRule("sqs:queue"), notificationRule("sns:topic")];

export const legend = [{ kind: "notification", label: "S3 event", color: "#2b8a3e", dash: "2 4" }];

// No counters of its own: every write and delete is followed by the bucket's resource.changed event,
// which carries its exact object count and size (services/s3/events.py).

/** A notification S3 could not deliver: why, and the fix (the destination's policy). */
export function explainFlow(event, ctx) {
  if (!/fail/.test(String(event.kind))) return null;
  const detail = event.detail || {};
  const bucket = ctx.diagram.get(event.source);
  const target = ctx.diagram.get(event.target);
  const bucketLabel = bucket?.label || event.source.slice(BUCKET_ARN.length);
  const targetLabel = target?.label || arnTail(event.target) || "the destination";
  const explained = {
    title: `${bucketLabel} could not notify ${targetLabel}`,
    reason: detail.reason || detail.error_message || "the delivery failed",
    fix: "",
    command: null,
  };
  const kind = target ? `${target.service}:${target.type}` : "";
  if (/AccessDenied|AuthorizationError|denied/i.test(`${detail.error_code} ${explained.reason}`) && DESTINATIONS[kind]) {
    const destination = DESTINATIONS[kind];
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [allowBucket({ id: event.source, name: bucketLabel }, target, destination.action)] });
    explained.fix = `Let S3 send to ${targetLabel}: select the edge and press “${kind === "sqs:queue" ? "Add the queue policy" : "Add the topic policy"}”, or set the policy with the aws CLI (this replaces it):`;
    explained.command =
      kind === "sqs:queue"
        ? { service: "sqs", operation: "SetQueueAttributes", params: { QueueUrl: target.url, Attributes: { Policy: policy } }, region: target.region }
        : { service: "sns", operation: "SetTopicAttributes", params: { TopicArn: target.id, AttributeName: "Policy", AttributeValue: policy }, region: target.region };
  } else if (/NonExistent|NotFound/i.test(String(detail.error_code))) {
    explained.fix = "Create the destination again, or remove it from the bucket's notification configuration.";
  }
  return explained;
}

export const stylesheet = new URL("gui.css", import.meta.url);
