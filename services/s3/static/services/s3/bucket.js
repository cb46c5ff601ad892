// The inspector of an S3 bucket: its counters, a folder-like browser of its keys (prefixes shown as
// folders, as ListObjectsV2 with the delimiter "/" groups them), upload from the browser into the
// folder shown, download and delete of an object, the bucket's event notifications, and deleting
// the bucket.

import { dangerZone, deleteNodeButton, field, h, header, identity, liveCounters, resultLine, run, section, showResult } from "../../js/kit.js";
import { bucketName, notificationConfiguration, putNotificationConfiguration, urls } from "./gui.js";

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1536 -> "1.5 KB" (powers of 1024, as the S3 console shows sizes). */
export function formatBytes(bytes) {
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** POST a file's bytes to S3's upload view (a PutObject as the console makes it); the bytes are
 * streamed, never read into the page. Throws {code, message} as AWS answered. */
async function upload(bucket, key, file) {
  const query = new URLSearchParams({ bucket, key });
  let response;
  try {
    response = await fetch(`${urls.objects}?${query}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": cookie("csrftoken"), "Content-Type": file.type || "application/octet-stream", Accept: "application/json" },
      body: file,
    });
  } catch (problem) {
    throw Object.assign(new Error(`The server did not answer (${problem.message}).`), { code: "NetworkError" });
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(answer.message || `${response.status} ${response.statusText}`), { code: answer.code || `HTTP${response.status}` });
  return answer;
}

const downloadUrl = (bucket, key) => `${urls.objects}?${new URLSearchParams({ bucket, key })}`;

export function bucketPanel(ctx, initial) {
  let node = initial;
  const bucket = bucketName(node);
  let prefix = "";

  // --- counters ---
  const [counters, paintCounters] = liveCounters(() => [
    ["objects", "objects", node.counts.objects],
    ["size", "stored", formatBytes(node.counts.size), "bytes"],
  ]);

  // --- the browser ---
  const crumbs = h("nav", { class: "s3-crumbs", "aria-label": "Folder" });
  // Until the first listing answers, its rows hold a line each: the form below does not jump
  // down under the pointer when they fill.
  const entries = h("ul", { class: "s3-entries", dataset: { entries: "" } }, h("li", { class: "s3-empty" }, "Listing…"));
  const browseLine = resultLine("browse");
  browseLine.textContent = `aws s3 ls s3://${bucket}/ …`;
  const refreshButton = h("button", { type: "button", class: "small", dataset: { action: "refresh" } }, "Refresh");

  const paintCrumbs = () => {
    const parts = prefix ? prefix.slice(0, -1).split("/") : [];
    const levels = [["", bucket], ...parts.map((part, index) => [`${parts.slice(0, index + 1).join("/")}/`, part])];
    crumbs.replaceChildren(
      ...levels.flatMap(([target, label], index) => {
        const current = index === levels.length - 1;
        const button = h("button", { type: "button", "aria-current": String(current), dataset: { prefix: target } }, label);
        if (!current) button.addEventListener("click", () => open(target));
        return index ? [h("span", {}, "/"), button] : [button];
      }),
    );
  };

  const entry = (item) => {
    if (item.folder) {
      const name = item.folder.slice(prefix.length);
      const button = h("button", { type: "button", title: `Open ${item.folder}` }, `📁 ${name}`);
      button.addEventListener("click", () => open(item.folder));
      return h("li", { class: "s3-entry s3-folder", dataset: { folder: item.folder } }, h("span", { class: "s3-name" }, button));
    }
    const name = item.key.slice(prefix.length) || item.key;
    const remove = h("button", { type: "button", class: "small danger", dataset: { action: "delete-object" }, title: `DeleteObject ${item.key}` }, "Delete");
    remove.addEventListener("click", async () => {
      if (!(await ctx.confirm({ title: `Delete ${item.key}?`, text: "DeleteObject, as by the AWS API (a versioned bucket keeps the older versions).", action: "Delete", danger: true }))) return;
      const done = await run(remove, browseLine, () => ctx.api.aws("s3", "DeleteObject", { Bucket: bucket, Key: item.key }, node));
      if (done) {
        showResult(browseLine, `Deleted ${item.key}`);
        load();
      }
    });
    return h(
      "li",
      { class: "s3-entry s3-object", dataset: { key: item.key } },
      h("span", { class: "s3-name", title: `${item.key}\nlast modified ${new Date(item.last_modified).toLocaleString()}` }, name),
      h("span", { class: "s3-meta" }, formatBytes(item.size)),
      h("a", { class: "s3-download", href: downloadUrl(bucket, item.key), download: name, dataset: { action: "download" } }, "Download"),
      remove,
    );
  };

  const load = async () => {
    const asked = prefix;
    const answer = await run(refreshButton, browseLine, () => ctx.api.get(urls.browse, { bucket, prefix: asked }));
    if (!answer || asked !== prefix) return;
    const items = [...answer.folders.map((folder) => ({ folder })), ...answer.objects];
    entries.replaceChildren(...(items.length ? items.map(entry) : [h("li", { class: "s3-empty" }, prefix ? "This folder is empty." : "The bucket is empty.")]));
    if (answer.truncated) entries.append(h("li", { class: "s3-empty" }, `Only the first ${items.length} entries are shown: list the rest with aws s3 ls.`));
    const cli = `aws s3 ls s3://${bucket}/${prefix}`;
    showResult(browseLine, `${answer.folders.length} folder(s), ${answer.objects.length} object(s) — ${cli}`);
  };
  const open = (target) => {
    prefix = target;
    folderInput.value = prefix;
    paintCrumbs();
    load();
  };
  refreshButton.addEventListener("click", load);

  // --- upload ---
  const files = h("input", { name: "files", type: "file", multiple: true, required: true });
  const folderInput = h("input", { name: "prefix", placeholder: "(the bucket's top level)", autocomplete: "off" });
  const uploadButton = h("button", { type: "submit", class: "primary" }, "Upload");
  const uploadLine = resultLine("upload");
  const uploadForm = h(
    "form",
    { class: "insp-form", dataset: { form: "upload" } },
    field("Files", files),
    field("Key prefix", folderInput, "The folder shown; a key is prefix + file name"),
    h("div", { class: "insp-row" }, uploadButton),
    uploadLine,
  );
  uploadForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = Array.from(files.files || []);
    const at = folderInput.value && !folderInput.value.endsWith("/") ? `${folderInput.value}/` : folderInput.value;
    const stored = [];
    for (const file of chosen) {
      const key = `${at}${file.name}`;
      const answer = await run(uploadButton, uploadLine, () => upload(bucket, key, file));
      if (!answer) return; // the error is on the line
      stored.push(`${key} (${formatBytes(answer.size ?? file.size)}, ETag ${answer.ETag})`);
    }
    showResult(uploadLine, `Uploaded ${stored.join(", ")}`);
    files.value = "";
    if (at !== prefix) open(at);
    else load();
  });

  // --- notifications ---
  const notifications = h("ul", { class: "s3-notifications", dataset: { notifications: "" } }, h("li", { class: "s3-empty" }, "Reading…"));
  const notificationLine = resultLine("notifications");
  let config = {};
  const loadNotifications = async () => {
    const answer = await run(refreshButton, notificationLine, () => notificationConfiguration(ctx, node));
    if (answer) paintNotifications(answer);
  };
  const paintNotifications = (found) => {
    config = found;
    const rows = [];
    for (const [list, arnKey] of [["QueueConfigurations", "QueueArn"], ["TopicConfigurations", "TopicArn"], ["LambdaFunctionConfigurations", "LambdaFunctionArn"]]) {
      for (const entry of config[list] || []) {
        const rules = entry.Filter?.Key?.FilterRules || [];
        const filter = rules.map((rule) => `${rule.Name.toLowerCase()} ${rule.Value}`).join(", ");
        const target = ctx.diagram.get(entry[arnKey]);
        const remove = h("button", { type: "button", class: "small", dataset: { action: "remove-notification" } }, "Remove");
        remove.addEventListener("click", async () => {
          const next = { ...config, [list]: (config[list] || []).filter((other) => other !== entry) };
          if (!next[list].length) delete next[list];
          const done = await run(remove, notificationLine, () => putNotificationConfiguration(ctx, node, next));
          if (done) {
            showResult(notificationLine, `Removed ${entry.Id}`);
            paintNotifications(next);
          }
        });
        rows.push(
          h(
            "li",
            { dataset: { notification: entry.Id || "" } },
            h("span", {}, `${(entry.Events || []).join(", ")} → ${target?.label || entry[arnKey]}${filter ? ` (${filter})` : ""}`),
            remove,
          ),
        );
      }
    }
    if (config.EventBridgeConfiguration) rows.push(h("li", {}, h("span", {}, "Every event → EventBridge (default bus)")));
    notifications.replaceChildren(...(rows.length ? rows : [h("li", { class: "s3-empty" }, "None. Draw an edge from the bucket to a queue or a topic to add one.")]));
  };
  loadNotifications();

  // --- delete ---
  const deleteButton = deleteNodeButton(ctx, () => node, "Delete bucket", "delete-bucket");

  const element = h(
    "div",
    { class: "insp-panel", dataset: { panel: "s3:bucket", id: node.id } },
    header(ctx, node),
    counters,
    identity([
      ["ARN", node.id],
      ["URI", `s3://${bucket}`],
      ["Region", node.region],
    ]),
    section("Objects", h("div", { class: "insp-row" }, crumbs, refreshButton), entries, browseLine),
    section("Upload", uploadForm),
    section("Event notifications", notifications, notificationLine),
    dangerZone(deleteButton),
  );
  paintCrumbs();
  load();

  let reload = null;
  return {
    element,
    update(next, reason) {
      node = next;
      paintCounters();
      if (reason === "changed") loadNotifications();
    },
    onFlow(event) {
      // An object arrived in or left this bucket: show the folder as it is now (once per burst).
      if (event.source !== node.id && event.target !== node.id) return;
      clearTimeout(reload);
      reload = setTimeout(load, 300);
    },
    edgesChanged() {
      loadNotifications();
    },
    dispose() {
      clearTimeout(reload);
    },
  };
}
