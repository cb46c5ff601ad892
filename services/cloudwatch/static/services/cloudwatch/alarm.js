// The inspector of a CloudWatch alarm: its state and reason, a chart of its metric with the
// threshold line and the periods its last evaluation read, those datapoints, its history, a
// "put datapoint" form (PutMetricData, as a producer would), Set state, actions on or off, and
// delete.

import { dangerZone, deleteNodeButton, field, h, header, identity, resultLine, run, section, showResult } from "../../js/kit.js";
import { drawChart } from "./chart.js";

const seconds = (iso) => Date.parse(iso) / 1000;

export function alarmPanel(ctx, initial, config) {
  let node = initial;
  const { api } = ctx;
  const call = (operation, params = {}) => api.aws("cloudwatch", operation, params, node);
  let disposed = false;
  let detail = null;

  const state = h("p", { class: "cw-state", dataset: { state: node.state } });
  const reason = h("p", { class: "insp-note", dataset: { reason: "" } });
  const paintState = () => {
    state.textContent = node.state;
    state.dataset.state = node.state;
    reason.textContent = node.reason || "";
  };
  paintState();

  const chart = h("div", { class: "cw-chart", dataset: { chart: "metric" } });
  const next = h("p", { class: "insp-note", dataset: { next: "" } });
  const evaluated = h("ol", { class: "cw-evaluated", dataset: { list: "evaluated" } });
  const history = h("ol", { class: "cw-history", dataset: { list: "history" } });

  const paintDetail = async (found) => {
    detail = found;
    const attributes = found.attributes || {};
    const points = (found.chart?.points || []).map((p) => [seconds(p.timestamp), p.value]);
    const read = found.evaluated || [];
    const period = found.chart?.period || 60;
    const band = read.length ? [Math.min(...read.map((e) => seconds(e.timestamp))), Math.max(...read.map((e) => seconds(e.timestamp))) + period] : null;
    if (attributes.AlarmRule) {
      chart.replaceChildren(h("code", { class: "cw-rule" }, attributes.AlarmRule));
    } else {
      await drawChart(chart, { lines: [{ label: attributes.MetricName || "metric", points }], threshold: found.chart?.threshold ?? null, band });
    }
    next.textContent = found.next_evaluation ? `Next evaluation at ${new Date(found.next_evaluation).toISOString().slice(11, 19)} (sandbox clock)` : "";
    evaluated.replaceChildren(
      ...read.map((e) =>
        h(
          "li",
          { class: e.breaching ? "breaching" : "", dataset: { timestamp: e.timestamp } },
          h("span", {}, e.timestamp.slice(11, 19)),
          h("b", {}, e.value === null ? "missing" : String(e.value)),
          h("span", {}, e.breaching ? "breaching" : "ok"),
        ),
      ),
    );
    history.replaceChildren(
      ...(found.history || []).map((item) => h("li", { dataset: { type: item.type } }, h("span", {}, item.timestamp.slice(11, 19)), " ", item.summary)),
    );
  };
  const refresh = async () => {
    if (disposed || !config.resource) return;
    try {
      await paintDetail(await api.get(config.resource, { arn: node.id }));
    } catch {
      // The alarm may have been deleted meanwhile; the page removes the node.
    }
  };
  refresh();

  // --- put a datapoint to the alarm's metric ---
  const value = h("input", { name: "value", type: "number", step: "any", required: true, value: "" });
  const putLine = resultLine("put");
  const putButton = h("button", { type: "submit", class: "primary" }, "Put datapoint");
  const putForm = h("form", { class: "insp-form", dataset: { form: "put" } }, field("Value", value, "PutMetricData at the sandbox clock's now"), h("div", { class: "insp-row" }, putButton), putLine);
  putForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const attributes = detail?.attributes || {};
    const datum = { MetricName: attributes.MetricName, Value: Number(value.value), Dimensions: attributes.Dimensions || [] };
    if (attributes.Unit) datum.Unit = attributes.Unit;
    const answer = await run(putButton, putLine, () => call("PutMetricData", { Namespace: attributes.Namespace, MetricData: [datum] }));
    if (answer) {
      showResult(putLine, `Put ${value.value} to ${attributes.Namespace} ${attributes.MetricName}`);
      refresh();
    }
  });

  // --- set the state by hand ---
  const chosen = h("select", { name: "state" }, ...["ALARM", "OK", "INSUFFICIENT_DATA"].map((s) => h("option", { value: s }, s)));
  const stateLine = resultLine("state");
  const stateButton = h("button", { type: "submit" }, "Set state");
  const stateForm = h("form", { class: "insp-form", dataset: { form: "state" } }, field("State", chosen, "Until the next evaluation (SetAlarmState)"), h("div", { class: "insp-row" }, stateButton), stateLine);
  stateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await run(stateButton, stateLine, () => call("SetAlarmState", { AlarmName: node.name, StateValue: chosen.value, StateReason: "Set from the Playground inspector" }));
    if (answer) showResult(stateLine, `Set to ${chosen.value}`);
  });

  const actionsLine = resultLine("actions");
  const actionsButton = h("button", { type: "button", dataset: { action: "toggle-actions" } }, node.actionsEnabled ? "Disable actions" : "Enable actions");
  actionsButton.addEventListener("click", async () => {
    const operation = node.actionsEnabled ? "DisableAlarmActions" : "EnableAlarmActions";
    const answer = await run(actionsButton, actionsLine, () => call(operation, { AlarmNames: [node.name] }));
    if (answer) showResult(actionsLine, operation === "DisableAlarmActions" ? "Actions disabled" : "Actions enabled");
  });

  const remove = deleteNodeButton(ctx, () => node, "Delete alarm");

  const element = h(
    "div",
    { class: "insp-panel cw-alarm", dataset: { panel: "cloudwatch:alarm", id: node.id } },
    header(ctx, node),
    identity([["ARN", node.id]]),
    section("State", state, reason),
    section("Metric", chart, next),
    section("Datapoints evaluated", evaluated),
    section("Put datapoint", putForm),
    section("Set state", stateForm, h("div", { class: "insp-row insp-settings-form" }, actionsButton), actionsLine),
    section("History", history),
    dangerZone(remove),
  );

  return {
    element,
    update(updated) {
      node = updated;
      paintState();
      actionsButton.textContent = node.actionsEnabled ? "Disable actions" : "Enable actions";
      refresh();
    },
    onFlow(event) {
      if (event.target === node.id || event.source === node.id) refresh();
    },
    dispose() {
      disposed = true;
    },
  };
}

export function dashboardPanel(ctx, node, config) {
  const { api } = ctx;
  const charts = h("div", { class: "cw-widgets", dataset: { list: "widgets" } });
  const refresh = async () => {
    if (!config.resource) return;
    const found = await api.get(config.resource, { arn: node.id });
    charts.replaceChildren();
    for (const widget of found.widgets || []) {
      if (widget.type !== "metric") {
        charts.append(h("div", { class: "cw-widget cw-text" }, widget.markdown || widget.type));
        continue;
      }
      const box = h("div", { class: "cw-chart" });
      charts.append(h("div", { class: "cw-widget", dataset: { widget: widget.title || "" } }, h("h4", {}, widget.title || "Metric"), box));
      await drawChart(box, { lines: widget.lines.map((line, i) => ({ ...line, color: ["#1c7ed6", "#e8590c", "#2f9e44", "#862e9c"][i % 4] })) });
    }
  };
  refresh();
  const element = h("div", { class: "insp-panel cw-dashboard", dataset: { panel: "cloudwatch:dashboard", id: node.id } }, header(ctx, node), identity([["ARN", node.id]]), section("Widgets", charts));
  return { element, update: () => refresh(), dispose() {} };
}
