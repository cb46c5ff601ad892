// The inspector of a CloudTrail trail: GetTrailStatus (logging, last delivery and its error), the
// log files delivered lately (a new one lights up as its delivery flow arrives), start/stop
// logging, and the event history as the console's Event history page shows it: LookupEvents with
// one lookup attribute, newest first, each event opening to its raw CloudTrail record.

import { dangerZone, deleteNodeButton, field, h, header, identity, resultLine, run, section, showResult } from "../../js/kit.js";

const ATTRIBUTES = ["EventName", "EventSource", "ReadOnly", "Username", "ResourceType", "ResourceName", "AccessKeyId", "EventId"];

const when = (value) => (value ? new Date(value).toISOString().replace(".000Z", "Z") : "never");

function eventItem(event) {
  let record = {};
  try {
    record = JSON.parse(event.CloudTrailEvent || "{}");
  } catch {
    record = {};
  }
  const failed = Boolean(record.errorCode);
  return h(
    "li",
    { class: `ct-event${failed ? " ct-error" : ""}`, dataset: { event: event.EventId, name: event.EventName } },
    h(
      "details",
      {},
      h(
        "summary",
        {},
        h("span", { class: "ct-name" }, event.EventName),
        h("span", { class: "ct-meta" }, when(event.EventTime)),
        h("span", { class: "ct-meta" }, event.EventSource),
        h("span", { class: "ct-meta" }, event.Username || record.userIdentity?.invokedBy || record.userIdentity?.type || ""),
        failed ? h("span", { class: "ct-meta" }, record.errorCode) : null,
      ),
      h("pre", { dataset: { record: "" } }, JSON.stringify(record, null, 2)),
    ),
  );
}

export function trailPanel(ctx, initial, config) {
  let node = initial;
  const { api } = ctx;
  let disposed = false;

  // --- status ---
  const statusList = identity([["ARN", node.id]]);
  const status = h("dl", { class: "insp-ids", dataset: { status: "" } });
  const paintStatus = (detail) => {
    const s = detail?.status || {};
    const rows = [
      ["Logging", s.IsLogging ? "on" : "off"],
      ["Bucket", `s3://${node.bucket}${node.prefix ? `/${node.prefix}` : ""}`],
      ["Latest delivery", when(s.LatestDeliveryTime)],
      ["Latest delivery error", s.LatestDeliveryError || "none"],
      ["Latest notification", when(s.LatestNotificationTime)],
    ];
    status.replaceChildren(...rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", { dataset: { field: label } }, value)]));
    toggle.textContent = s.IsLogging ? "Stop logging" : "Start logging";
    toggle.dataset.action = s.IsLogging ? "stop" : "start";
  };
  const toggleLine = resultLine("logging");
  const toggle = h("button", { type: "button", class: "small", dataset: { action: "start" } }, "Start logging");
  toggle.addEventListener("click", async () => {
    const stop = toggle.dataset.action === "stop";
    const done = await run(toggle, toggleLine, () => api.aws("cloudtrail", stop ? "StopLogging" : "StartLogging", { Name: node.id }, node));
    if (done) {
      showResult(toggleLine, stop ? "Logging stopped" : "Logging started: the first file is due in about 5 minutes of sandbox time");
      refresh();
    }
  });

  // --- delivered files ---
  const files = h("ul", { class: "ct-files", dataset: { list: "files" } });
  const paintFiles = (detail) => {
    const listed = detail?.recent_files || [];
    files.replaceChildren(
      ...(listed.length
        ? listed.map((file) => h("li", { dataset: { key: file.key } }, `${file.key} · ${file.records} record(s)`))
        : [h("li", { class: "insp-note" }, "No file delivered yet: the trail writes about every 5 minutes of sandbox time.")]),
    );
  };

  // --- event history ---
  const attribute = h("select", { name: "attribute" }, h("option", { value: "" }, "All events"), ...ATTRIBUTES.map((key) => h("option", { value: key }, key)));
  const value = h("input", { name: "value", autocomplete: "off", placeholder: "Value" });
  const lookLine = resultLine("lookup");
  const lookButton = h("button", { type: "submit", class: "primary" }, "Look up");
  const moreButton = h("button", { type: "button", class: "small", dataset: { action: "more" }, hidden: true }, "More");
  const events = h("ol", { class: "ct-events", dataset: { list: "events" } });
  let nextToken = null;
  let lastQuery = {};
  const lookup = async (append) => {
    const params = { ...lastQuery };
    if (append && nextToken) params.NextToken = nextToken;
    const answer = await run(append ? moreButton : lookButton, lookLine, () => api.aws("cloudtrail", "LookupEvents", params, node));
    if (!answer) return;
    nextToken = answer.NextToken || null;
    moreButton.hidden = !nextToken;
    const items = answer.Events.map(eventItem);
    if (append) events.append(...items);
    else events.replaceChildren(...items);
    showResult(lookLine, `${events.children.length} event(s)${nextToken ? ", more to come" : ""}`);
  };
  const lookForm = h(
    "form",
    { class: "insp-form", dataset: { form: "lookup" } },
    h("div", { class: "ct-filter" }, field("Lookup attribute", attribute), field("Value", value), lookButton, moreButton),
    lookLine,
    events,
  );
  lookForm.addEventListener("submit", (event) => {
    event.preventDefault();
    lastQuery = attribute.value ? { LookupAttributes: [{ AttributeKey: attribute.value, AttributeValue: value.value.trim() }] } : {};
    lookup(false);
  });
  moreButton.addEventListener("click", () => lookup(true));

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete trail");

  const refresh = async () => {
    if (disposed || !config.resource) return;
    try {
      const detail = await api.get(config.resource, { arn: node.id });
      paintStatus(detail);
      paintFiles(detail);
    } catch {
      /* the next event refreshes again */
    }
  };
  let refreshTimer = null;
  const refreshSoon = () => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 250);
  };

  const element = h(
    "div",
    { class: "insp-panel", dataset: { panel: "cloudtrail:trail", id: node.id } },
    header(ctx, node),
    statusList,
    section("Status", status, h("div", { class: "insp-row insp-settings-form" }, toggle), toggleLine),
    section("Delivered files", files),
    section("Event history", h("p", { class: "insp-note" }, "Management events of the last 90 days in this region, newest first (LookupEvents)."), lookForm),
    dangerZone(deleteButton),
  );
  paintStatus(null);
  refresh();
  lookup(false);
  return {
    element,
    update(next, reason) {
      node = next;
      if (reason !== "flow") refreshSoon();
    },
    onFlow(event) {
      if (event.service !== "cloudtrail" || event.source !== node.id) return;
      refreshSoon();
      if (event.kind === "delivered") {
        setTimeout(() => files.querySelector(`[data-key="${CSS.escape(event.detail?.key || "")}"]`)?.classList.add("arrived"), 400);
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
    },
  };
}
