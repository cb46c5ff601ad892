// The inspector: the right-hand panel showing what is selected. A node gets the panel its service's
// GUI module gives its kind (`inspectors`, services.js), any other resource the generic one listing
// its attributes; an edge says what its wiring did, what is wrong with it, and can undo or fix it;
// nothing selected shows what the sandbox holds.
//
// A panel: panel(ctx, node) -> {element, update(node, reason), onFlow?(event), edgesChanged?(),
// dispose()}. ctx is the page's ({api, clock, diagram, config, ask, confirm, deleteNode}) with the
// panel's own service entry as ctx.service ({label, title, config: its gui_config()}).

import { h } from "../dom.js";
import { kindKey, kindOf } from "../nodes.js";
import { registry, serviceOf } from "../services.js";
import { ruleForEdge } from "../wiring.js";
import { attributeTable, header, identity, resultLine, run, section, showResult } from "./common.js";

function genericPanel(ctx, initial) {
  let node = initial;
  const box = h("div", { class: "insp-settings" });
  const paint = () => box.replaceChildren(attributeTable({ ...node.attributes, ...(node.raw || {}), attributes: undefined }));
  paint();
  return {
    element: h(
      "div",
      { class: "insp-panel", dataset: { panel: kindKey(node), id: node.id } },
      header(ctx, node),
      identity([["ARN", node.id]]),
      section("Attributes", box),
    ),
    update(next) {
      node = next;
      paint();
    },
    dispose() {},
  };
}

/** "topic → queue: subscription, queue → queue: dead-letter, ..." from the services' rules. */
function wiringHelp() {
  const short = (kind) => kind.split(":").pop();
  return Array.from(registry.rules.values(), (rule) => `${short(rule.from)} → ${short(rule.to)}: ${rule.kind}`).join(", ") || "nothing wires yet";
}

export class Inspector {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.current = null; // {id, panel} of the node shown
    this.note = ""; // said above the overview until something else is selected
    this.showOverview();
  }

  /** Show a panel; `id` is the node it is about (null for the overview and edges). */
  mount(panel, id = null, overview = false) {
    this.current?.panel.dispose?.();
    this.current = overview ? null : { id, panel };
    this.root.replaceChildren(panel.element);
    this.root.scrollTop = 0;
  }

  show(node) {
    this.note = "";
    if (!node) return this.showOverview();
    if (this.current?.id === node.id) return;
    const make = registry.inspectors.get(kindKey(node)) || genericPanel;
    this.mount(make({ ...this.ctx, service: serviceOf(node.service) }, node), node.id);
  }

  /** A node changed: by a graph refresh ("graph"), a flow's counter bump ("flow") or a
   * resource.changed event ("changed", which may warrant re-reading its attributes). */
  nodeChanged(node, reason) {
    if (this.current?.id === node.id) this.current.panel.update(node, reason);
  }

  /** Nodes came or went: the overview (shown when nothing is selected) counts them. */
  nodesChanged() {
    if (this.current === null) this.showOverview();
  }

  nodeRemoved(id) {
    if (this.current?.id !== id) return;
    this.note = "The selected resource was deleted.";
    this.showOverview();
  }

  flow(event) {
    this.current?.panel.onFlow?.(event);
  }

  edgesChanged() {
    this.current?.panel.edgesChanged?.();
  }

  showEdge(edge, source, target) {
    const rule = ruleForEdge(source, target, edge);
    const line = resultLine("edge");
    const removeButton = h("button", { type: "button", class: "danger", dataset: { action: "remove-edge" } }, "Remove link");
    removeButton.addEventListener("click", async () => {
      const removed = await run(removeButton, line, () => this.ctx.diagram.removeEdge(edge));
      if (removed) this.showOverview();
    });
    let repairButton = null;
    if (edge.problem && rule?.repair) {
      repairButton = h("button", { type: "button", class: "primary", dataset: { action: "repair-edge" } }, rule.repair.label);
      repairButton.addEventListener("click", async () => {
        const done = await run(repairButton, line, async () => {
          await rule.repair.run(this.ctx, source, target);
          return true;
        });
        if (done) {
          showResult(line, rule.repair.done(source, target));
          this.ctx.onRepaired?.(edge);
        }
      });
    }
    const problem = edge.problem
      ? h(
          "div",
          { class: "insp-problem", role: "alert", dataset: { problem: "" } },
          h("b", {}, "Not delivering: "),
          edge.problem.reason || edge.problem,
          edge.problem.fix ? h("p", {}, edge.problem.fix) : null,
        )
      : null;
    const element = h(
      "div",
      { class: "insp-panel", dataset: { panel: "edge", kind: edge.kind } },
      h("header", { class: "insp-head" }, h("div", {}, h("h2", { class: "insp-title" }, `${source.label} → ${target.label}`), h("div", { class: "insp-sub" }, edge.kind))),
      h("p", {}, rule ? rule.describe(source, target) : `A ${edge.kind} link drawn by ${source.service}.`),
      edge.label ? h("p", { class: "insp-sub" }, edge.label) : null,
      problem,
      rule
        ? h("div", { class: "insp-row" }, repairButton, removeButton)
        : h("p", { class: "insp-sub" }, "This link is not made by drawing; change it with the AWS API."),
      line,
    );
    this.mount({ element, update() {}, dispose() {} }, null);
  }

  showOverview() {
    const nodes = this.ctx.diagram?.all() || [];
    const counts = new Map();
    for (const node of nodes) counts.set(kindOf(node).title, (counts.get(kindOf(node).title) || 0) + 1);
    const element = h(
      "div",
      { class: "insp-panel insp-overview", dataset: { panel: "overview" } },
      this.note ? h("p", { class: "insp-note" }, this.note) : null,
      h("h2", { class: "insp-title" }, this.ctx.config.sandbox.name),
      h(
        "ul",
        { class: "insp-kinds" },
        counts.size ? Array.from(counts, ([title, count]) => h("li", {}, h("b", {}, String(count)), ` ${title}${count === 1 ? "" : "s"}`)) : h("li", {}, "No resources yet."),
      ),
      h(
        "ul",
        { class: "insp-help" },
        h("li", {}, "Create resources from the palette on the left, or with the aws CLI (see Credentials)."),
        h("li", {}, "Select a node to inspect it: send, receive, publish, encrypt."),
        h("li", {}, "Wire by dragging from a node's right-hand port onto another node: ", wiringHelp(), "."),
        h("li", {}, "Select an edge and press Delete (or use Remove link) to undo its wiring."),
      ),
    );
    this.mount({ element, update() {}, dispose() {} }, null, true);
  }
}
