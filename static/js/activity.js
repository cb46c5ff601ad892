// The activity panel: every AWS call of the sandbox as it happens (api.call events), newest
// first, with who made it (CLI, SDK or this page), the result, and the aws CLI command that does
// the same (cli.js); and what went wrong out of sight, such as a delivery SNS gave up on, with why
// and the fix. After a reconnect the calls made meanwhile come from /calls/?after=<id>.
//
// This page reads a lot to draw itself (GetQueueAttributes, ListSubscriptionsByTopic...): those
// reads are hidden unless "this page's reads" is ticked; what it changes is always shown.

import { listOf } from "./api.js";
import { cliNames, commandShown, commandText, commandWords, sameCall } from "./cli.js";
import { copyButton, h } from "./dom.js";

const MAX_ROWS = 300;
const READ = /^(Get|List|Describe|Head)[A-Z]/;

function origin(userAgent = "") {
  if (userAgent.startsWith("playground-console")) return "GUI";
  if (/aws-cli/i.test(userAgent)) return "CLI";
  if (/boto|botocore|aws-sdk/i.test(userAgent)) return "SDK";
  return userAgent ? "client" : "GUI";
}

export class Activity {
  /** ctx: {api, config} (config.endpoint_url, config.urls.cli, config.sandbox.region). */
  constructor(root, { api, config }) {
    this.root = root;
    this.api = api;
    this.config = config;
    this.list = root.querySelector("[data-activity-list]");
    this.count = root.querySelector("[data-activity-count]");
    this.hiddenCount = root.querySelector("[data-activity-hidden]");
    this.seen = new Set(); // request ids already shown (a call can come by event and by resync)
    this.lastId = null; // the newest call row id read from /calls/, to resync from
    this.total = 0;
    this.filter = "all";
    this.showReads = false;
    root.querySelector("[data-activity-filter]")?.addEventListener("change", (event) => {
      this.filter = event.target.value;
      this.applyFilters();
    });
    root.querySelector("[data-activity-reads]")?.addEventListener("change", (event) => {
      this.showReads = event.target.checked;
      this.applyFilters();
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

  /** This page's own call that the record shows, with its parameters in full (taken once). */
  ownParams(call) {
    const sent = this.api?.sent || [];
    const index = sent.findIndex(
      (entry) => entry.service === call.service && entry.operation === call.operation && sameCall(call.params || {}, entry.params),
    );
    if (index < 0) return null;
    const [entry] = sent.splice(index, 1);
    return entry.params;
  }

  /** Fill a row's command line once the CLI's names for the service are known. */
  async command(box, call, params) {
    const names = await cliNames(call.service, this.config.urls.cli);
    // Shown and copied alike with --endpoint-url: a line pasted from the screen must never reach
    // real AWS (with whatever the default profile holds).
    const options = { defaultRegion: this.config.sandbox.region, endpointUrl: this.config.endpoint_url };
    const shown = commandWords(names, call, call.params, options);
    if (!shown) {
      box.replaceChildren(h("span", { class: "muted" }, `no aws CLI command for ${call.service} ${call.operation}`));
      return;
    }
    const copied = commandWords(names, call, params || call.params, options);
    const code = h("code", { dataset: { cli: commandText(copied) } }, commandShown(shown));
    box.replaceChildren(code, copyButton(() => commandText(copied)));
  }

  add(call) {
    if (call.request_id) {
      if (this.seen.has(call.request_id)) return;
      this.seen.add(call.request_id);
    }
    const ok = !call.error_code;
    const who = origin(call.user_agent);
    const params = who === "GUI" ? this.ownParams(call) : null;
    const cli = h("div", { class: "call-cli" }, h("code", { class: "muted" }, "…"));
    const row = h(
      "li",
      {
        class: `call ${ok ? "ok" : "failed"}`,
        dataset: {
          service: call.service,
          operation: call.operation,
          origin: who,
          status: String(call.http_status ?? ""),
          read: String(who === "GUI" && READ.test(call.operation || "")),
        },
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
      cli,
    );
    this.command(cli, call, params);
    this.prepend(row);
    this.total += 1;
    this.paintCount();
  }

  /**
   * Something that failed out of sight, explained by its service ({title, reason, fix, command}):
   * a delivery SNS gave up on. `event` is the flow event that said so.
   */
  addProblem(event, { title, reason, fix, command }) {
    const cli = command ? h("div", { class: "call-cli" }, h("code", { class: "muted" }, "…")) : null;
    const row = h(
      "li",
      { class: "call failed problem", dataset: { service: event.service, origin: "problem", flow: event.kind, target: event.target } },
      h(
        "div",
        { class: "call-head" },
        h("time", { class: "call-at", datetime: event.at, title: `sandbox time ${event.at}` }, String(event.at || "").slice(11, 19)),
        h("span", { class: "call-origin origin-problem" }, event.service.toUpperCase()),
        h("span", { class: "call-op", title }, title),
        h("span", { class: "call-result" }, event.detail?.error_code || "failed"),
      ),
      h("div", { class: "call-why" }, h("span", { dataset: { reason: "" } }, `Why: ${reason}.`), fix ? h("span", { dataset: { fix: "" } }, ` Fix: ${fix}`) : null),
      cli,
    );
    if (command) {
      this.command(cli, { ...command, region: command.region || this.config.sandbox.region }, command.params);
    }
    this.prepend(row);
  }

  prepend(row) {
    this.applyFilter(row);
    this.list.prepend(row);
    while (this.list.children.length > MAX_ROWS) this.list.lastElementChild.remove();
    this.paintHidden();
  }

  applyFilters() {
    for (const row of this.list.children) this.applyFilter(row);
    this.paintHidden();
  }

  applyFilter(row) {
    const f = this.filter;
    const problem = row.dataset.origin === "problem";
    const shown = f === "all" || (f === "errors" && row.classList.contains("failed")) || row.dataset.origin === f || (problem && f === "errors");
    row.hidden = !shown || (row.dataset.read === "true" && !this.showReads);
  }

  paintCount() {
    if (this.count) this.count.textContent = String(this.total);
  }

  paintHidden() {
    if (!this.hiddenCount) return;
    const reads = this.showReads ? 0 : this.list.querySelectorAll('.call[data-read="true"]').length;
    this.hiddenCount.textContent = reads ? `(${reads} reads by this page hidden)` : "";
  }
}
