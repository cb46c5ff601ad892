// EventBridge on the sandbox page (the contract: docs/services-gui.md): event bus and rule nodes
// (a schedule rule shows its next fire time on the sandbox clock), the edges bus -> rule -> target
// that graph.py draws, the palette's Rule form, and the rule inspector: its pattern or schedule,
// its targets, its counters, the events it matches as they arrive, and a pattern tester that asks
// TestEventPattern (the engine PutRule and delivery use) about a sample event as it is typed.

import { field, h, header, identity, resultLine, run, section, showResult, toNumber } from "../../js/kit.js";

const busIcon = new URL("icons/bus.svg", import.meta.url).href;
const ruleIcon = new URL("icons/rule.svg", import.meta.url).href;

let config = {};

export function setup(ctx) {
  config = ctx.service.config || {};
}

function nextFire(node) {
  if (!node.nextFireAt) return node.schedule ? "not scheduled" : "";
  const at = new Date(node.nextFireAt);
  return `next ${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

export const kinds = {
  "event-bus": {
    title: "EventBridge event bus",
    icon: () => busIcon,
    subtitle: (node) => (node.name === "default" ? "Default event bus" : "Custom event bus"),
    badges: () => [],
    column: () => 1,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      return { policy: Boolean(raw.policy ?? node.attributes.Policy ?? previous?.policy) };
    },
  },
  rule: {
    title: "EventBridge rule",
    icon: () => ruleIcon,
    subtitle: (node) => (node.schedule ? `${node.schedule} · ${nextFire(node)}` : "event pattern"),
    badges: (node) => [
      { key: "matched", label: "matched", value: node.counts.matched, tone: "ok" },
      { key: "failed", label: "failed", value: node.counts.failed, tone: node.counts.failed ? "warn" : "muted" },
      { key: "state", label: "state", value: node.state || "?", tone: node.state === "DISABLED" ? "muted" : "ok" },
    ],
    column: () => 2,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const attributes = node.attributes;
      return {
        state: raw.state ?? attributes.State ?? previous?.state ?? "",
        pattern: raw.event_pattern ?? attributes.EventPattern ?? previous?.pattern ?? "",
        schedule: raw.schedule ?? attributes.ScheduleExpression ?? previous?.schedule ?? "",
        nextFireAt: raw.next_fire_at !== undefined ? raw.next_fire_at : attributes.NextFireTime !== undefined ? attributes.NextFireTime : previous?.nextFireAt ?? null,
        bus: raw.bus ?? previous?.bus ?? "default",
        counts: {
          matched: toNumber(raw.matched_events, previous?.counts.matched ?? 0),
          invocations: toNumber(raw.invocations, previous?.counts.invocations ?? 0),
          failed: toNumber(raw.failed_invocations, previous?.counts.failed ?? 0),
        },
      };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "Its targets are removed first (RemoveTargets), then the rule (DeleteRule), as AWS requires.",
      action: "Delete",
      done: (node) => `Deleted ${node.label}`,
      async run(ctx, node) {
        const params = { Rule: node.name, EventBusName: node.bus };
        const targets = await ctx.api.aws("events", "ListTargetsByRule", params, node);
        const ids = (targets.Targets || []).map((target) => target.Id);
        if (ids.length) await ctx.api.aws("events", "RemoveTargets", { ...params, Ids: ids }, node);
        return ctx.api.aws("events", "DeleteRule", { Name: node.name, EventBusName: node.bus }, node);
      },
    },
  },
};

export const palette = [
  {
    id: "rule",
    label: "Rule",
    icon: ruleIcon,
    title: "New EventBridge rule (default bus)",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[\\.\\-_A-Za-z0-9]{1,64}", autocomplete: "off" })),
      field("Event pattern", h("textarea", { name: "pattern", rows: 4, placeholder: '{"source": ["shop.orders"]}' }), "JSON; or leave empty and give a schedule"),
      field("Schedule", h("input", { name: "schedule", placeholder: "rate(5 minutes) or cron(0 18 ? * MON-FRI *)", autocomplete: "off" }), "UTC, on the sandbox clock"),
    ],
    async create({ api }, form) {
      const name = form.get("name").trim();
      const params = { Name: name };
      const pattern = (form.get("pattern") || "").trim();
      const schedule = (form.get("schedule") || "").trim();
      if (pattern) params.EventPattern = pattern;
      if (schedule) params.ScheduleExpression = schedule;
      const answer = await api.aws("events", "PutRule", params);
      return { name, id: answer.RuleArn };
    },
  },
];

const SAMPLE = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Order Placed",
  source: "shop.orders",
  account: "123456789012",
  time: "2027-01-01T18:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: { total: 120, customer: { tier: "gold" } },
};

function rulePanel(ctx, initial) {
  let node = initial;
  let disposed = false;
  let timer = null;
  const counters = h("p", { class: "insp-counters", dataset: { counters: "" } });
  const schedule = h("p", { dataset: { schedule: "" } });
  const matched = h("p", { class: "eventbridge-matched", dataset: { matched: "" } });
  const targetList = h("ul", { class: "eventbridge-targets", dataset: { list: "targets" } });

  const patternBox = h("textarea", { name: "pattern", spellcheck: false });
  const eventBox = h("textarea", { name: "event", spellcheck: false });
  patternBox.value = node.pattern || '{"source": ["shop.orders"]}';
  eventBox.value = JSON.stringify(SAMPLE, null, 2);
  const verdict = h("p", { class: "eventbridge-verdict", role: "status", dataset: { verdict: "" } });
  const testButton = h("button", { type: "submit" }, "Test");
  const tester = h("form", { class: "insp-form eventbridge-pattern", dataset: { form: "test" } },
    field("Pattern", patternBox), field("Sample event", eventBox), h("div", { class: "insp-row" }, testButton), verdict);

  async function test() {
    try {
      const answer = await ctx.api.aws("events", "TestEventPattern", { EventPattern: patternBox.value, Event: eventBox.value });
      if (disposed) return;
      verdict.className = `eventbridge-verdict ${answer.Result ? "match" : "nomatch"}`;
      verdict.textContent = answer.Result ? "✓ The pattern matches this event" : "✗ The pattern does not match this event";
    } catch (problem) {
      verdict.className = "eventbridge-verdict invalid";
      verdict.textContent = `${problem.code || "Error"}: ${problem.message}`;
    }
  }
  const testSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(test, 300);
  };
  patternBox.addEventListener("input", testSoon);
  eventBox.addEventListener("input", testSoon);
  tester.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    test();
  });

  const toggle = h("button", { type: "button", dataset: { action: "toggle" } });
  const toggleLine = resultLine("state");
  toggle.addEventListener("click", () =>
    run(toggle, toggleLine, async () => {
      const operation = node.state === "DISABLED" ? "EnableRule" : "DisableRule";
      await ctx.api.aws("events", operation, { Name: node.name, EventBusName: node.bus }, node);
      showResult(toggleLine, operation === "EnableRule" ? "Enabled" : "Disabled");
    }),
  );

  function paint() {
    const c = node.counts;
    counters.textContent = `${c.matched} matched · ${c.invocations} delivered · ${c.failed} failed invocations`;
    schedule.textContent = node.schedule ? `${node.schedule}: ${nextFire(node)} (sandbox clock)` : "";
    toggle.textContent = node.state === "DISABLED" ? "Enable rule" : "Disable rule";
  }

  async function loadTargets() {
    try {
      const answer = await ctx.api.aws("events", "ListTargetsByRule", { Rule: node.name, EventBusName: node.bus }, node);
      if (disposed) return;
      targetList.replaceChildren(
        ...(answer.Targets || []).map((target) => h("li", { dataset: { target: target.Id } }, `${target.Id} → ${target.Arn}`)),
      );
      if (!targetList.children.length) targetList.append(h("li", {}, "No targets yet: add them with PutTargets (at most 5)."));
    } catch {
      /* the rule is being deleted */
    }
  }

  const element = h(
    "div",
    { class: "insp-panel", dataset: { id: node.id } },
    header(ctx, node),
    identity([
      ["ARN", node.id],
      ["Event bus", node.bus],
    ]),
    counters,
    schedule,
    matched,
    section("Event pattern", h("pre", { dataset: { pattern: "" } }, node.pattern || "(schedule rule)")),
    section("Targets", targetList),
    section("Test a pattern", tester),
    section("State", h("div", { class: "insp-row" }, toggle), toggleLine),
  );
  paint();
  loadTargets();
  test();
  return {
    element,
    update(next, reason) {
      node = next;
      paint();
      element.querySelector("[data-pattern]").textContent = node.pattern || "(schedule rule)";
      if (reason !== "flow") loadTargets();
    },
    onFlow(event) {
      if (event.service !== "eventbridge" || (event.target !== node.id && event.source !== node.id)) return;
      if (event.kind === "matched" || event.kind === "fired") matched.textContent = `Matched event ${event.item_id}`;
      if (event.kind === "failed") matched.textContent = `Delivery to ${event.target} failed: ${event.detail?.error_code}`;
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

/** The bus inspector: its ARN and policy, and its archives (events kept, retention) with the
 * replays from them and their state on the sandbox clock (ListArchives / ListReplays). */
function busPanel(ctx, initial) {
  let node = initial;
  let disposed = false;
  let timer = null;
  let hasArchives = false;
  const archiveList = h("ul", { class: "eventbridge-archives", dataset: { list: "archives" } });
  const replayList = h("ul", { class: "eventbridge-archives", dataset: { list: "replays" } });
  const policy = h("p", { dataset: { policy: "" } });
  const days = (n) => (n ? `kept ${n} day${n === 1 ? "" : "s"}` : "kept indefinitely");

  async function load() {
    try {
      const answer = await ctx.api.aws("events", "ListArchives", { EventSourceArn: node.id }, node);
      const archives = answer.Archives || [];
      hasArchives = archives.length > 0;
      // One ListReplays for the region, kept to this bus's archives (these reads are the student's
      // calls too: they show in the call log and the event history).
      const mine = new Set(archives.map((archive) => node.id.replace(/:event-bus\/.*$/, `:archive/${archive.ArchiveName}`)));
      const found = hasArchives ? await ctx.api.aws("events", "ListReplays", {}, node) : {};
      const replays = (found.Replays || []).filter((replay) => mine.has(replay.EventSourceArn));
      if (disposed) return;
      archiveList.replaceChildren(
        ...archives.map((archive) =>
          h(
            "li",
            { dataset: { archive: archive.ArchiveName } },
            `${archive.ArchiveName} · ${archive.EventCount} event${archive.EventCount === 1 ? "" : "s"} · ${days(archive.RetentionDays)} · ${archive.State}`,
          ),
        ),
      );
      if (!archives.length) archiveList.append(h("li", {}, "No archive: CreateArchive keeps this bus's events to replay them."));
      replayList.replaceChildren(
        ...replays.map((replay) => h("li", { dataset: { replay: replay.ReplayName } }, `${replay.ReplayName} · ${replay.State}`)),
      );
      if (!replays.length) replayList.append(h("li", {}, "No replay yet."));
    } catch {
      /* the bus is being deleted */
    }
  }
  const loadSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };
  const paint = () => {
    policy.textContent = node.policy ? "A resource policy lets other accounts put events." : "No resource policy: only this account puts events.";
  };

  const element = h(
    "div",
    { class: "insp-panel", dataset: { id: node.id } },
    header(ctx, node),
    identity([["ARN", node.id]]),
    policy,
    section("Archives", archiveList),
    section("Replays", replayList),
  );
  paint();
  load();
  return {
    element,
    update(next, reason) {
      node = next;
      paint();
      if (reason !== "flow") loadSoon();
    },
    onFlow(event) {
      // An event into the bus changes only its archives' counts: no archive, nothing to reload.
      if (event.service === "eventbridge" && ((hasArchives && event.target === node.id) || event.kind === "replayed")) loadSoon();
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

export const inspectors = { rule: rulePanel, "event-bus": busPanel };

// Archives and replays are listed in their bus's inspector, not drawn as nodes.
export const hidden = ["archive", "replay"];

export const legend = [{ kind: "target", label: "rule target", color: "#c2255c" }];

export const counters = {
  matched: (e) => [[e.target, "matched", 1]],
  fired: (e) => [[e.target, "matched", 1]],
  delivered: (e) => [[e.source, "invocations", 1]],
};

/** A delivery that failed: why, and what to do. */
export function explainFlow(event) {
  if (event.kind !== "failed") return null;
  const code = event.detail?.error_code || "";
  const denied = code.endsWith("AccessDenied") || code.endsWith("AuthorizationError");
  return {
    title: `Delivery to ${event.target.split(":").slice(-1)[0]} failed (${code})`,
    reason: event.detail?.error_message || code,
    fix: denied
      ? "give the target a resource policy letting events.amazonaws.com send to it (sqs:SendMessage / sns:Publish)."
      : event.detail?.retry_at
        ? "EventBridge retries on the sandbox clock; add a DeadLetterConfig to keep what it gives up on."
        : "fix the target or remove it; a DeadLetterConfig keeps the events that could not be delivered.",
    command: null,
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
