// The activity panel: every AWS call of the sandbox as it happens (api.call events), newest
// first, with who made it (CLI, SDK or this page), the result, and the aws CLI command line that
// does the same. After a reconnect the calls made meanwhile come from /calls/?after=<id>.

import { copyButton, h } from "./dom.js";
import { listOf } from "./api.js";

const MAX_ROWS = 300;

/** botocore's way from "ListDeadLetterSourceQueues" to "list-dead-letter-source-queues". */
export function kebab(name) {
  return String(name)
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase();
}

function shellQuote(text) {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The aws CLI line for an operation and its (recorded) parameters. Payloads the call record
 * keeps only the size of ("<12 chars>") stay as that placeholder. */
export function cliLine(service, operation, params = {}, endpointUrl = "") {
  const parts = ["aws"];
  if (endpointUrl) parts.push("--endpoint-url", endpointUrl);
  parts.push(service, kebab(operation));
  for (const [name, value] of Object.entries(params || {})) {
    const option = `--${kebab(name)}`;
    if (value === true) parts.push(option);
    else if (value === false) parts.push(`--no-${kebab(name)}`);
    else if (Array.isArray(value) && value.every((item) => typeof item !== "object")) parts.push(option, ...value.map((item) => shellQuote(String(item))));
    else if (value !== null && typeof value === "object") parts.push(option, shellQuote(JSON.stringify(value)));
    else parts.push(option, shellQuote(String(value)));
  }
  return parts.join(" ");
}

function origin(userAgent = "") {
  if (userAgent.startsWith("playground-console")) return "GUI";
  if (/aws-cli/i.test(userAgent)) return "CLI";
  if (/boto|botocore|aws-sdk/i.test(userAgent)) return "SDK";
  return userAgent ? "client" : "GUI";
}

export class Activity {
  constructor(root, { endpointUrl }) {
    this.root = root;
    this.list = root.querySelector("[data-activity-list]");
    this.count = root.querySelector("[data-activity-count]");
    this.endpointUrl = endpointUrl;
    this.seen = new Set(); // request ids already shown (a call can come by event and by resync)
    this.lastId = null; // the newest call row id read from /calls/, to resync from
    this.total = 0;
    this.filter = "all";
    root.querySelector("[data-activity-filter]")?.addEventListener("change", (event) => {
      this.filter = event.target.value;
      for (const row of this.list.children) this.applyFilter(row);
    });
    root.querySelector("[data-activity-clear]")?.addEventListener("click", () => {
      this.list.replaceChildren();
      this.total = 0;
      this.paintCount();
    });
  }

  /** A page of calls from the REST API (sorted here by id; only the newest MAX_ROWS are drawn). */
  addMany(document) {
    const calls = listOf(document, "calls").slice();
    calls.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    calls.forEach((call, index) => {
      if (call.id !== undefined && (this.lastId === null || call.id > this.lastId)) this.lastId = call.id;
      if (index >= calls.length - MAX_ROWS) this.add(call);
      else this.total += 1;
    });
    this.paintCount();
  }

  add(call) {
    if (call.request_id) {
      if (this.seen.has(call.request_id)) return;
      this.seen.add(call.request_id);
    }
    const ok = !call.error_code;
    const who = origin(call.user_agent);
    const line = cliLine(call.service, call.operation, call.params);
    const row = h(
      "li",
      {
        class: `call ${ok ? "ok" : "failed"}`,
        dataset: { service: call.service, operation: call.operation, origin: who, status: String(call.http_status ?? "") },
      },
      h(
        "div",
        { class: "call-head" },
        h("time", { class: "call-at", datetime: call.at, title: `sandbox time ${call.at}` }, String(call.at || "").slice(11, 19)),
        h("span", { class: `call-origin origin-${who.toLowerCase()}` }, who),
        h("span", { class: "call-op" }, h("b", {}, call.service), ":", call.operation),
        h(
          "span",
          { class: "call-result", title: call.error_message || "" },
          ok ? `OK ${call.http_status ?? 200}` : `${call.error_code} ${call.http_status ?? ""}`,
        ),
        h("span", { class: "call-ms" }, call.duration_ms !== undefined ? `${Math.round(call.duration_ms)} ms` : ""),
      ),
      h(
        "div",
        { class: "call-cli" },
        h("code", {}, line),
        copyButton(() => cliLine(call.service, call.operation, call.params, this.endpointUrl)),
      ),
    );
    this.applyFilter(row);
    this.list.prepend(row);
    while (this.list.children.length > MAX_ROWS) this.list.lastElementChild.remove();
    this.total += 1;
    this.paintCount();
  }

  applyFilter(row) {
    const f = this.filter;
    row.hidden = !(f === "all" || (f === "errors" && row.classList.contains("failed")) || row.dataset.origin === f);
  }

  paintCount() {
    if (this.count) this.count.textContent = String(this.total);
  }
}
