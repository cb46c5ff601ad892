// The inspector of a Lambda function: its state and settings, the counters of the last minute,
// the handler's code (editable: UpdateFunctionCode), a test-event box (Invoke with LogType Tail:
// the result and the log lines), the recent invocations with cold or warm starts and their logs
// (live: refreshed on each invoke flow), its event source mappings, and delete.

import { dangerZone, deleteNodeButton, field, fromBase64, h, header, identity, liveCounters, liveNote, resultLine, run, section, showResult, toBase64 } from "../../js/kit.js";
import { packageSource } from "./gui.js";

const DEFAULT_EVENT = '{\n  "key": "value"\n}';

function invocationItem(row) {
  const start = row.cold ? `cold (init ${row.init_ms} ms)` : "warm";
  return h(
    "li",
    { class: `lambda-invocation ${row.error_type ? "failed" : "ok"}`, dataset: { request: row.request_id, start: row.cold ? "cold" : "warm" } },
    h(
      "div",
      { class: "inv-meta" },
      h("span", { class: `inv-start ${row.cold ? "cold" : "warm"}` }, start),
      h("span", {}, row.type),
      h("span", {}, `${row.duration_ms} ms`),
      row.error_type ? h("span", { class: "inv-error" }, row.error_type) : null,
      h("span", { class: "inv-at" }, row.at.replace("T", " ").slice(0, 19)),
    ),
    h("pre", { class: "lambda-log", dataset: { log: row.request_id } }, row.log),
  );
}

export function functionPanel(ctx, initial, config) {
  let node = initial;
  const { api } = ctx;
  let disposed = false;
  let refreshTimer = null;

  const [counters, paintCounters] = liveCounters(() => [
    ["invocations", "calls in the last minute", node.counts.invocations],
    ["errors", "errors in the last minute", node.counts.errors],
  ]);
  const [status, paintStatus] = liveNote(
    () => `${node.state || "?"} · ${node.runtime} · ${node.handler} · ${node.memorySize} MB · ${node.timeout} s timeout` + (node.lastStart ? ` · last start ${node.lastStart}` : ""),
  );
  const paint = () => {
    paintCounters();
    paintStatus();
  };

  // --- the code ---
  const files = h("div", { class: "lambda-files", dataset: { list: "files" } });
  const editor = h("textarea", { name: "code", rows: 12, spellcheck: false, class: "lambda-code" });
  const codeLine = resultLine("code");
  const deployButton = h("button", { type: "submit", class: "primary", dataset: { action: "deploy" } }, "Deploy");
  const codeForm = h("form", { class: "insp-form", dataset: { form: "code" } }, editor, h("div", { class: "insp-row" }, deployButton), codeLine);
  let editorFile = "lambda_function.py";
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await run(deployButton, codeLine, async () => {
      const zip = await packageSource(api, editor.value, editorFile);
      return api.aws("lambda", "UpdateFunctionCode", { FunctionName: node.name, ZipFile: zip }, node);
    });
    if (answer) showResult(codeLine, `Deployed ${editorFile} (${answer.CodeSize} bytes); the update finishes in a second`);
  });

  // --- the test-event box ---
  const eventBox = h("textarea", { name: "event", rows: 5, spellcheck: false, class: "lambda-code" }, DEFAULT_EVENT);
  const testLine = resultLine("test");
  const testOutput = h("pre", { class: "lambda-log", dataset: { output: "test" } });
  const testButton = h("button", { type: "submit", class: "primary", dataset: { action: "test" } }, "Test");
  const testForm = h("form", { class: "insp-form", dataset: { form: "test" } }, field("Event (JSON)", eventBox), h("div", { class: "insp-row" }, testButton), testLine, testOutput);
  testForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await run(testButton, testLine, () =>
      api.aws("lambda", "Invoke", { FunctionName: node.name, LogType: "Tail", Payload: toBase64(eventBox.value) }, node),
    );
    if (!answer) return;
    const payload = answer.Payload ? fromBase64(answer.Payload) : "";
    showResult(testLine, answer.FunctionError ? `${answer.FunctionError}: ${payload}` : `Result: ${payload}`, !answer.FunctionError);
    testOutput.textContent = answer.LogResult ? fromBase64(answer.LogResult) : "";
  });

  // --- recent invocations and mappings (from the resource's description) ---
  const invocations = h("ol", { class: "lambda-invocations", dataset: { list: "invocations" } });
  const mappings = h("ul", { class: "lambda-mappings", dataset: { list: "mappings" } });
  let shownCode = false;
  const paintDetail = (detail) => {
    const code = detail.code || [];
    files.replaceChildren(...code.map((file) => h("span", { class: "lambda-file", dataset: { file: file.name } }, `${file.name} (${file.size} B)`)));
    const main = code.find((file) => file.name === `${(node.handler || "").split(".").slice(0, -1).join("/")}.py`) || code.find((file) => file.text !== undefined);
    if (main && !shownCode) {
      editorFile = main.name;
      editor.value = main.text || "";
      shownCode = true;
    }
    invocations.replaceChildren(...(detail.invocations || []).map(invocationItem));
    if (!(detail.invocations || []).length) invocations.replaceChildren(h("li", { class: "insp-note" }, "No invocations yet: send a test event, or wire a queue to it."));
    mappings.replaceChildren(
      ...(detail.mappings || []).map((mapping) =>
        h("li", { dataset: { mapping: mapping.UUID } }, `${mapping.EventSourceArn.split(":").pop()} · batch ${mapping.BatchSize} · ${mapping.State} · ${mapping.LastProcessingResult}`),
      ),
    );
  };
  const refresh = async () => {
    if (disposed) return;
    try {
      paintDetail(await api.get(config.resource, { arn: node.id }));
    } catch {
      /* gone meanwhile: the node's removal closes the panel */
    }
  };
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  };
  refresh();

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete function");
  const element = h(
    "div",
    { class: "insp-panel lambda-panel", dataset: { panel: "awslambda:function", id: node.id } },
    header(ctx, node),
    identity([
      ["ARN", node.id],
      ["Log group", `/aws/lambda/${node.name}`],
    ]),
    counters,
    status,
    section("Test event", testForm),
    section("Recent invocations", invocations),
    section("Code", files, codeForm),
    section("Event source mappings", mappings),
    dangerZone(deleteButton),
  );
  return {
    element,
    update(next) {
      node = next;
      paint();
      refreshSoon();
    },
    onFlow(event) {
      if (event.target === node.id || event.source === node.id) refreshSoon();
    },
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
    },
  };
}
