// The inspector of an SNS topic: a publish box with message attributes, the subscriptions with
// a filter-policy editor each, the topic's attributes, and delete.

import {
  attributeTable,
  dangerZone,
  deleteNodeButton,
  field,
  h,
  header,
  identity,
  parseAttributeLines,
  resultLine,
  run,
  section,
  showResult,
} from "../../js/kit.js";

export function topicPanel(ctx, initial) {
  let node = initial;
  const { api } = ctx;
  const sns = (operation, params) => api.aws("sns", operation, params, node);
  // An instructor's read-only look reads the topic the server's way, with no AWS call in the
  // student's sandbox (it would land in the student's call history).
  const readOnly = Boolean(ctx.config?.read_only);
  const described = () => api.resource(node.id);

  // --- publish ---
  const message = h("textarea", { name: "message", rows: 3, placeholder: "Message", required: true });
  const subject = h("input", { name: "subject", placeholder: "optional" });
  const attributesText = h("textarea", { name: "attributes", rows: 2, placeholder: "name=value (one per line): filter policies match on these" });
  const group = h("input", { name: "group", value: "group-1" });
  const publishLine = resultLine("publish");
  const publishButton = h("button", { type: "submit", class: "primary" }, "Publish");
  const publishForm = h(
    "form",
    { class: "insp-form", dataset: { form: "publish" } },
    field("Message", message),
    field("Subject", subject),
    field("Message attributes", attributesText),
    node.fifo ? field("Message group", group) : null,
    h("div", { class: "insp-row" }, publishButton),
    publishLine,
  );
  publishForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = { TopicArn: node.id, Message: message.value };
    if (subject.value) params.Subject = subject.value;
    const attributes = parseAttributeLines(attributesText.value);
    if (Object.keys(attributes).length) params.MessageAttributes = attributes;
    if (node.fifo) params.MessageGroupId = group.value || "group-1";
    const published = await run(publishButton, publishLine, () => sns("Publish", params));
    if (published) showResult(publishLine, `Published ${published.MessageId}`);
  });

  // --- subscriptions ---
  const subscriptionsBox = h("ul", { class: "insp-subs", dataset: { subscriptions: "" } });
  const subscriptionsLine = resultLine("subscriptions");
  const loadSubscriptions = async () => {
    const answer = await run(subscriptionsBox, subscriptionsLine, () =>
      readOnly ? described().then((detail) => ({ Subscriptions: detail.subscriptions || [] })) : sns("ListSubscriptionsByTopic", { TopicArn: node.id }),
    );
    if (!answer) return;
    const subscriptions = answer.Subscriptions || [];
    subscriptionsBox.replaceChildren(...subscriptions.map(subscriptionItem));
    if (!subscriptions.length) showResult(subscriptionsLine, "No subscriptions: draw an edge from this topic to a queue.");
  };

  const subscriptionItem = (subscription) => {
    const endpointNode = ctx.diagram.get(subscription.Endpoint);
    const policy = h("textarea", { name: "filter-policy", rows: 4, placeholder: '{"color": ["red"]}', spellcheck: "false" });
    const scope = h(
      "select",
      { name: "filter-scope", "aria-label": "Filter policy scope" },
      h("option", { value: "MessageAttributes" }, "on message attributes"),
      h("option", { value: "MessageBody" }, "on the message body"),
    );
    const line = resultLine("filter");
    const save = h("button", { type: "button", class: "primary small", dataset: { action: "save-filter" } }, "Save filter");
    const clear = h("button", { type: "button", class: "small", dataset: { action: "clear-filter" } }, "Remove filter");
    const unsubscribe = h("button", { type: "button", class: "small danger", dataset: { action: "unsubscribe" } }, "Unsubscribe");
    const confirmed = subscription.SubscriptionArn?.startsWith("arn:");
    const item = h(
      "li",
      { class: "insp-sub-item", dataset: { endpoint: subscription.Endpoint } },
      h("div", {}, h("b", {}, subscription.Protocol), " → ", endpointNode ? endpointNode.label : subscription.Endpoint, confirmed ? "" : " (pending confirmation)"),
      confirmed ? h("details", { class: "insp-filter" }, h("summary", {}, "Filter policy"), policy, scope, h("div", { class: "insp-row" }, save, clear, unsubscribe), line) : null,
    );
    if (!confirmed) return item;
    // What the user typed is never replaced by the stored policy arriving late: the "toggle" event
    // runs after the click that opened the box, so typing can begin before the load does.
    let edited = false;
    policy.addEventListener("input", () => {
      edited = true;
    });
    scope.addEventListener("change", () => {
      edited = true;
    });
    item.querySelector("details").addEventListener("toggle", async (event) => {
      if (!event.target.open) return;
      const answer = await run(save, line, () => sns("GetSubscriptionAttributes", { SubscriptionArn: subscription.SubscriptionArn }));
      if (edited) return;
      policy.value = answer?.Attributes?.FilterPolicy ? JSON.stringify(JSON.parse(answer.Attributes.FilterPolicy), null, 2) : "";
      scope.value = answer?.Attributes?.FilterPolicyScope || "MessageAttributes";
    });
    save.addEventListener("click", async () => {
      let text = policy.value.trim();
      try {
        text = JSON.stringify(JSON.parse(text));
      } catch (problem) {
        return showResult(line, `Not JSON: ${problem.message}`, false);
      }
      const set = (name, value) => sns("SetSubscriptionAttributes", { SubscriptionArn: subscription.SubscriptionArn, AttributeName: name, AttributeValue: value });
      const done = await run(save, line, async () => {
        await set("FilterPolicyScope", scope.value);
        return set("FilterPolicy", text);
      });
      if (done) showResult(line, "Filter saved: messages that do not match are not delivered to this subscription.");
    });
    clear.addEventListener("click", async () => {
      const done = await run(clear, line, () =>
        sns("SetSubscriptionAttributes", { SubscriptionArn: subscription.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: "" }),
      );
      if (done) {
        policy.value = "";
        showResult(line, "Filter removed: every message is delivered.");
      }
    });
    unsubscribe.addEventListener("click", async () => {
      const done = await run(unsubscribe, line, () => sns("Unsubscribe", { SubscriptionArn: subscription.SubscriptionArn }));
      if (done) loadSubscriptions();
    });
    return item;
  };
  loadSubscriptions();

  // --- attributes ---
  const attributesBox = h("div", { class: "insp-settings" });
  const attributesLine = resultLine("attributes");
  const loadAttributes = async () => {
    const answer = await run(attributesBox, attributesLine, () =>
      readOnly ? described().then((detail) => ({ Attributes: detail.attributes || {} })) : sns("GetTopicAttributes", { TopicArn: node.id }),
    );
    if (answer) paintAttributes(answer.Attributes || {});
  };
  const paintAttributes = (attributes) => {
    // What SetTopicAttributes takes as plain text here; the rest is shown as it is.
    const displayName = h("input", { name: "DisplayName", value: attributes.DisplayName || "", "aria-label": "DisplayName" });
    const saveButton = h("button", { type: "submit", class: "primary" }, "Save");
    const form = h(
      "form",
      { class: "insp-settings-form", dataset: { form: "topic-attributes" } },
      attributeTable({ ...attributes, DisplayName: attributes.DisplayName || "" }, { editable: { DisplayName: displayName } }),
      h("div", { class: "insp-row" }, saveButton),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const done = await run(saveButton, attributesLine, () =>
        sns("SetTopicAttributes", { TopicArn: node.id, AttributeName: "DisplayName", AttributeValue: displayName.value }),
      );
      if (done) showResult(attributesLine, "Saved DisplayName");
    });
    attributesBox.replaceChildren(form);
  };
  loadAttributes();

  const deleteButton = deleteNodeButton(ctx, () => node, "Delete topic", "delete-topic");

  const element = h(
    "div",
    { class: "insp-panel", dataset: { panel: "sns:topic", id: node.id } },
    header(ctx, node),
    identity([["ARN", node.id]]),
    section("Publish", publishForm),
    section("Subscriptions", subscriptionsBox, subscriptionsLine),
    section("Attributes", attributesBox, attributesLine),
    dangerZone(deleteButton),
  );

  return {
    element,
    update(next, reason) {
      const subscriptionsChanged = next.counts.subscriptions !== node.counts.subscriptions;
      node = next;
      if (subscriptionsChanged && reason !== "changed") loadSubscriptions(); // subscribed from elsewhere
      // SNS's resource.changed events carry the topic's attributes as GetTopicAttributes has them.
      if (reason === "changed") {
        loadSubscriptions();
        if (Object.keys(next.raw.attributes || {}).length) paintAttributes(next.raw.attributes);
      }
    },
    edgesChanged: () => loadSubscriptions(),
    dispose() {},
  };
}
