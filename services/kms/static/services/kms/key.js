// The inspector of a KMS key: its state and aliases, encrypt and decrypt boxes (blobs travel as
// base64, as the aws CLI prints them), enable/disable and scheduled deletion.

import {
  attributeTable,
  copyButton,
  dangerZone,
  field,
  fromBase64,
  h,
  header,
  identity,
  parseAttributeLines,
  resultLine,
  run,
  section,
  showResult,
  toBase64,
} from "../../js/kit.js";

/** "k=v" lines into an encryption context (plain strings, unlike message attributes). */
function contextOf(text) {
  const context = {};
  for (const [name, value] of Object.entries(parseAttributeLines(text))) context[name] = value.StringValue;
  return context;
}

export function keyPanel(ctx, initial) {
  let node = initial;
  const { api } = ctx;
  const kms = (operation, params = {}) => api.aws("kms", operation, params, node);
  // An instructor's read-only look reads the key the server's way, with no AWS call in the
  // student's sandbox (it would land in the student's call history).
  const readOnly = Boolean(ctx.config?.read_only);

  // --- encrypt ---
  const plaintext = h("textarea", { name: "plaintext", rows: 2, placeholder: "Text to encrypt", required: true });
  const encryptContext = h("textarea", { name: "context", rows: 1, placeholder: "encryption context: name=value (optional)" });
  const ciphertextOut = h("textarea", { name: "ciphertext-out", rows: 3, readonly: true, placeholder: "Ciphertext (base64)" });
  const encryptLine = resultLine("encrypt");
  const encryptButton = h("button", { type: "submit", class: "primary" }, "Encrypt");
  const useButton = h("button", { type: "button", class: "small", dataset: { action: "use-ciphertext" } }, "Decrypt this ↓");
  const encryptForm = h(
    "form",
    { class: "insp-form", dataset: { form: "encrypt" } },
    field("Plaintext", plaintext),
    field("Encryption context", encryptContext),
    h("div", { class: "insp-row" }, encryptButton),
    field("Ciphertext", ciphertextOut),
    h("div", { class: "insp-row" }, copyButton(() => ciphertextOut.value), useButton),
    encryptLine,
  );
  encryptForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = { KeyId: node.id, Plaintext: toBase64(plaintext.value) };
    const context = contextOf(encryptContext.value);
    if (Object.keys(context).length) params.EncryptionContext = context;
    const answer = await run(encryptButton, encryptLine, () => kms("Encrypt", params));
    if (!answer) return;
    ciphertextOut.value = answer.CiphertextBlob;
    showResult(encryptLine, `Encrypted with ${answer.EncryptionAlgorithm || "SYMMETRIC_DEFAULT"}`);
  });

  // --- decrypt ---
  const ciphertextIn = h("textarea", { name: "ciphertext", rows: 3, placeholder: "Ciphertext (base64)", required: true, spellcheck: "false" });
  const decryptContext = h("textarea", { name: "context", rows: 1, placeholder: "the same encryption context (optional)" });
  const plaintextOut = h("output", { class: "insp-output", name: "plaintext-out", dataset: { output: "plaintext" } });
  const decryptLine = resultLine("decrypt");
  const decryptButton = h("button", { type: "submit", class: "primary" }, "Decrypt");
  const decryptForm = h(
    "form",
    { class: "insp-form", dataset: { form: "decrypt" } },
    field("Ciphertext", ciphertextIn),
    field("Encryption context", decryptContext),
    h("div", { class: "insp-row" }, decryptButton),
    field("Plaintext", plaintextOut),
    decryptLine,
  );
  useButton.addEventListener("click", () => {
    ciphertextIn.value = ciphertextOut.value;
    decryptContext.value = encryptContext.value;
  });
  decryptForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = { CiphertextBlob: ciphertextIn.value.trim() };
    const context = contextOf(decryptContext.value);
    if (Object.keys(context).length) params.EncryptionContext = context;
    const answer = await run(decryptButton, decryptLine, () => kms("Decrypt", params));
    if (!answer) return;
    plaintextOut.textContent = fromBase64(answer.Plaintext);
    showResult(decryptLine, `Decrypted with ${answer.KeyId === node.id ? "this key" : answer.KeyId}`);
  });

  // --- the key ---
  const detailsBox = h("div", { class: "insp-settings" });
  const keyLine = resultLine("key");
  const toggleButton = h("button", { type: "button", dataset: { action: "toggle-key" } });
  const deletionButton = h("button", { type: "button", class: "danger", dataset: { action: "schedule-deletion" } });
  const paintButtons = () => {
    toggleButton.textContent = node.state === "Disabled" ? "Enable key" : "Disable key";
    toggleButton.hidden = !["Enabled", "Disabled"].includes(node.state);
    deletionButton.textContent = node.state === "PendingDeletion" ? "Cancel deletion" : "Schedule deletion (7 days)";
  };
  const loadDetails = async () => {
    const answer = await run(detailsBox, keyLine, () =>
      readOnly
        ? api.resource(node.id).then((detail) => ({ KeyMetadata: { KeyId: node.id.split("/").pop(), ...(detail.attributes || {}) } }))
        : kms("DescribeKey", { KeyId: node.id }),
    );
    if (!answer) return;
    const { KeyMetadata: metadata } = answer;
    const shown = {};
    for (const name of ["KeyId", "KeyState", "KeyUsage", "KeySpec", "KeyManager", "Description", "CreationDate", "DeletionDate"]) {
      if (metadata[name] !== undefined) shown[name] = metadata[name];
    }
    // The description is what UpdateKeyDescription changes; the rest is the key's nature.
    const description = h("input", { name: "Description", value: metadata.Description || "", "aria-label": "Description" });
    const saveButton = h("button", { type: "submit", class: "primary" }, "Save description");
    const form = h(
      "form",
      { class: "insp-settings-form", dataset: { form: "key-details" } },
      attributeTable(shown, { editable: { Description: description } }),
      h("div", { class: "insp-row" }, saveButton),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const done = await run(saveButton, keyLine, () => kms("UpdateKeyDescription", { KeyId: node.id, Description: description.value }));
      if (done) showResult(keyLine, "Description saved.");
    });
    detailsBox.replaceChildren(form);
  };
  toggleButton.addEventListener("click", async () => {
    const operation = node.state === "Disabled" ? "EnableKey" : "DisableKey";
    if (await run(toggleButton, keyLine, () => kms(operation, { KeyId: node.id }))) showResult(keyLine, `${operation} done`);
  });
  deletionButton.addEventListener("click", async () => {
    if (node.state === "PendingDeletion") {
      if (await run(deletionButton, keyLine, () => kms("CancelKeyDeletion", { KeyId: node.id }))) showResult(keyLine, "Deletion cancelled; the key stays disabled until enabled.");
      return;
    }
    const sure = await ctx.confirm({
      title: `Schedule deletion of ${node.label}?`,
      text: "The key becomes unusable now and is deleted after 7 days of sandbox time (advance the clock to see it happen). Data encrypted under it can then never be decrypted.",
      action: "Schedule deletion",
      danger: true,
    });
    if (sure && (await run(deletionButton, keyLine, () => kms("ScheduleKeyDeletion", { KeyId: node.id, PendingWindowInDays: 7 }))))
      showResult(keyLine, "Deletion scheduled.");
  });
  paintButtons();
  loadDetails();

  const element = h(
    "div",
    { class: "insp-panel", dataset: { panel: "kms:key", id: node.id } },
    header(ctx, node),
    h("div", { class: "insp-counters" }, h("div", { class: "insp-counter", dataset: { counter: "state" } }, h("b", {}, node.state || "?"), h("span", {}, "state"))),
    identity([["ARN", node.id]]),
    section("Encrypt", encryptForm),
    section("Decrypt", decryptForm),
    section("Key", detailsBox, keyLine),
    dangerZone(toggleButton, deletionButton),
  );

  return {
    element,
    update(next, reason) {
      node = next;
      element.querySelector('[data-counter="state"] b').textContent = node.state || "?";
      paintButtons();
      if (reason === "changed") loadDetails();
    },
    dispose() {},
  };
}
