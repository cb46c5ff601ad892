// What a node looks like on the diagram. A node comes from a service's graph.py (through
// /api/sandboxes/<id>/graph/) or from a resource.* live event; `normalizeNode` turns both into one
// shape, and the node's kind ("service:type", from the service's GUI module: services.js) says
// which icon, badges, column and ports it has. A kind no module describes is still drawn, with the
// generic look and its attributes in the inspector: a new service shows up on the diagram before
// anyone writes a line of GUI for it.

import { arnTail } from "./dom.js";
import { registry } from "./services.js";

/**
 * Per kind (every field optional; the generic one fills what a kind leaves out):
 *   title                    what the inspector and tooltips call it
 *   icon(node)               an icon URL, or the name of one under static/icons/ (no ".svg")
 *   subtitle(node)           the small line under the name
 *   badges(node)             [{key, label, value, tone}] shown on the node, live
 *   column(node)             its layer, left to right (0 = leftmost), for the layout
 *   ports                    which ports mean something: {in, out}
 *   normalize(node, raw, previous)  fields of its own ({counts, fifo, url...}) from a graph node or event
 *   decorate(node, {incoming, outgoing})  fields that follow from its edges ({dlq: true})
 *   remove                   {title, text, action, run(ctx, node)}: deleting it from the page
 */
export const GENERIC = {
  title: "Resource",
  icon: () => "generic",
  subtitle: (node) => `${node.service} ${node.type}`,
  badges: () => [],
  column: () => 4,
  ports: { in: true, out: true },
};

export function kindKey(node) {
  return `${node.service}:${node.type}`;
}

export function kindOf(node) {
  const kind = registry.kinds.get(kindKey(node));
  return kind ? { ...GENERIC, ...kind } : { ...GENERIC, title: `${node.service} ${node.type}` };
}

/** Node types a service folds into others instead of drawing (a KMS alias shows as its key's label). */
export function isHidden(service, type) {
  return registry.hidden.has(`${service}:${type}`);
}

/** Where an icon is: a URL as given, a bare name under static/icons/. */
export function iconUrl(icon, iconBase) {
  return /[/:]/.test(icon) ? icon : `${iconBase}${icon}.svg`;
}

/**
 * One shape for a node, whatever it came from:
 *   graph node   {id, service, type, label|name, region, state?, attributes?, ...}
 *   live event   {service, resource_type, arn, name, attributes}
 * The kind's normalize() adds what its service knows (counters, FIFO...).
 */
export function normalizeNode(raw, previous = null) {
  const attributes = { ...(previous?.attributes || {}), ...(raw.attributes || {}) };
  const id = raw.id || raw.arn;
  const service = raw.service || previous?.service || id.split(":")[2];
  const type = raw.type || raw.resource_type || previous?.type || "resource";
  const name = raw.name || previous?.name || arnTail(id);
  const node = {
    id,
    service,
    type,
    name,
    // A graph label (a key's first alias) wins over the event's name (the key id).
    label: raw.label || previous?.label || name,
    region: raw.region || previous?.region || id.split(":")[3] || "",
    state: raw.state || previous?.state || "",
    counts: { ...(previous?.counts || {}) },
    attributes,
    raw,
  };
  const kind = registry.kinds.get(`${service}:${type}`);
  if (kind?.normalize) Object.assign(node, kind.normalize(node, raw, previous));
  for (const [field, value] of Object.entries(previous || {})) if (!(field in node)) node[field] = value;
  return node;
}

/** A counter value from a field of the graph node, else an AWS attribute, else what it was. */
/** `value` as a finite number, or `fallback` (a graph field or an attribute may be missing or text). */
export function toNumber(value, fallback = 0) {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

export function counter(raw, attributes, field, attribute, fallback = 0) {
  if (raw[field] !== undefined) return toNumber(raw[field]);
  if (attribute && attribute in attributes) return toNumber(attributes[attribute]);
  return fallback;
}
