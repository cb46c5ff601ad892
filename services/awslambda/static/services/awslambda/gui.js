// AWS Lambda on the sandbox page (the contract: docs/services-gui.md): function nodes with their
// state, invocations and errors of the last minute and whether the last start was cold or warm;
// the palette's Function form (a Python handler typed in); the function inspector (function.js:
// the code, a test-event box, recent invocations with their log lines); wiring a queue or a
// Kinesis stream to a function (an event source mapping); and the counters that move on each
// invocation.

import { field, h, toNumber } from "../../js/kit.js";
import { functionPanel } from "./function.js";

const icon = new URL("icons/function.svg", import.meta.url).href;
const ROLE_NAME = "playground-lambda-role";

export const TEMPLATE = `import json


def handler(event, context):
    # One call per event; an SQS mapping sends a batch in event["Records"].
    for record in event.get("Records", []):
        print("processing", record.get("body"))
    return {"statusCode": 200, "body": json.dumps("done")}
`;

let config = {};
let account = "123456789012";

export function setup(ctx) {
  config = ctx.service.config || {};
  account = ctx.config?.sandbox?.account_id || account;
}

function stateTone(state) {
  if (state === "Active") return "ok";
  if (state === "Pending") return "warn";
  return "muted";
}

export async function packageSource(api, source, name = "lambda_function.py") {
  const answer = await api.get(config.package, { name, source });
  return answer.zip;
}

export const kinds = {
  function: {
    title: "Lambda function",
    icon: () => icon,
    subtitle: (node) => `${node.runtime || "python"} · ${node.memorySize} MB · ${node.timeout} s`,
    badges: (node) => [
      { key: "invocations", label: "calls/min", value: node.counts.invocations, tone: "invocations" },
      { key: "errors", label: "errors", value: node.counts.errors, tone: node.counts.errors ? "errors" : "muted" },
      { key: "start", label: "last start", value: node.lastStart || "–", tone: node.lastStart === "cold" ? "cold" : "warm" },
      { key: "state", label: "state", value: node.state || "?", tone: stateTone(node.state) },
    ],
    column: () => 3,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      return {
        state: raw.state ?? attributes.State ?? previous?.state ?? "",
        runtime: raw.runtime ?? attributes.Runtime ?? previous?.runtime ?? "",
        handler: raw.handler ?? attributes.Handler ?? previous?.handler ?? "",
        memorySize: toNumber(raw.memory_size ?? attributes.MemorySize, previous?.memorySize ?? 128),
        timeout: toNumber(raw.timeout ?? attributes.Timeout, previous?.timeout ?? 3),
        lastStart: raw.last_start ?? previous?.lastStart ?? "",
        counts: {
          invocations: toNumber(raw.invocations_last_minute, previous?.counts.invocations ?? 0),
          errors: toNumber(raw.errors_last_minute, previous?.counts.errors ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "The function, its event source mappings and its recent invocations are deleted.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      run: (ctx, node) => ctx.api.aws("lambda", "DeleteFunction", { FunctionName: node.name }, node),
    },
  },
};

export const palette = [
  {
    id: "function",
    label: "Function",
    icon,
    title: "New Lambda function (Python)",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[a-zA-Z0-9_\\-]{1,64}", autocomplete: "off" }), "Letters, digits, - and _"),
      field("Handler code (lambda_function.py)", h("textarea", { name: "source", rows: 9, spellcheck: false, class: "lambda-code" }, TEMPLATE)),
      field("Timeout (seconds)", h("input", { name: "timeout", type: "number", min: 1, max: 900, value: 3 })),
      field("Memory (MB)", h("input", { name: "memory", type: "number", min: 128, max: 10240, value: 128 })),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const zip = await packageSource(api, form.get("source") || TEMPLATE);
      await api.aws("lambda", "CreateFunction", {
        FunctionName: name,
        Runtime: "python3.12",
        Handler: "lambda_function.handler",
        Role: `arn:aws:iam::${account}:role/${ROLE_NAME}`,
        Code: { ZipFile: zip },
        Timeout: Number(form.get("timeout") || 3),
        MemorySize: Number(form.get("memory") || 128),
      });
      return { name };
    },
  },
];

export const inspectors = { function: (ctx, node) => functionPanel(ctx, node, config) };

/** The mappings from a queue or stream to a function, found through the API (an edge read from the graph has its uuid). */
async function mappingsBetween(ctx, source, fn) {
  const answer = await ctx.api.aws("lambda", "ListEventSourceMappings", { FunctionName: fn.name, EventSourceArn: source.id }, fn);
  return answer.EventSourceMappings || [];
}

async function unmap(ctx, source, fn) {
  for (const mapping of await mappingsBetween(ctx, source, fn)) await ctx.api.aws("lambda", "DeleteEventSourceMapping", { UUID: mapping.UUID }, fn);
}

export const wiring = [
  {
    from: "sqs:queue",
    to: "awslambda:function",
    kind: "event-source",
    describe: (queue, fn) => `${fn.label} processes the messages of ${queue.label}`,
    refuse: () => null,
    async connect(ctx, queue, fn) {
      const params = { EventSourceArn: queue.id, FunctionName: fn.name, BatchSize: 10 };
      await ctx.api.aws("lambda", "CreateEventSourceMapping", params, fn);
    },
    disconnect: (ctx, queue, fn) => unmap(ctx, queue, fn),
  },
  {
    from: "kinesis:stream",
    to: "awslambda:function",
    kind: "event-source",
    describe: (stream, fn) => `${fn.label} processes the records of ${stream.label}, shard by shard, from the oldest`,
    refuse: () => null,
    async connect(ctx, stream, fn) {
      const params = { EventSourceArn: stream.id, FunctionName: fn.name, StartingPosition: "TRIM_HORIZON", BatchSize: 100 };
      await ctx.api.aws("lambda", "CreateEventSourceMapping", params, fn);
    },
    disconnect: (ctx, stream, fn) => unmap(ctx, stream, fn),
  },
];

export const legend = [
  { kind: "event-source", label: "event source (SQS or Kinesis → Lambda)", color: "#e8590c" },
  { kind: "on-success", label: "on success", color: "#2b8a3e", dash: "6 4" },
  { kind: "on-failure", label: "on failure", color: "#c92a2a", dash: "6 4" },
];

export const counters = {
  invoke: (e) => [
    [e.target, "invocations", 1],
    ...(e.detail?.error_type ? [[e.target, "errors", 1]] : []),
  ],
};

/** A failed invocation: what the function said, and where to look. */
export function explainFlow(event) {
  if (event.kind !== "invoke" || !event.detail?.error_type) return null;
  const type = event.detail.error_type;
  return {
    title: `${event.detail.type || "An"} invocation failed: ${type}`,
    reason:
      type === "Sandbox.Timedout"
        ? "the handler ran past the function's Timeout"
        : type.startsWith("Runtime.")
          ? "the runtime could not load or run the handler"
          : "the handler raised an exception",
    fix: "read the invocation's log lines in the function's inspector, fix the code and update it.",
    command: null,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
