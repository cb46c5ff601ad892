// KMS on the sandbox page (the contract: docs/services-gui.md): key nodes named by their first
// alias, the palette's KMS key form, the key inspector (key.js), and the encryption edges implied
// by a resource's KmsMasterKeyId. The wiring that encrypts a queue or a topic belongs to SQS and
// SNS (it is their API); they ask the key node's `encryptionRefusal` whether it can.

import { field, h } from "../../js/kit.js";
import { keyPanel } from "./key.js";

const icon = new URL("icons/key.svg", import.meta.url).href;

function stateTone(state) {
  if (state === "Enabled") return "ok";
  if (state === "PendingDeletion" || state === "Disabled") return "warn";
  return "muted";
}

/** Why a key cannot encrypt a queue or topic at rest, or null when it can. */
function encryptionRefusal(key) {
  if (key.attributes.KeyUsage && key.attributes.KeyUsage !== "ENCRYPT_DECRYPT")
    return `${key.label} is a ${key.attributes.KeyUsage} key; encryption at rest needs a symmetric ENCRYPT_DECRYPT key.`;
  if (key.attributes.KeySpec && key.attributes.KeySpec !== "SYMMETRIC_DEFAULT")
    return `${key.label} is a ${key.attributes.KeySpec} key; encryption at rest needs a SYMMETRIC_DEFAULT key.`;
  if (key.state && key.state !== "Enabled") return `${key.label} is ${key.state}; only an enabled key can encrypt.`;
  return null;
}

export const kinds = {
  key: {
    title: "KMS key",
    icon: () => icon,
    subtitle: (node) => node.attributes.KeySpec || "Key",
    badges: (node) => [{ key: "state", label: "state", value: node.state || "?", tone: stateTone(node.state) }],
    column: () => 0,
    ports: { in: false, out: true },
    normalize(node) {
      const state = node.state || node.attributes.KeyState || "";
      return { state, encryptionRefusal: encryptionRefusal({ ...node, state }) };
    },
    remove: {
      title: (node) => `Delete ${node.label}?`,
      text: "A KMS key is never deleted at once: it is disabled and deleted after a 7-day waiting period of sandbox time.",
      action: "Schedule deletion",
      done: (node) => `${node.label}: deletion scheduled`,
      run: (ctx, node) => ctx.api.aws("kms", "ScheduleKeyDeletion", { KeyId: node.id, PendingWindowInDays: 7 }, node),
    },
  },
};

// An alias shows as its key's label; grants are listed by the API, not drawn.
export const hidden = ["alias", "grant"];

export const palette = [
  {
    id: "key",
    label: "KMS key",
    icon,
    title: "New KMS key",
    fields: () => [
      field("Alias", h("input", { name: "alias", pattern: "[A-Za-z0-9_\\-\\/]{1,250}", autocomplete: "off", placeholder: "orders-key" }), "Optional; becomes alias/<name>"),
      field("Description", h("input", { name: "description", autocomplete: "off" })),
    ],
    async create({ api }, form) {
      const description = form.get("description").trim();
      const answer = await api.aws("kms", "CreateKey", description ? { Description: description } : {});
      const alias = form.get("alias").trim();
      if (alias) {
        const aliasName = alias.startsWith("alias/") ? alias : `alias/${alias}`;
        await api.aws("kms", "CreateAlias", { AliasName: aliasName, TargetKeyId: answer.KeyMetadata.KeyId });
      }
      return { name: answer.KeyMetadata.KeyId, id: answer.KeyMetadata.Arn };
    },
  },
];

export const inspectors = { key: keyPanel };

export const legend = [{ kind: "encryption", label: "encryption", color: "#2b8a3e", dash: "2 5" }];

/** Encryption edges from node attributes, for services whose graph does not draw them. A key is
 * named by ARN, key id or alias, as KmsMasterKeyId allows. */
export function impliedEdges(nodes) {
  const keys = nodes.filter((node) => node.service === "kms" && node.type === "key");
  const found = [];
  for (const node of nodes) {
    const wanted = node.attributes.KmsMasterKeyId;
    if (!wanted || node.service === "kms") continue;
    const key = keys.find((k) => k.id === wanted || k.id.endsWith(`/${wanted}`) || k.label === wanted);
    if (key) found.push({ source: key.id, target: node.id, kind: "encryption" });
  }
  return found;
}

export const stylesheet = new URL("gui.css", import.meta.url);
