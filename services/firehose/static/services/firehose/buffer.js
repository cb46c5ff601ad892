// The inspector of a Firehose delivery stream: its buffer as two bars, filling by size (bytes of
// SizeInMBs) and by time (the interval since the oldest buffered record, on the sandbox clock,
// with the next flush time and a countdown), the records waiting in it, a form to put a record,
// the last delivery (animated as a flush arrives), its destination and delete.

import { dangerZone, deleteNodeButton, field, formatDuration, h, header, identity, resultLine, run, section, showResult, toBase64 } from "../../js/kit.js";

const clip = (text) => (text.length > 160 ? `${text.slice(0, 160)}…` : text);
const kib = (bytes) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(2)} MiB`);

export function bufferPanel(ctx, initial, config) {
  let node = initial;
  let detail = null;
  let disposed = false;
  const { api } = ctx;

  const status = h("p", { class: "insp-note", dataset: { status: "" } });
  const paintStatus = () => {
    status.textContent = `${node.status || "?"} · ${node.counts.delivered} record(s) delivered in ${node.counts.objects} flush(es)`;
  };

  // --- the buffer: size and time bars, next flush on the sandbox clock ---
  const sizeFill = h("span", { class: "bar-fill" });
  const sizeText = h("span", { class: "bar-text", dataset: { text: "size" } });
  const timeFill = h("span", { class: "bar-fill" });
  const timeText = h("span", { class: "bar-text", dataset: { text: "time" } });
  const bars = h(
    "div",
    { class: "firehose-bars" },
    h("div", { class: "firehose-bar", dataset: { bar: "size" } }, h("span", {}, "Size"), h("span", { class: "bar-track" }, sizeFill), sizeText),
    h("div", { class: "firehose-bar", dataset: { bar: "time" } }, h("span", {}, "Interval"), h("span", { class: "bar-track" }, timeFill), timeText),
  );
  const nextFlush = h("p", { class: "insp-note", dataset: { nextFlush: "" } });
  const flushed = h("p", { class: "firehose-flushed", dataset: { flushed: "" } });
  const records = h("ol", { class: "firehose-records", dataset: { list: "buffer" } });

  const paintSize = () => {
    const { bytes, limit } = node.buffer;
    const share = Math.min(bytes / limit, 1);
    sizeFill.style.width = `${Math.round(share * 1000) / 10}%`;
    sizeText.textContent = `${node.counts.records} record(s), ${kib(bytes)} of ${kib(limit)}`;
  };
  const paintTime = () => {
    const { interval, nextFlushAt } = node.buffer;
    if (!nextFlushAt) {
      timeFill.style.width = "0%";
      timeText.textContent = `empty: the ${formatDuration(interval)} interval starts with the next record`;
      nextFlush.textContent = "Next flush: when records arrive.";
      nextFlush.dataset.nextFlush = "";
      return;
    }
    const due = Date.parse(nextFlushAt);
    const now = ctx.clock.sandboxNow();
    const left = Math.max((due - now) / 1000, 0);
    const share = interval > 0 ? Math.min(Math.max(1 - left / interval, 0), 1) : 1;
    timeFill.style.width = `${Math.round(share * 1000) / 10}%`;
    timeText.textContent = `${formatDuration(interval - left)} of ${formatDuration(interval)}`;
    nextFlush.textContent = `Next flush at ${new Date(due).toISOString().slice(11, 19)} sandbox time (in ${formatDuration(left)}), or sooner when the buffer reaches its size.`;
    nextFlush.dataset.nextFlush = nextFlushAt;
  };
  const paintRecords = () => {
    const held = detail?.buffer?.records || [];
    records.replaceChildren(
      ...(held.length
        ? held.map((record) =>
            h(
              "li",
              { class: "firehose-record" },
              h("div", { class: "rec-data" }, clip(record.text ?? `base64: ${record.base64}`)),
              h(
                "div",
                { class: "rec-meta" },
                h("span", {}, `${record.size} B`),
                h("span", {}, `arrived ${record.arrived_at.slice(11, 19)}`),
                record.partition ? h("span", { dataset: { partition: "" } }, `partition ${record.partition}`) : null,
              ),
            ),
          )
        : [h("li", { class: "muted" }, "The buffer is empty.")]),
    );
  };
  const lastDelivery = h("p", { class: "insp-note", dataset: { lastDelivery: "" } });
  const destination = h("div", { dataset: { destination: "" } });
  const paintDetail = () => {
    if (!detail) return;
    node.buffer = { ...node.buffer, limit: detail.buffer.buffer_size_limit, interval: detail.buffer.buffer_interval, bytes: detail.buffer.buffer_bytes, nextFlushAt: detail.buffer.next_flush_at };
    node.counts.records = detail.buffer.buffer_records;
    paintSize();
    paintTime();
    paintRecords();
    const last = detail.last_delivery;
    lastDelivery.textContent = last ? `${last.records} record(s), ${kib(last.bytes)}, flushed by ${last.reason} at ${last.at.slice(11, 19)}${last.key ? ` to ${last.key}` : ""}` : "Nothing delivered yet.";
    const described = detail.attributes?.Destinations?.[0] || {};
    const s3 = described.ExtendedS3DestinationDescription || described.HttpEndpointDestinationDescription?.S3DestinationDescription || {};
    const http = described.HttpEndpointDestinationDescription;
    destination.replaceChildren(
      identity(
        [
          http ? ["Endpoint", http.EndpointConfiguration.Url] : null,
          [http ? "Backup bucket" : "Bucket", s3.BucketARN],
          ["Prefix", s3.Prefix || "(default) YYYY/MM/dd/HH/"],
          ["Compression", s3.CompressionFormat],
          ["Version", detail.attributes?.VersionId],
        ].filter(Boolean),
      ),
    );
  };
  const refresh = async () => {
    if (disposed || !config.resource) return;
    try {
      detail = await api.get(config.resource, { arn: node.id });
      paintDetail();
    } catch {
      // The stream may be gone (DELETING passed); the page removes the node.
    }
  };
  let refreshTimer = null;
  const refreshSoon = () => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 200);
  };
  const ticker = setInterval(() => paintTime(), 500);

  // --- put a record ---
  const data = h("textarea", { name: "data", rows: 2, placeholder: '{"page": "/home"}', required: true });
  const newline = h("input", { name: "newline", type: "checkbox", checked: true });
  const putLine = resultLine("put");
  const putButton = h("button", { type: "submit", class: "primary" }, "Put record");
  const putForm = h(
    "form",
    { class: "insp-form", dataset: { form: "put" } },
    field("Data", data),
    h("label", { class: "insp-check" }, newline, " end it with a newline (Firehose adds no separator)"),
    h("div", { class: "insp-row" }, putButton),
    putLine,
  );
  putForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = data.value + (newline.checked ? "\n" : "");
    const answer = await run(putButton, putLine, () => api.aws("firehose", "PutRecord", { DeliveryStreamName: node.name, Record: { Data: toBase64(text) } }, node));
    if (answer) showResult(putLine, `Buffered: record id ${answer.RecordId.slice(0, 12)}…`);
  });

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete delivery stream");

  const element = h(
    "div",
    { class: "insp-panel", dataset: { id: node.id } },
    header(ctx, node),
    identity([
      ["ARN", node.id],
      ["Name", node.name],
    ]),
    status,
    section("Buffer", bars, nextFlush, flushed),
    section("Records in the buffer", records),
    section("Put a record", putForm),
    section("Last delivery", lastDelivery),
    section("Destination", destination),
    dangerZone(deleteButton),
  );
  paintStatus();
  paintSize();
  paintTime();
  refresh();

  let flushedTimer = null;
  return {
    element,
    update(next, reason) {
      node = next;
      paintStatus();
      paintSize();
      paintTime();
      if (reason !== "flow") refreshSoon();
    },
    onFlow(event) {
      if (event.service !== "firehose" || (event.target !== node.id && event.source !== node.id)) return;
      if (event.kind === "delivered" || event.kind === "posted" || event.kind === "failed") {
        const d = event.detail || {};
        flushed.classList.toggle("failed", event.kind === "failed");
        flushed.textContent =
          event.kind === "failed"
            ? `Delivery failed: ${d.reason || d.error_code}`
            : `Flushed ${d.records} record(s) by ${d.reason || "interval"}${d.key ? ` → ${d.key}` : ""}${d.backup ? " (backup)" : ""}`;
        bars.classList.add("flushing");
        clearTimeout(flushedTimer);
        flushedTimer = setTimeout(() => bars.classList.remove("flushing"), 800);
      }
      refreshSoon();
    },
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
      clearTimeout(flushedTimer);
      clearInterval(ticker);
    },
  };
}
