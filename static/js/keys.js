// Access keys as IAM's console shows them: a list without secrets, and a new key's secret shown
// once, from the answer that created it (the server never hands a secret out again), with the
// lines to paste into a terminal or a Python file.

import { confirmAction } from "./dialog.js";
import { copyButton, fill, h, toast } from "./dom.js";

/** The aws CLI lines for a profile of its own: never the default profile, which may hold a
 * student's real AWS keys. */
export const PROFILE = "playground";

export function configureLines({ accessKeyId, secret, region, endpoint }) {
  const profile = `--profile ${PROFILE}`;
  return [
    `aws configure set aws_access_key_id ${accessKeyId} ${profile}`,
    `aws configure set aws_secret_access_key ${secret} ${profile}`,
    `aws configure set region ${region} ${profile}`,
    `aws configure set endpoint_url ${endpoint} ${profile}`,
    `aws ${profile} --endpoint-url ${endpoint} sts get-caller-identity`,
  ].join("\n");
}

export function boto3Lines({ accessKeyId, secret, region, endpoint }) {
  return [
    "import boto3",
    "",
    "session = boto3.Session(",
    `    aws_access_key_id="${accessKeyId}",`,
    `    aws_secret_access_key="${secret}",`,
    `    region_name="${region}",`,
    ")",
    `sqs = session.client("sqs", endpoint_url="${endpoint}")`,
    "print(sqs.list_queues())",
  ].join("\n");
}

function block(title, text, name) {
  return [
    h("h3", {}, title, copyButton(text)),
    h("pre", { dataset: { lines: name } }, text),
  ];
}

/** A new key with its secret: `key` is the create answer ({access_key_id, secret_access_key}). */
export function newKeyPanel(key, { region, endpoint }) {
  const values = { accessKeyId: key.access_key_id, secret: key.secret_access_key, region, endpoint };
  return h(
    "section",
    { class: "new-key", dataset: { newKey: key.access_key_id }, "aria-label": "New access key" },
    h(
      "p",
      { class: "new-key-warning", role: "alert" },
      h("strong", {}, "Copy the secret now: it is not shown again. "),
      "Lost it? Make a new key and delete this one.",
    ),
    h(
      "dl",
      { class: "keys" },
      h("dt", {}, "Access key id"),
      h("dd", {}, h("code", {}, key.access_key_id)),
      h("dt", {}, "Secret access key"),
      h("dd", {}, h("code", { dataset: { secret: "" } }, key.secret_access_key), " ", copyButton(key.secret_access_key)),
    ),
    block("aws CLI", configureLines(values), "configure"),
    block("boto3", boto3Lines(values), "boto3"),
  );
}

/**
 * The credentials dialog's keys. `api` is the page's REST client; `readOnly` leaves the buttons
 * out (an instructor sees which keys a student has, never their secrets, and changes none).
 */
export class KeyList {
  constructor(root, { api, region, endpoint, readOnly }) {
    this.root = root;
    this.api = api;
    this.where = { region, endpoint };
    this.readOnly = readOnly;
    this.table = root.querySelector("[data-keys]");
    this.fresh = root.querySelector("[data-new-key-slot]");
    const create = root.querySelector("[data-create-key]");
    if (create) create.addEventListener("click", () => this.create());
  }

  /** List the keys afresh, with no secret on screen (opening the dialog does this). */
  async show() {
    this.forget();
    await this.load();
  }

  /** Take a new key's secret off the page (closing the dialog does this): it was shown once. */
  forget() {
    if (this.fresh) fill(this.fresh); // (a read-only view has no place for one)
  }

  async load() {
    let keys;
    try {
      keys = await this.api.credentials();
    } catch (problem) {
      fill(this.table, h("tr", {}, h("td", { colspan: 4, class: "pg-error" }, problem.message)));
      return;
    }
    fill(this.table, keys.length ? keys.map((key) => this.row(key)) : h("tr", {}, h("td", { colspan: 4 }, "No access key.")));
  }

  row(key) {
    const active = key.status === "Active";
    return h(
      "tr",
      { dataset: { key: key.access_key_id, status: key.status } },
      h("td", {}, h("code", { dataset: { accessKeyId: "" } }, key.access_key_id)),
      h("td", { class: active ? "" : "muted" }, key.status),
      h("td", { class: "muted" }, new Date(key.created_at).toISOString().slice(0, 16).replace("T", " ")),
      this.readOnly
        ? null
        : h(
            "td",
            { class: "key-actions" },
            h(
              "button",
              { type: "button", class: "small", onclick: () => this.setStatus(key, active ? "Inactive" : "Active") },
              active ? "Deactivate" : "Activate",
            ),
            h("button", { type: "button", class: "small danger", onclick: () => this.remove(key) }, "Delete"),
          ),
    );
  }

  async run(action) {
    try {
      return await action();
    } catch (problem) {
      toast(`${problem.code ? `${problem.code}: ` : ""}${problem.message}`, "error");
      return null;
    } finally {
      await this.load();
    }
  }

  async create() {
    const made = await this.run(() => this.api.createKey());
    if (made) fill(this.fresh, newKeyPanel(made, this.where));
  }

  async setStatus(key, status) {
    await this.run(() => this.api.setKeyStatus(key.access_key_id, status));
  }

  async remove(key) {
    const sure = await confirmAction({
      title: "Delete access key",
      text: `Delete ${key.access_key_id}? Anything still using it is refused from now on.`,
      action: "Delete",
      danger: true,
    });
    if (!sure) return;
    await this.run(async () => {
      await this.api.deleteKey(key.access_key_id);
      if (this.fresh.querySelector(`[data-new-key="${key.access_key_id}"]`)) fill(this.fresh);
    });
  }
}
