// The inspector of a Kinesis data stream: its counters, the shard lanes over the hash key space
// (open and closed, with their lineage; a lane lights up as records arrive; a marker per consumer
// at its position, with its lag, moving on read flows), a form to put a
// record, reading a shard through an iterator as a consumer does, the newest records in the
// window, retention and shard count settings, and delete.

import { dangerZone, deleteNodeButton, field, fromBase64, h, header, identity, liveCounters, liveNote, resultLine, run, section, showResult, toBase64 } from "../../js/kit.js";

const SPACE = 2n ** 128n;

/** A lane's left and width, in percent of the hash key space. */
function span(range) {
  const start = BigInt(range.StartingHashKey);
  const end = BigInt(range.EndingHashKey);
  const left = Number((start * 10000n) / SPACE) / 100;
  const width = Math.max(Number(((end - start + 1n) * 10000n) / SPACE) / 100, 0.5);
  return { left, width };
}

/** Where a reader's marker sits on its lane: the share of the window's records it has read. */
function placed(reader) {
  const total = reader.read + reader.unread;
  return total ? Math.round((reader.read / total) * 1000) / 10 : 100;
}

function lagText(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${Math.round(ms / 60000)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

const readerLabel = (reader) => `${reader.kind === "efo" ? "⇢" : "↧"} ${reader.name}: ${reader.read}/${reader.read + reader.unread} · ${lagText(reader.millis_behind_latest)} behind`;

function describeReader(reader) {
  const who = reader.kind === "efo" ? `Enhanced fan-out consumer ${reader.name} (SubscribeToShard)` : "The last GetRecords reader (shared throughput)";
  const at = reader.sequence_number ? `at sequence number ${reader.sequence_number}` : "before the first record";
  return `${who}, ${at}: ${reader.unread} record(s) unread, ${reader.millis_behind_latest} ms behind latest`;
}

export function streamPanel(ctx, initial, config) {
  let node = initial;
  const { api } = ctx;
  const call = (operation, params = {}) => api.aws("kinesis", operation, { StreamName: node.name, ...params }, node);
  let disposed = false;

  // --- counters ---
  const [counters, paintCounters] = liveCounters(() => [
    ["shards", "open shards", node.counts.shards],
    ["records", "records in window", node.counts.records],
    ["last-minute", "put in the last minute", node.counts.lastMinute],
  ]);
  const [status, paintStatus] = liveNote(() => `${node.status || "?"} · ${node.mode === "ON_DEMAND" ? "on-demand" : "provisioned"} · ${node.retentionHours} h retention`);

  // --- shard lanes and the newest records (from the resource's description) ---
  const lanes = h("ol", { class: "kinesis-lanes", dataset: { list: "shards" } });
  const recent = h("ol", { class: "kinesis-records", dataset: { list: "recent" } });
  const arrivals = h("p", { class: "kinesis-arrivals", dataset: { arrivals: "" } });
  const shardChoice = h("select", { name: "shard" });
  const consumerList = h("ul", { class: "kinesis-consumers", dataset: { list: "consumers" } });
  const paintDetail = (detail) => {
    const shards = detail.shards || [];
    lanes.replaceChildren(
      ...shards.map((shard) => {
        const { left, width } = span(shard.HashKeyRange);
        const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(Boolean);
        const readers = shard.readers || [];
        return h(
          "li",
          { class: `kinesis-lane ${shard.open ? "open" : "closed"}`, dataset: { shard: shard.ShardId } },
          h("span", { title: parents.length ? `from ${parents.join(" + ")}` : "" }, shard.ShardId.replace("shardId-", "#")),
          h(
            "span",
            { class: "lane-track", title: "The shard's hash key range; the bar under it, how far into the retention window its oldest record is" },
            h("span", { class: "lane-range", style: `left:${left}%;width:${width}%` }),
            h("span", { class: "lane-age", style: `width:${Math.round((shard.window_used || 0) * 100)}%` }),
            h(
              "span",
              { class: "lane-markers" },
              ...readers.map((reader) =>
                h("span", { class: `lane-reader ${reader.kind}`, dataset: { reader: reader.name }, style: `left:${placed(reader)}%`, title: describeReader(reader) }),
              ),
            ),
          ),
          h("span", { class: "lane-meta" }, `${shard.records} rec${shard.open ? "" : " · closed"}`),
          readers.length
            ? h(
                "span",
                { class: "lane-readers" },
                ...readers.map((reader) =>
                  h("span", { class: `lane-reader-label ${reader.kind}`, dataset: { reader: reader.name, lag: String(reader.millis_behind_latest) }, title: describeReader(reader) }, readerLabel(reader)),
                ),
              )
            : "",
        );
      }),
    );
    const chosen = shardChoice.value;
    shardChoice.replaceChildren(...shards.map((shard) => h("option", { value: shard.ShardId }, `${shard.ShardId}${shard.open ? "" : " (closed)"}`)));
    if (shards.some((shard) => shard.ShardId === chosen)) shardChoice.value = chosen;
    recent.replaceChildren(
      ...(detail.records || []).map((record) =>
        h(
          "li",
          { class: "kinesis-record", dataset: { sequence: record.sequence_number } },
          h("div", { class: "rec-data" }, record.text ?? `base64: ${record.base64}`),
          h("div", { class: "rec-meta" }, h("span", {}, record.shard_id), h("span", {}, `key ${record.partition_key}`), h("span", {}, `${record.size} B`), h("span", {}, record.arrived_at.slice(11, 19))),
        ),
      ),
    );
    if (!(detail.records || []).length) recent.replaceChildren(h("li", { class: "muted" }, "No records in the window yet."));
    const registered = detail.consumers || [];
    consumerList.replaceChildren(
      ...(registered.length
        ? registered.map((consumer) =>
            h("li", { dataset: { consumer: consumer.ConsumerName } }, h("code", {}, consumer.ConsumerName), ` ${consumer.ConsumerStatus}`),
          )
        : [h("li", { class: "muted" }, "None: every GetRecords consumer shares each shard's 2 MB/s.")]),
    );
  };
  const refresh = async () => {
    if (disposed || !config.resource) return;
    try {
      paintDetail(await api.get(config.resource, { arn: node.id }));
    } catch {
      // The stream may be gone (DELETING passed); the page removes the node.
    }
  };
  refresh();
  let refreshTimer = null;
  const refreshSoon = () => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 250);
  };

  // --- put a record ---
  const partitionKey = h("input", { name: "partition-key", value: "user-1", required: true, maxlength: 256 });
  const data = h("textarea", { name: "data", rows: 2, placeholder: "Record data", required: true });
  const putLine = resultLine("put");
  const putButton = h("button", { type: "submit", class: "primary" }, "Put record");
  const putForm = h("form", { class: "insp-form", dataset: { form: "put" } }, field("Partition key", partitionKey, "MD5 of the key picks the shard"), field("Data", data), h("div", { class: "insp-row" }, putButton), putLine);
  putForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await run(putButton, putLine, () => call("PutRecord", { PartitionKey: partitionKey.value, Data: toBase64(data.value) }));
    if (answer) showResult(putLine, `Put in ${answer.ShardId}, sequence number ${answer.SequenceNumber}`);
  });

  // --- read as a consumer: an iterator, then GetRecords ---
  const iteratorType = h(
    "select",
    { name: "iterator-type" },
    ...["TRIM_HORIZON", "LATEST"].map((kind) => h("option", { value: kind }, kind)),
  );
  const readLine = resultLine("read");
  const readButton = h("button", { type: "submit", class: "primary" }, "Get records");
  const nextButton = h("button", { type: "button", class: "small", dataset: { action: "next" }, disabled: true }, "Next batch");
  const readList = h("ol", { class: "kinesis-records", dataset: { list: "read" } });
  let nextIterator = null;
  const showRead = (answer) => {
    nextIterator = answer.NextShardIterator || null;
    nextButton.disabled = !nextIterator;
    readList.replaceChildren(
      ...answer.Records.map((record) =>
        h(
          "li",
          { class: "kinesis-record", dataset: { sequence: record.SequenceNumber } },
          h("div", { class: "rec-data" }, fromBase64(record.Data)),
          h("div", { class: "rec-meta" }, h("span", {}, `key ${record.PartitionKey}`), h("span", {}, `seq …${record.SequenceNumber.slice(-6)}`)),
        ),
      ),
    );
    const children = (answer.ChildShards || []).map((child) => child.ShardId).join(", ");
    showResult(
      readLine,
      `${answer.Records.length} record(s), ${answer.MillisBehindLatest ?? 0} ms behind latest` + (children ? `; shard closed, read on in ${children}` : ""),
    );
  };
  const readForm = h(
    "form",
    { class: "insp-form", dataset: { form: "read" } },
    field("Shard", shardChoice),
    field("Start at", iteratorType),
    h("div", { class: "insp-row" }, readButton, nextButton),
    readLine,
    readList,
  );
  readForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await run(readButton, readLine, async () => {
      const iterator = await call("GetShardIterator", { ShardId: shardChoice.value, ShardIteratorType: iteratorType.value });
      return api.aws("kinesis", "GetRecords", { ShardIterator: iterator.ShardIterator }, node);
    });
    if (answer) showRead(answer);
  });
  nextButton.addEventListener("click", async () => {
    if (!nextIterator) return;
    const answer = await run(nextButton, readLine, () => api.aws("kinesis", "GetRecords", { ShardIterator: nextIterator }, node));
    if (answer) showRead(answer);
  });

  // --- settings: retention and shard count ---
  const retention = h("input", { name: "retention", type: "number", min: 24, max: 8760, value: node.retentionHours });
  const shardCount = h("input", { name: "shard-count", type: "number", min: 1, value: node.counts.shards });
  const settingsLine = resultLine("settings");
  const retentionButton = h("button", { type: "button", dataset: { action: "retention" } }, "Set retention");
  const scaleButton = h("button", { type: "button", dataset: { action: "scale" } }, "Set shard count");
  retentionButton.addEventListener("click", async () => {
    const hours = Number(retention.value);
    const operation = hours >= node.retentionHours ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod";
    const done = await run(retentionButton, settingsLine, () => call(operation, { RetentionPeriodHours: hours }));
    if (done) showResult(settingsLine, `Retention is now ${hours} hours`);
  });
  scaleButton.addEventListener("click", async () => {
    const target = Number(shardCount.value);
    const done = await run(scaleButton, settingsLine, () => call("UpdateShardCount", { TargetShardCount: target, ScalingType: "UNIFORM_SCALING" }));
    if (done) showResult(settingsLine, `Scaling from ${done.CurrentShardCount} to ${done.TargetShardCount} shards (UPDATING)`);
  });
  const settings = h(
    "div",
    { class: "insp-settings-form" },
    h("div", { class: "insp-row" }, field("Retention (hours)", retention, "24 to 8,760"), retentionButton),
    h("div", { class: "insp-row" }, field("Open shards", shardCount, "Half to double in one call"), scaleButton),
    settingsLine,
  );

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete stream");

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
    section("Shards", lanes, arrivals),
    section("Put a record", putForm),
    section("Read a shard", readForm),
    section("Newest records", recent),
    section("Enhanced fan-out consumers", consumerList),
    section("Settings", settings),
    dangerZone(deleteButton),
  );

  let arrivalsTimer = null;
  return {
    element,
    update(next, reason) {
      node = next;
      paintCounters();
      paintStatus();
      if (reason !== "flow") refreshSoon();
    },
    onFlow(event) {
      if (event.service !== "kinesis" || (event.target !== node.id && event.source !== node.id)) return;
      if (event.kind === "put") {
        const count = event.detail?.records ?? 1;
        arrivals.textContent = `+${count} record${count === 1 ? "" : "s"} arrived in ${(event.detail?.shards || []).join(", ")}`;
        for (const shard of event.detail?.shards || []) {
          const lane = lanes.querySelector(`[data-shard="${shard}"]`);
          if (!lane) continue;
          lane.classList.add("arrived");
          setTimeout(() => lane.classList.remove("arrived"), 800);
        }
        clearTimeout(arrivalsTimer);
        arrivalsTimer = setTimeout(() => (arrivals.textContent = ""), 4000);
        refreshSoon();
      } else if (event.kind === "read") {
        refreshSoon(); // a consumer moved: its marker and lag
      } else if (event.kind === "throttled") {
        arrivals.textContent = `${event.detail?.operation} throttled on ${(event.detail?.shards || []).join(", ")}`;
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
      clearTimeout(arrivalsTimer);
    },
  };
}
