// The inspector of a CloudWatch log group: its counters, the live tail (new events as they
// arrive, with pause and a filter box that takes the filter-pattern language: the server matches
// with the same engine as FilterLogEvents), its streams, metric filters with their newest
// datapoints, subscription filters, export tasks to S3, putting an event, retention, and delete.

import { dangerZone, deleteNodeButton, field, h, header, identity, liveCounters, liveNote, resultLine, run, section, showResult } from "../../js/kit.js";

export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const TAIL_KEEP = 200;

const clock = (ms) => new Date(ms).toISOString().slice(11, 23);

export function groupPanel(ctx, initial, config) {
  let node = initial;
  const { api } = ctx;
  const call = (operation, params = {}) => api.aws("logs", operation, { logGroupName: node.name, ...params }, node);
  let disposed = false;

  // --- counters ---
  const [counters, paintCounters] = liveCounters(() => [
    ["streams", "streams", node.counts.streams],
    ["events", "events held", node.counts.events],
    ["last-minute", "in the last minute", node.counts.lastMinute],
  ]);
  const [status, paintStatus] = liveNote(() => `${node.retentionDays ? `Events expire after ${node.retentionDays} days` : "Events never expire"} · ${node.logGroupClass}`);

  // --- the live tail ---
  const tailList = h("ol", { class: "logs-tail", dataset: { list: "tail" } });
  const tailState = h("span", { class: "logs-tail-state", dataset: { tailState: "" } }, "Live");
  const pattern = h("input", { name: "tail-pattern", placeholder: "Filter pattern: ERROR, { $.level = \"error\" }, [ip, ..., status = 5*]", autocomplete: "off" });
  const pauseButton = h("button", { type: "button", class: "small", dataset: { action: "pause" } }, "Pause");
  let paused = false;
  let after = 0;
  let fetching = false;
  let again = false;
  const tailLine = (event, fresh) =>
    h(
      "li",
      { class: fresh ? "fresh" : "", dataset: { event: String(event.id) } },
      h("span", { class: "when" }, clock(event.timestamp)),
      h("span", { class: "stream" }, event.stream),
      h("span", { class: "message" }, event.message),
    );
  const pull = async (reset = false) => {
    if (disposed || !config.tail) return;
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      if (reset) {
        after = 0;
        tailList.replaceChildren();
      }
      const answer = await api.get(config.tail, { arn: node.id, after, pattern: pattern.value });
      const fresh = after !== 0;
      for (const event of answer.events) tailList.append(tailLine(event, fresh));
      while (tailList.children.length > TAIL_KEEP) tailList.firstChild.remove();
      after = answer.newest;
      tailList.scrollTop = tailList.scrollHeight;
      tailState.classList.remove("error");
      tailState.textContent = paused ? "Paused" : "Live";
      if (!tailList.children.length) tailList.append(h("li", { class: "muted", dataset: { empty: "" } }, "No matching events yet."));
      else tailList.querySelector("[data-empty]")?.remove();
    } catch (problem) {
      tailState.classList.add("error");
      tailState.textContent = problem.message;
    } finally {
      fetching = false;
      if (again && !disposed) {
        again = false;
        pull();
      }
    }
  };
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    pauseButton.textContent = paused ? "Resume" : "Pause";
    tailState.textContent = paused ? "Paused" : "Live";
    if (!paused) pull();
  });
  let patternTimer = null;
  pattern.addEventListener("input", () => {
    clearTimeout(patternTimer);
    patternTimer = setTimeout(() => pull(true), 300);
  });
  pull(true);

  // --- streams, filters and datapoints (from the resource's description) ---
  const streamList = h("ul", { class: "logs-list", dataset: { list: "streams" } });
  const filterList = h("ul", { class: "logs-list", dataset: { list: "metric-filters" } });
  const subscriptionList = h("ul", { class: "logs-list", dataset: { list: "subscriptions" } });
  const exportList = h("ul", { class: "logs-list", dataset: { list: "exports" } });
  const paintDetail = (detail) => {
    const streams = detail.streams || [];
    streamList.replaceChildren(
      ...(streams.length
        ? streams.map((stream) =>
            h("li", { dataset: { stream: stream.logStreamName } }, h("code", {}, stream.logStreamName), stream.lastEventTimestamp ? ` · last event ${clock(stream.lastEventTimestamp)}` : " · no events"),
          )
        : [h("li", { class: "muted" }, "No streams yet.")]),
    );
    const filters = detail.metric_filters || [];
    filterList.replaceChildren(
      ...(filters.length
        ? filters.map((item) => {
            const first = item.transformations[0] || {};
            const points = item.datapoints.map((point) => point.value).join(", ");
            return h(
              "li",
              { dataset: { filter: item.name } },
              h("code", {}, item.name),
              ` "${item.pattern}" → ${first.metricNamespace}/${first.metricName}`,
              h("div", { class: "muted", dataset: { datapoints: item.name } }, points ? `newest datapoints: ${points}` : "no datapoints yet"),
            );
          })
        : [h("li", { class: "muted" }, "None: put-metric-filter turns matching events into a metric.")]),
    );
    const subscriptions = detail.subscription_filters || [];
    subscriptionList.replaceChildren(
      ...(subscriptions.length
        ? subscriptions.map((item) =>
            h("li", { dataset: { subscription: item.name } }, h("code", {}, item.name), ` → ${item.destination.split(":").pop()} · ${item.delivered} batch(es)`, item.last_error ? ` · ${item.last_error}` : ""),
          )
        : [h("li", { class: "muted" }, "None (at most 2 a group).")]),
    );
    const exportTasks = detail.export_tasks || [];
    exportList.replaceChildren(
      ...(exportTasks.length
        ? exportTasks.map((task) =>
            h(
              "li",
              { dataset: { exportTask: task.taskId, status: task.status.code } },
              h("code", {}, task.taskName || task.taskId.slice(0, 8)),
              ` → s3://${task.destination}/${task.destinationPrefix} · ${task.status.code}`,
              task.status.code === "FAILED" ? ` · ${task.status.message}` : "",
            ),
          )
        : [h("li", { class: "muted" }, "None: create-export-task copies a time range to an S3 bucket.")]),
    );
    const names = streams.map((stream) => stream.logStreamName);
    streamChoice.replaceChildren(...names.map((name) => h("option", { value: name }, name)));
  };
  const refresh = async () => {
    if (disposed || !config.resource) return;
    try {
      paintDetail(await api.get(config.resource, { arn: node.id }));
    } catch {
      // The group may be gone; the page removes the node.
    }
  };
  let refreshTimer = null;
  const refreshSoon = () => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 300);
  };

  // --- put an event ---
  const streamChoice = h("select", { name: "stream-choice" });
  const newStream = h("input", { name: "stream", placeholder: "or a new stream name", autocomplete: "off" });
  const message = h("textarea", { name: "message", rows: 2, placeholder: "Log message", required: true });
  const putLine = resultLine("put");
  const putButton = h("button", { type: "submit", class: "primary" }, "Put event");
  const putForm = h("form", { class: "insp-form logs-put", dataset: { form: "put" } }, field("Stream", streamChoice), field("New stream", newStream), field("Message", message), h("div", { class: "insp-row" }, putButton), putLine);
  putForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const stream = newStream.value.trim() || streamChoice.value || "console";
    const answer = await run(putButton, putLine, async () => {
      if (newStream.value.trim() || !streamChoice.value) {
        try {
          await call("CreateLogStream", { logStreamName: stream });
        } catch (problem) {
          if (problem.code !== "ResourceAlreadyExistsException") throw problem;
        }
      }
      const now = ctx.clock?.sandboxNow ? ctx.clock.sandboxNow().valueOf() : Date.now();
      return call("PutLogEvents", { logStreamName: stream, logEvents: [{ timestamp: Math.round(now), message: message.value }] });
    });
    if (answer) {
      showResult(putLine, answer.rejectedLogEventsInfo ? `Rejected: ${JSON.stringify(answer.rejectedLogEventsInfo)}` : `Put in ${stream}`);
      newStream.value = "";
      refreshSoon();
    }
  });

  // --- retention ---
  const retention = h("select", { name: "retention" }, h("option", { value: "" }, "Never expire"), ...RETENTION_DAYS.map((days) => h("option", { value: String(days) }, `${days} days`)));
  retention.value = node.retentionDays ? String(node.retentionDays) : "";
  const settingsLine = resultLine("settings");
  const retentionButton = h("button", { type: "button", dataset: { action: "retention" } }, "Set retention");
  retentionButton.addEventListener("click", async () => {
    const days = retention.value;
    const done = await run(retentionButton, settingsLine, () => (days ? call("PutRetentionPolicy", { retentionInDays: Number(days) }) : call("DeleteRetentionPolicy")));
    if (done) showResult(settingsLine, days ? `Events older than ${days} days expire` : "Events never expire");
  });
  const settings = h("div", { class: "insp-settings-form" }, h("div", { class: "insp-row" }, field("Retention", retention, "AWS's allowed values"), retentionButton), settingsLine);

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete log group");

  const element = h(
    "div",
    { class: "insp-panel", dataset: { id: node.id } },
    header(ctx, node),
    identity([
      ["ARN", node.id],
      ["Name", node.name],
    ]),
    status,
    counters,
    section("Live tail", h("div", { class: "logs-tail-bar" }, pattern, pauseButton, tailState), tailList),
    section("Put an event", putForm),
    section("Log streams", streamList),
    section("Metric filters", filterList),
    section("Subscription filters", subscriptionList),
    section("Export tasks", exportList),
    section("Settings", settings),
    dangerZone(deleteButton),
  );
  refresh();

  return {
    element,
    update(next, reason) {
      node = next;
      paintCounters();
      paintStatus();
      if (reason !== "flow") refreshSoon();
    },
    onFlow(event) {
      if (event.service !== "logs" || (event.target !== node.id && event.source !== node.id)) return;
      if (event.kind === "put" && !paused) pull();
      refreshSoon();
    },
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
      clearTimeout(patternTimer);
    },
  };
}
