// What each service contributes to the page, gathered from its GUI module. The page's config lists
// the installed service apps ({label, title, group, gui, config}, from playground/catalog.py); a
// service with a GUI module (services/<svc>/static/services/<svc>/gui.js) is loaded with a dynamic
// import() before anything is drawn. docs/services-gui.md is the contract; in short, a gui.js may
// export any of:
//
//   kinds        {type: {title, icon, subtitle, badges, column, ports, normalize, remove}}
//   hidden       [type, ...]            node types folded into others instead of drawn
//   palette      [{id, label, icon, title, fields, create}]
//   inspectors   {type: panel(ctx, node)}
//   wiring       [{from, to, kind, describe, refuse, connect, disconnect}]
//   legend       [{kind, label, color, dash}]
//   counters     {flow kind: (event) => [[node id, counter, delta], ...]}
//   explainFlow  (event, ctx) => {title, reason, fix, command} | null
//   impliedEdges (nodes) => [{source, target, kind}]
//   stylesheet   URL of a CSS file of its own
//   setup        (ctx) => void, once, before anything else is asked
//
// A service without a GUI module still has its nodes drawn, with the generic look (nodes.js), and
// its attributes in the generic inspector panel. Nothing here names a service.

import { toast } from "./dom.js";

/** Every service's contributions, filled by loadServices(). */
export const registry = {
  services: [], // [{label, title, group, config, module}]
  groups: [], // palette groups in the course's order
  kinds: new Map(), // "svc:type" -> kind
  hidden: new Set(), // "svc:type"
  palette: [], // [{service, group, id, label, icon, title, fields, create}]
  inspectors: new Map(), // "svc:type" -> panel factory
  rules: new Map(), // "svc:type->svc:type" -> rule
  legend: [], // [{service, kind, label, color, dash}]
  counters: new Map(), // "svc:flow kind" -> (event) => bumps
  explainers: new Map(), // service label -> explainFlow
  implied: [], // impliedEdges functions
};

const SAFE = /[^a-z0-9-]/g;
const slug = (text) => String(text || "").toLowerCase().replace(SAFE, "-");

function add(service, module) {
  const label = service.label;
  for (const [type, kind] of Object.entries(module.kinds || {})) registry.kinds.set(`${label}:${type}`, { service: label, ...kind });
  for (const type of module.hidden || []) registry.hidden.add(`${label}:${type}`);
  for (const entry of module.palette || []) registry.palette.push({ service: label, group: service.group, ...entry });
  for (const [type, panel] of Object.entries(module.inspectors || {})) registry.inspectors.set(`${label}:${type}`, panel);
  for (const rule of module.wiring || []) {
    const key = `${rule.from}->${rule.to}`;
    if (registry.rules.has(key)) console.warn(`two services wire ${key}; the first one wins`);
    else registry.rules.set(key, { service: label, ...rule });
  }
  for (const entry of module.legend || []) registry.legend.push({ service: label, ...entry });
  for (const [flow, counter] of Object.entries(module.counters || {})) registry.counters.set(`${label}:${flow}`, counter);
  if (module.explainFlow) registry.explainers.set(label, module.explainFlow);
  if (module.impliedEdges) registry.implied.push(module.impliedEdges);
  if (module.stylesheet) {
    document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: String(module.stylesheet) }));
  }
}

/** Edge colours from the legends: the edge, its legend swatch, and dots travelling along it. */
function legendStyles() {
  const rules = registry.legend.map(({ kind, color, dash }) => {
    const name = slug(kind);
    return [
      `.drawflow .connection.edge-${name} .main-path:not(.pg-hit) { stroke: ${color};${dash ? ` stroke-dasharray: ${dash};` : ""} }`,
      `.swatch.edge-${name} { background: ${color}; }`,
      `.flow-dot.flow-along-${name} { background: ${color}; }`,
    ].join("\n");
  });
  const style = document.createElement("style");
  style.dataset.legend = "";
  style.textContent = rules.join("\n");
  document.head.append(style);
}

/**
 * Load every listed service's GUI module (in parallel), then let each set itself up with `ctx`
 * ({api, config, endpointUrl, region}, plus its own `service` entry with the server's gui_config).
 * A module that fails to load is reported and skipped: its nodes fall back to the generic look.
 */
export async function loadServices(config, ctx) {
  registry.groups = config.groups || [];
  const listed = config.services || [];
  const loaded = await Promise.all(
    listed.map(async (service) => {
      if (!service.gui) return null;
      try {
        return await import(service.gui);
      } catch (problem) {
        console.error(`GUI module of ${service.label} not loaded`, problem);
        toast(`The ${service.title || service.label} part of the page did not load: ${problem.message}`, "error");
        return null;
      }
    }),
  );
  listed.forEach((service, index) => {
    const module = loaded[index];
    registry.services.push({ ...service, module });
    if (!module) return;
    module.setup?.({ ...ctx, service });
    add(service, module);
  });
  legendStyles();
  return registry;
}

/** The service entry of a label ({label, title, group, config, module}), or null. */
export function serviceOf(label) {
  return registry.services.find((service) => service.label === label) || null;
}
