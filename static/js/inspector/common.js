// Building blocks shared by the inspector panels.

import { copyButton, h } from "../dom.js";
import { iconUrl, kindKey, kindOf } from "../nodes.js";

export function header(ctx, node) {
  const kind = kindOf(node);
  return h(
    "header",
    { class: "insp-head" },
    h("img", { class: "insp-icon", alt: "", src: iconUrl(kind.icon(node), ctx.config.iconBase) }),
    h(
      "div",
      {},
      h("h2", { class: "insp-title", dataset: { kind: kindKey(node) } }, node.label),
      h("div", { class: "insp-sub" }, kind.title, node.fifo ? " · FIFO" : "", node.dlq ? " · dead-letter queue" : ""),
    ),
  );
}

export function identity(rows) {
  return h(
    "dl",
    { class: "insp-ids" },
    rows.map(([label, value]) => [h("dt", {}, label), h("dd", {}, h("code", {}, value), copyButton(value))]),
  );
}

export function section(title, ...children) {
  return h("section", { class: "insp-section", dataset: { section: title.toLowerCase().replace(/\s+/g, "-") } }, h("h3", {}, title), ...children);
}

export function field(label, input, hint = "") {
  return h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);
}

/** The inspector's row of counters: [key, label, value, tone?] each (tone-<tone> colours it; the
 * tone defaults to the key, and data-counter is the key, which tests read). */
export function counterTiles(rows) {
  return rows.map(([key, label, value, tone = key]) =>
    h("div", { class: `insp-counter tone-${tone}`, dataset: { counter: key } }, h("b", {}, String(value)), h("span", {}, label)),
  );
}

/** The inspector's counters, redrawn from the current node: `rowsOf()` gives counterTiles' rows.
 * Returns [element, paint]; paint() redraws them (on each update of the node). */
export function liveCounters(rowsOf) {
  const element = h("div", { class: "insp-counters" });
  const paint = () => element.replaceChildren(...counterTiles(rowsOf()));
  paint();
  return [element, paint];
}

/** A note under the counters (data-status), redrawn from the current node: `textOf()` gives its
 * text. Returns [element, paint]. */
export function liveNote(textOf) {
  const element = h("p", { class: "insp-note", dataset: { status: "" } });
  const paint = () => {
    element.textContent = textOf();
  };
  paint();
  return [element, paint];
}

/** A line under a form: what the last action did, or why AWS refused it. */
export function resultLine(name) {
  return h("p", { class: "insp-result", role: "status", dataset: { result: name } });
}

export function showResult(line, text, ok = true) {
  line.textContent = text;
  line.classList.toggle("error", !ok);
  line.classList.toggle("ok", ok);
}

/** Run an action from a button: the button is disabled meanwhile, an AWS error is shown on the
 * result line (code and message, as the CLI would print them). Returns the action's value or null. */
export async function run(button, line, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (problem) {
    if (line) showResult(line, problem.code ? `${problem.code}: ${problem.message}` : problem.message, false);
    return null;
  } finally {
    button.disabled = false;
  }
}

export function attributeTable(attributes, { editable = {} } = {}) {
  const rows = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  return h(
    "table",
    { class: "insp-attrs" },
    h(
      "tbody",
      {},
      rows.map(([name, value]) =>
        h(
          "tr",
          { dataset: { attribute: name } },
          h("th", { scope: "row" }, name),
          h("td", {}, editable[name] ? editable[name] : h("code", {}, formatValue(value))),
        ),
      ),
    ),
  );
}

function formatValue(value) {
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  const text = String(value ?? "");
  if (text.startsWith("{")) {
    try {
      return JSON.stringify(JSON.parse(text), null, 1);
    } catch {
      return text;
    }
  }
  return text;
}

/** "name=value" lines into SNS/SQS message attributes (String, or Number when it parses). */
export function parseAttributeLines(text) {
  const attributes = {};
  for (const line of String(text || "").split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    const name = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    attributes[name] = /^-?\d+(\.\d+)?$/.test(value) ? { DataType: "Number", StringValue: value } : { DataType: "String", StringValue: value };
  }
  return attributes;
}

/** The button that deletes the node the panel shows (after the diagram's own confirmation):
 * `nodeOf()` gives the current node. */
export function deleteNodeButton(ctx, nodeOf, label, action = "delete") {
  const button = h("button", { type: "button", class: "danger", dataset: { action } }, label);
  button.addEventListener("click", () => ctx.deleteNode(nodeOf()));
  return button;
}

export function dangerZone(...buttons) {
  return h("section", { class: "insp-section insp-danger", dataset: { section: "danger" } }, h("div", { class: "insp-row" }, ...buttons));
}
