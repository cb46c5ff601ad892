// The inspector of an SQS queue: its counters, a send box, peek (a look that changes nothing),
// receive and delete with receipt handles and visibility countdowns on the sandbox clock, its
// settings, purge and delete.

import {
  attributeTable,
  copyButton,
  dangerZone,
  deleteNodeButton,
  field,
  formatDuration,
  h,
  header,
  identity,
  liveCounters,
  parseAttributeLines,
  resultLine,
  run,
  section,
  showResult,
} from "../../js/kit.js";

// Settings SetQueueAttributes takes as plain numbers, with their AWS limits.
const SETTINGS = {
  VisibilityTimeout: [0, 43200],
  DelaySeconds: [0, 900],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  MaximumMessageSize: [1024, 1048576],
};

export function queuePanel(ctx, initial) {
  let node = initial;
  const { api } = ctx;
  const url = node.url;
  const call = (operation, params = {}) => api.aws("sqs", operation, { QueueUrl: url, ...params }, node);
  // Messages shown in the list, by message id: {message, handle, visibleAt (ms), source}
  const shown = new Map();

  // --- counters ---
  const [counters, paintCounters] = liveCounters(() => [
    ["visible", "visible", node.counts.visible],
    ["in_flight", "in flight", node.counts.in_flight],
    ["delayed", "delayed", node.counts.delayed],
  ]);

  // --- send ---
  const body = h("textarea", { name: "body", rows: 3, placeholder: "Message body", required: true });
  const attributesText = h("textarea", { name: "attributes", rows: 2, placeholder: "name=value (one per line, optional)" });
  const delay = h("input", { name: "delay", type: "number", min: 0, max: 900, placeholder: "queue default" });
  const group = h("input", { name: "group", value: "group-1" });
  const sendLine = resultLine("send");
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  const sendForm = h(
    "form",
    { class: "insp-form", dataset: { form: "send" } },
    field("Body", body),
    field("Message attributes", attributesText),
    node.fifo ? field("Message group", group) : field("Delay (s)", delay),
    h("div", { class: "insp-row" }, sendButton),
    sendLine,
  );
  sendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = { MessageBody: body.value };
    const attributes = parseAttributeLines(attributesText.value);
    if (Object.keys(attributes).length) params.MessageAttributes = attributes;
    if (node.fifo) params.MessageGroupId = group.value || "group-1";
    else if (delay.value !== "") params.DelaySeconds = Number(delay.value);
    const sent = await run(sendButton, sendLine, () => call("SendMessage", params));
    if (sent) showResult(sendLine, `Sent ${sent.MessageId}`);
  });

  // --- messages: peek, receive, delete ---
  const maxMessages = h(
    "select",
    { name: "max", "aria-label": "How many messages" },
    [1, 2, 5, 10].map((n) => h("option", { value: n }, `${n}`)),
  );
  const visibility = h("input", { name: "visibility", type: "number", min: 0, max: 43200, placeholder: "queue default", "aria-label": "Visibility timeout (s)" });
  const list = h("ol", { class: "insp-messages", dataset: { messages: "" } });
  const messagesLine = resultLine("messages");
  const peekButton = h("button", { type: "button", dataset: { action: "peek" }, title: "Look at the messages without receiving them" }, "Peek");
  const receiveButton = h("button", { type: "button", class: "primary", dataset: { action: "receive" } }, "Receive");

  peekButton.addEventListener("click", async () => {
    // SQS's own page (services/sqs/views.py); its URL comes from SqsConfig.gui_config().
    const answer = await run(peekButton, messagesLine, () => api.get(ctx.service.config.peek, { arn: node.id, limit: 10 }));
    if (!answer) return;
    shown.clear();
    for (const message of answer.messages) {
      shown.set(message.message_id, { message, handle: null, visibleAt: Date.parse(message.visible_at), peeked: true });
    }
    showResult(messagesLine, answer.messages.length ? `${answer.messages.length} message(s), nothing changed` : "The queue is empty.");
    paintMessages();
  });

  receiveButton.addEventListener("click", async () => {
    const params = {
      MaxNumberOfMessages: Number(maxMessages.value),
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
      WaitTimeSeconds: 0,
    };
    if (visibility.value !== "") params.VisibilityTimeout = Number(visibility.value);
    const receivedAt = ctx.clock.sandboxNow();
    const answer = await run(receiveButton, messagesLine, () => call("ReceiveMessage", params));
    if (!answer) return;
    const messages = answer.Messages || [];
    // Received messages replace peeked ones: the handles are what matters now.
    for (const [id, entry] of shown) if (entry.peeked) shown.delete(id);
    const timeout = visibility.value !== "" ? Number(visibility.value) : Number(settings.VisibilityTimeout ?? 30);
    for (const message of messages) {
      shown.set(message.MessageId, {
        message: {
          message_id: message.MessageId,
          body: message.Body,
          attributes: message.MessageAttributes || {},
          receive_count: Number(message.Attributes?.ApproximateReceiveCount || 1),
        },
        handle: message.ReceiptHandle,
        visibleAt: receivedAt + timeout * 1000,
      });
    }
    showResult(messagesLine, messages.length ? `Received ${messages.length} message(s)` : "No message available right now.");
    paintMessages();
  });

  const paintMessages = () => {
    list.replaceChildren(
      ...Array.from(shown.values(), (entry) => {
        const { message, handle } = entry;
        const deleteButton = handle
          ? h("button", { type: "button", class: "small danger", dataset: { action: "delete-message" } }, "Delete")
          : null;
        const releaseButton = handle
          ? h("button", { type: "button", class: "small", dataset: { action: "release" }, title: "ChangeMessageVisibility to 0" }, "Return now")
          : null;
        deleteButton?.addEventListener("click", async () => {
          const done = await run(deleteButton, messagesLine, () => call("DeleteMessage", { ReceiptHandle: handle }));
          if (done) {
            shown.delete(message.message_id);
            showResult(messagesLine, `Deleted ${message.message_id}`);
            paintMessages();
          }
        });
        releaseButton?.addEventListener("click", async () => {
          const done = await run(releaseButton, messagesLine, () => call("ChangeMessageVisibility", { ReceiptHandle: handle, VisibilityTimeout: 0 }));
          if (done) {
            entry.visibleAt = ctx.clock.sandboxNow();
            paintMessages();
          }
        });
        return h(
          "li",
          { class: `insp-message ${handle ? "received" : "peeked"}`, dataset: { messageId: message.message_id, state: message.state || "in_flight" } },
          message.body_error
            ? h("div", { class: "msg-body msg-sealed" }, `Sealed, cannot be opened: ${message.body_error}`)
            : h("div", { class: "msg-body" }, message.body),
          h(
            "div",
            { class: "msg-meta" },
            message.encrypted ? h("span", { class: "msg-encrypted", title: "Encrypted at rest with a KMS data key" }, "SSE-KMS") : null,
            h("span", { title: message.message_id }, message.message_id.slice(0, 8)),
            h("span", {}, `received ${message.receive_count}×`),
            message.state ? h("span", { class: `msg-state state-${message.state}` }, message.state.replace("_", " ")) : null,
            h("span", { class: "msg-countdown", dataset: { visibleAt: String(entry.visibleAt) } }),
          ),
          handle
            ? h(
                "div",
                { class: "msg-handle" },
                h("code", { title: handle }, `${handle.slice(0, 18)}…`),
                copyButton(handle, "Copy handle"),
                releaseButton,
                deleteButton,
              )
            : null,
        );
      }),
    );
    tick();
  };

  // Countdowns run on the sandbox clock: pausing it stops them, 60x makes them race.
  const tick = () => {
    const now = ctx.clock.sandboxNow();
    for (const countdown of list.querySelectorAll(".msg-countdown")) {
      const left = (Number(countdown.dataset.visibleAt) - now) / 1000;
      const item = countdown.closest(".insp-message");
      const visible = left <= 0;
      const text = visible
        ? item.classList.contains("received")
          ? "visible again: another receive gets it (and a new handle)"
          : "visible"
        : `${item.classList.contains("received") ? "visible again" : "visible"} in ${formatDuration(left)}`;
      if (countdown.textContent !== text) countdown.textContent = text;
      item.classList.toggle("expired", visible && item.classList.contains("received"));
    }
  };
  const timer = setInterval(tick, 250);

  // --- settings ---
  let settings = {};
  const settingsBox = h("div", { class: "insp-settings" });
  const settingsLine = resultLine("settings");
  const readOnly = Boolean(ctx.config?.read_only);
  const loadSettings = async () => {
    // An instructor's read-only look reads the settings the server's way, not with an AWS call in
    // the student's sandbox (which would land in the student's call history).
    if (readOnly) {
      const detail = await run(settingsBox, settingsLine, () => api.resource(node.id));
      if (detail) paintSettings(detail.attributes || {});
      return;
    }
    const answer = await run(settingsBox, settingsLine, () => call("GetQueueAttributes", { AttributeNames: ["All"] }));
    if (answer) paintSettings(answer.Attributes || {});
  };
  const paintSettings = (attributes) => {
    settings = attributes;
    const inputs = {};
    for (const [name, [min, max]] of Object.entries(SETTINGS)) {
      if (name in settings && !readOnly) inputs[name] = h("input", { name, type: "number", min, max, value: settings[name], "aria-label": name });
    }
    const saveButton = h("button", { type: "submit", class: "primary" }, "Save settings");
    const form = h("form", { class: "insp-settings-form", dataset: { form: "settings" } }, attributeTable(settings, { editable: inputs }), readOnly ? null : h("div", { class: "insp-row" }, saveButton));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changed = {};
      for (const [name, input] of Object.entries(inputs)) if (input.value !== String(settings[name])) changed[name] = input.value;
      if (!Object.keys(changed).length) return showResult(settingsLine, "Nothing changed.");
      const done = await run(saveButton, settingsLine, () => call("SetQueueAttributes", { Attributes: changed }));
      if (done) showResult(settingsLine, `Saved ${Object.keys(changed).join(", ")}`); // the change event repaints
    });
    settingsBox.replaceChildren(form);
  };
  loadSettings();

  // --- purge and delete ---
  const dangerLine = resultLine("danger");
  const purgeButton = h("button", { type: "button", dataset: { action: "purge" } }, "Purge messages");
  const deleteButton = deleteNodeButton(ctx, () => node, "Delete queue", "delete-queue");
  purgeButton.addEventListener("click", async () => {
    if (!(await ctx.confirm({ title: `Purge ${node.label}?`, text: "Every message in the queue is deleted, in flight or not.", action: "Purge", danger: true }))) return;
    const done = await run(purgeButton, dangerLine, () => call("PurgeQueue"));
    if (done) showResult(dangerLine, "Purged.");
  });

  const element = h(
    "div",
    { class: "insp-panel", dataset: { panel: "sqs:queue", id: node.id } },
    header(ctx, node),
    counters,
    identity([
      ["ARN", node.id],
      ["URL", url],
    ]),
    section("Send message", sendForm),
    section("Messages", h("div", { class: "insp-row" }, peekButton, receiveButton, maxMessages, visibility), messagesLine, list),
    section("Settings", settingsBox, settingsLine),
    dangerZone(purgeButton, deleteButton),
    dangerLine,
  );

  return {
    element,
    update(next, reason) {
      node = next;
      paintCounters();
      // SQS's resource.changed events carry every attribute, as GetQueueAttributes All has them.
      if (reason === "changed" && Object.keys(next.raw.attributes || {}).length) paintSettings(next.raw.attributes);
    },
    onFlow(event) {
      // A message this panel shows was deleted or moved elsewhere: say so.
      const entry = shown.get(event.item_id);
      if (!entry) return;
      if (event.kind === "dead-lettered" || event.kind === "deleted" || event.kind === "expired") {
        shown.delete(event.item_id);
        paintMessages();
        showResult(messagesLine, `${event.item_id.slice(0, 8)} ${event.kind}`);
      }
    },
    dispose() {
      clearInterval(timer);
    },
  };
}
