// The palette: create a resource through a short form. Each form calls the same AWS operation
// the CLI would (through the API's /aws/ door); the new node then arrives like any other, from
// the resource.created event, and is selected.

import { formDialog } from "./dialog.js";
import { h } from "./dom.js";

const field = (label, input, hint = "") => h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);

const FORMS = {
  queue: {
    title: "New SQS queue",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9_\\-]{1,75}(\\.fifo)?", autocomplete: "off" }), "Letters, digits, - and _"),
      field("FIFO", h("input", { name: "fifo", type: "checkbox" }), "Ordered, exactly-once; the name gets .fifo"),
      field("Visibility timeout (s)", h("input", { name: "visibility", type: "number", min: 0, max: 43200, value: 30 })),
      field("Delivery delay (s)", h("input", { name: "delay", type: "number", min: 0, max: 900, value: 0 })),
    ],
    async create(api, form) {
      const fifo = form.get("fifo") === "on";
      let name = form.get("name").trim();
      if (fifo && !name.endsWith(".fifo")) name += ".fifo";
      const attributes = { VisibilityTimeout: String(form.get("visibility") || 30), DelaySeconds: String(form.get("delay") || 0) };
      if (fifo) Object.assign(attributes, { FifoQueue: "true", ContentBasedDeduplication: "true" });
      const answer = await api.aws("sqs", "CreateQueue", { QueueName: name, Attributes: attributes });
      return { name, answer };
    },
  },
  topic: {
    title: "New SNS topic",
    fields: () => [
      field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9_\\-]{1,251}(\\.fifo)?", autocomplete: "off" })),
      field("FIFO", h("input", { name: "fifo", type: "checkbox" }), "Delivers to FIFO queues; the name gets .fifo"),
    ],
    async create(api, form) {
      const fifo = form.get("fifo") === "on";
      let name = form.get("name").trim();
      if (fifo && !name.endsWith(".fifo")) name += ".fifo";
      const params = { Name: name };
      if (fifo) params.Attributes = { FifoTopic: "true", ContentBasedDeduplication: "true" };
      const answer = await api.aws("sns", "CreateTopic", params);
      return { name, id: answer.TopicArn, answer };
    },
  },
  key: {
    title: "New KMS key",
    fields: () => [
      field("Alias", h("input", { name: "alias", pattern: "[A-Za-z0-9_\\-\\/]{1,250}", autocomplete: "off", placeholder: "orders-key" }), "Optional; becomes alias/<name>"),
      field("Description", h("input", { name: "description", autocomplete: "off" })),
    ],
    async create(api, form) {
      const description = form.get("description").trim();
      const answer = await api.aws("kms", "CreateKey", description ? { Description: description } : {});
      const alias = form.get("alias").trim();
      if (alias) {
        const aliasName = alias.startsWith("alias/") ? alias : `alias/${alias}`;
        await api.aws("kms", "CreateAlias", { AliasName: aliasName, TargetKeyId: answer.KeyMetadata.KeyId });
      }
      return { name: answer.KeyMetadata.KeyId, id: answer.KeyMetadata.Arn, answer };
    },
  },
};

export class Palette {
  /** onCreated({kind, name, id}) is told about each resource made here. */
  constructor(root, api, onCreated) {
    root.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-create]");
      if (!button) return;
      const kind = button.dataset.create;
      const form = FORMS[kind];
      const made = await formDialog({
        title: form.title,
        fields: form.fields(),
        onSubmit: (data) => form.create(api, data),
      });
      if (made) onCreated({ kind, ...made });
    });
  }
}
