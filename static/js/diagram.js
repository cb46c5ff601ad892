// The live diagram: one Drawflow node per resource, one connection per edge, flows animated
// along them. Drawflow (static/vendor/drawflow, from npm) draws nodes as DOM elements and edges
// as SVG paths inside one transformed "precanvas" element; everything added here (flow dots,
// edge labels) lives in that element too, so it pans and zooms with the drawing.
//
// The diagram never decides what exists: `applyGraph` makes it match the server's graph, and
// `upsertNode` / `removeNode` apply live events between two graphs. Edges the student draws are
// handed to `onConnect`, which performs the AWS calls (wiring.js) and answers whether they stand.

import { debounce, h } from "./dom.js";
import { HIDDEN, kindKey, kindOf, normalizeNode } from "./nodes.js";

const COLUMN_WIDTH = 250; // nodes are 190 px wide (sandbox.css), in pixels whatever the font size
const ROW_HEIGHT = 110;
const MARGIN = 40;
const CLIENT_DISTANCE = 110; // how far outside a node a flow from or to "client" starts or ends
const FLOW_MS = 1100;
const MAX_DOTS = 30; // beyond this many flows in the air at once, the extra ones are not drawn

const edgeKey = (source, target) => `${source}|${target}`;
const slug = (text) => String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "-");

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** An edge of a service's graph in one shape: {source, target, kind, label, raw}. Keys are drawn
 * from the key (whatever direction the service states it), so their port is always the output. */
function normalizeEdge(raw, nodes) {
  let source = raw.source;
  let target = raw.target;
  const kind = raw.kind || raw.type || "link";
  const isKey = (id) => nodes.get(id)?.node.type === "key" && nodes.get(id)?.node.service === "kms";
  if (isKey(target) && !isKey(source)) [source, target] = [target, source];
  let label = raw.label || "";
  if (!label && raw.max_receive_count) label = `after ${raw.max_receive_count} receives`;
  if (!label && raw.filter_policy) label = "filtered";
  return { source, target, kind, label, raw };
}

export class Diagram {
  /**
   * @param {HTMLElement} element  the container Drawflow takes over
   * @param {object} options
   *   iconBase                 URL prefix of static/icons/
   *   positions                {node id: {x, y}} saved for this sandbox
   *   onSelect(node|null)      a node was selected (null: nothing is)
   *   onSelectEdge(edge, source, target)
   *   onConnect(source, target) -> Promise<{kind, label}|null>   perform the wiring, null when refused
   *   onDisconnect(edge, source, target) -> Promise<boolean>      undo it, false when that failed
   *   onDeleteRequest(node)    Delete pressed on a selected node
   *   savePositions({id: {x, y}})
   */
  constructor(element, options) {
    this.element = element;
    this.options = options;
    this.nodes = new Map(); // node id (ARN) -> {node, drawId, element}
    this.byDrawId = new Map(); // Drawflow's id (string) -> node id
    this.edges = new Map(); // edgeKey -> normalized edge
    this.labels = new Map(); // edgeKey -> label element
    this.pending = new Set(); // edges being wired right now: a graph refresh leaves them alone
    this.graphEdges = []; // the edges of the last graph read
    // Edges the student made ({edge, at}) or removed ({edge: null, at}) since that graph was read.
    this.localEdges = new Map();
    this.positions = { ...(options.positions || {}) };
    this.unsaved = {};
    this.saving = 0; // position saves on their way to the server
    this.quiet = false; // true while the diagram itself changes connections: not the student's doing
    this.dots = 0;
    this.clientFlows = new Map(); // timer -> target of a client's flow waiting to be drawn
    this.flushPositions = debounce(() => this.savePositions(), 400, 2000);
    this.maxZoom = 1; // what fit() may zoom in to (projector mode allows more)
    this.added = new Set(); // nodes added since the last look at whether they are in view
    this.keepInView = debounce(() => this.showAdded(), 80);

    const editor = new window.Drawflow(element);
    this.editor = editor;
    editor.curvature = 0.45;
    editor.zoom_min = 0.2;
    editor.zoom_max = 2;
    editor.force_first_input = true; // dropping an edge anywhere on a node connects to its input
    editor.line_path = 3;
    // Deleting a node is deleting an AWS resource: never on a stray key press or right click.
    // The Delete key only removes a selected edge (which undoes its wiring), and asks about nodes.
    const contextmenu = editor.contextmenu.bind(editor);
    editor.contextmenu = (event) => {
      if (editor.node_selected) {
        event.preventDefault();
        return false;
      }
      return contextmenu(event);
    };
    editor.key = (event) => {
      editor.dispatch("keydown", event);
      if (event.key !== "Delete" && !(event.key === "Backspace" && event.metaKey)) return;
      if (event.target.closest("input, textarea, select, [contenteditable]")) return;
      if (editor.connection_selected) editor.removeConnection();
      else if (editor.node_selected) this.options.onDeleteRequest?.(this.nodeOfDrawId(editor.node_selected.id.slice(5)));
    };
    editor.start();

    editor.on("nodeSelected", (drawId) => this.options.onSelect(this.nodeOfDrawId(drawId)));
    editor.on("nodeUnselected", () => this.options.onSelect(null));
    editor.on("connectionSelected", ({ output_id, input_id }) => {
      const source = this.nodeOfDrawId(output_id);
      const target = this.nodeOfDrawId(input_id);
      const edge = source && target ? this.edges.get(edgeKey(source.id, target.id)) : null;
      if (edge) this.options.onSelectEdge(edge, source, target);
    });
    editor.on("nodeMoved", (drawId) => {
      const id = this.byDrawId.get(String(drawId));
      const data = editor.drawflow.drawflow[editor.module].data[drawId];
      if (!id || !data) return;
      // Drawflow's own pos_x/pos_y can be one mouse step off where the node is drawn (it reads
      // offsetLeft after moving the element): the drawn place is the true one.
      const element = this.nodes.get(id).element;
      data.pos_x = element.offsetLeft;
      data.pos_y = element.offsetTop;
      this.remember(id, data.pos_x, data.pos_y);
      this.refreshLabels();
    });
    // Edge labels follow a node while it is dragged (once per frame at most).
    let frame = 0;
    editor.on("mouseMove", () => {
      if (!editor.drag || frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        this.refreshLabels();
      });
    });
    editor.on("connectionCreated", ({ output_id, input_id }) => {
      if (!this.quiet) this.drawn(String(output_id), String(input_id));
    });
    editor.on("connectionRemoved", ({ output_id, input_id }) => {
      if (!this.quiet) this.erased(String(output_id), String(input_id));
    });
  }

  // --- nodes ----------------------------------------------------------------------------------

  nodeOfDrawId(drawId) {
    const id = this.byDrawId.get(String(drawId));
    return id ? this.nodes.get(id).node : null;
  }

  get(id) {
    return this.nodes.get(id)?.node || null;
  }

  all() {
    return Array.from(this.nodes.values(), (entry) => entry.node);
  }

  /** Add a node or update one from a graph node or a resource event; returns the normalized node. */
  upsertNode(raw) {
    const id = raw.id || raw.arn;
    const entry = this.nodes.get(id);
    const node = normalizeNode(raw, entry?.node);
    if (HIDDEN.has(kindKey(node))) return null;
    if (entry) {
      entry.node = node;
      this.render(entry);
      return node;
    }
    const kind = kindOf(node);
    const place = this.positions[id] || this.autoPlace(node);
    const classes = [`pg-kind-${slug(kindKey(node))}`, kind.ports.in ? "" : "pg-no-in", kind.ports.out ? "" : "pg-no-out"];
    const drawId = String(
      this.editor.addNode(kindKey(node), 1, 1, place.x, place.y, classes.filter(Boolean).join(" "), {}, this.html(node)),
    );
    const element = this.element.querySelector(`#node-${drawId}`);
    const created = { node, drawId, element };
    this.nodes.set(id, created);
    this.byDrawId.set(drawId, id);
    if (!this.positions[id]) this.remember(id, place.x, place.y);
    this.added.add(id);
    this.keepInView();
    return node;
  }

  removeNode(id) {
    const entry = this.nodes.get(id);
    if (!entry) return;
    for (const key of Array.from(this.edges.keys())) {
      const edge = this.edges.get(key);
      if (edge.source === id || edge.target === id) this.dropEdge(key);
    }
    this.quietly(() => this.editor.removeNodeId(`node-${entry.drawId}`));
    this.nodes.delete(id);
    this.byDrawId.delete(entry.drawId);
    delete this.positions[id];
  }

  html(node) {
    const kind = kindOf(node);
    return `<div class="pg-node" data-id="${escapeHtml(node.id)}" data-name="${escapeHtml(node.name)}" data-kind="${escapeHtml(kindKey(node))}">
      <img class="pg-icon" alt="" draggable="false" src="${this.options.iconBase}${kind.icon(node)}.svg">
      <div class="pg-text"><div class="pg-name" title="${escapeHtml(node.id)}">${escapeHtml(node.label)}</div>
      <div class="pg-sub">${escapeHtml(kind.subtitle(node))}</div></div>
      <div class="pg-badges">${this.badgesHtml(node)}</div></div>`;
  }

  badgesHtml(node) {
    return kindOf(node)
      .badges(node)
      .map(
        (badge) =>
          `<span class="pg-badge tone-${badge.tone}" data-badge="${badge.key}" title="${escapeHtml(badge.label)}"><b>${escapeHtml(badge.value)}</b> ${escapeHtml(badge.label)}</span>`,
      )
      .join("");
  }

  /** Update a drawn node in place (no re-creation: selection, drag and ports stay as they are). */
  render(entry) {
    const { node, element } = entry;
    const kind = kindOf(node);
    const content = element.querySelector(".pg-node");
    content.dataset.name = node.name;
    content.dataset.kind = kindKey(node);
    element.querySelector(".pg-name").textContent = node.label;
    element.querySelector(".pg-sub").textContent = kind.subtitle(node);
    const icon = element.querySelector(".pg-icon");
    const src = `${this.options.iconBase}${kind.icon(node)}.svg`;
    if (icon.getAttribute("src") !== src) icon.setAttribute("src", src);
    const badges = kind.badges(node);
    const box = element.querySelector(".pg-badges");
    if (Array.from(box.children, (b) => b.dataset.badge).join() !== badges.map((b) => b.key).join()) {
      box.innerHTML = this.badgesHtml(node); // the kind changed (first known from an event)
    }
    for (const badge of badges) {
      const shown = element.querySelector(`[data-badge="${badge.key}"]`);
      if (!shown) continue;
      const value = String(badge.value);
      const number = shown.querySelector("b");
      if (number.textContent !== value) {
        number.textContent = value;
        shown.className = `pg-badge tone-${badge.tone}`;
        // A changed counter blinks once, so a class can see it tick. (The Web Animations API
        // restarts it without forcing a layout, which a stream of events would pay each time.)
        shown.animate([{ backgroundColor: "#ffe066" }], { duration: 600, easing: "ease-out" });
      }
    }
  }

  /** Add `delta` to a node's counter right away (a flow event); the next graph corrects it. */
  bump(id, counter, delta) {
    const entry = this.nodes.get(id);
    if (!entry) return;
    entry.node.counts[counter] = Math.max(0, (entry.node.counts[counter] || 0) + delta);
    this.render(entry);
  }

  /** A free place for a new node: the first empty row of its kind's column. */
  autoPlace(node) {
    const column = kindOf(node).column(node);
    const x = MARGIN + column * COLUMN_WIDTH;
    const taken = new Set();
    for (const place of Object.values(this.positions)) {
      if (Math.abs(place.x - x) < COLUMN_WIDTH / 2) taken.add(Math.round((place.y - MARGIN) / ROW_HEIGHT));
    }
    let row = 0;
    while (taken.has(row)) row += 1;
    return { x, y: MARGIN + row * ROW_HEIGHT };
  }

  remember(id, x, y) {
    this.positions[id] = { x, y };
    this.unsaved[id] = { x: Math.round(x), y: Math.round(y) };
    this.flushPositions();
  }

  savePositions() {
    const batch = this.unsaved;
    this.unsaved = {};
    if (!Object.keys(batch).length) return;
    this.saving += 1;
    Promise.resolve(this.options.savePositions(batch)).finally(() => (this.saving -= 1));
  }

  /** Every position is saved (none waiting, none on its way). */
  layoutSaved() {
    return this.saving === 0 && Object.keys(this.unsaved).length === 0;
  }

  // --- the whole graph ------------------------------------------------------------------------

  /** Make the diagram match the server's graph {nodes, edges}, fetched from `startedAt`
   * (performance.now() when the request left): edges drawn or removed by the student before
   * that are in it, later ones are not yet. */
  applyGraph(graph, startedAt = performance.now()) {
    const rawNodes = (graph.nodes || []).filter((raw) => !HIDDEN.has(`${raw.service}:${raw.type || raw.resource_type}`));
    const ids = new Set(rawNodes.map((raw) => raw.id || raw.arn));
    for (const id of Array.from(this.nodes.keys())) if (!ids.has(id)) this.removeNode(id);
    // Dead-letter targets are known before the nodes are placed, so a new one lands in its column.
    const deadLetterTargets = new Set(
      (graph.edges || []).filter((raw) => /dead/.test(raw.kind || raw.type || "")).map((raw) => raw.target),
    );
    for (const raw of rawNodes) {
      const id = raw.id || raw.arn;
      this.upsertNode(!this.nodes.has(id) && deadLetterTargets.has(id) ? { ...raw, dlq: true } : raw);
    }
    this.graphEdges = graph.edges || [];
    for (const [key, change] of this.localEdges) if (change.at < startedAt) this.localEdges.delete(key);
    this.setEdges();
  }

  /** Draw every edge: the last graph's, those node attributes imply (a queue's KmsMasterKeyId),
   * and the ones the student changed since that graph was read. */
  setEdges() {
    const wanted = new Map();
    const consider = (edge) => {
      if (edge.source === edge.target || !this.nodes.has(edge.source) || !this.nodes.has(edge.target)) return;
      wanted.set(edgeKey(edge.source, edge.target), edge);
    };
    for (const raw of this.graphEdges) consider(normalizeEdge(raw, this.nodes));
    for (const edge of this.impliedEdges()) if (!wanted.has(edgeKey(edge.source, edge.target))) consider(edge);
    for (const [key, change] of this.localEdges) {
      if (change.edge) consider(change.edge);
      else wanted.delete(key); // removed by the student; the graph does not know yet
    }
    for (const key of Array.from(this.edges.keys())) {
      if (!wanted.has(key) && !this.pending.has(key)) this.dropEdge(key);
    }
    for (const [key, edge] of wanted) this.putEdge(key, edge);
    this.markDeadLetterQueues();
    this.refreshLabels();
  }

  /** Encryption edges from node attributes, for services whose graph does not draw them. A key
   * is named by ARN, key id or alias, as KmsMasterKeyId allows. */
  impliedEdges() {
    const keys = this.all().filter((node) => node.service === "kms" && node.type === "key");
    const found = [];
    for (const node of this.all()) {
      const wanted = node.attributes.KmsMasterKeyId;
      if (!wanted || node.service === "kms") continue;
      const key = keys.find((k) => k.id === wanted || k.id.endsWith(`/${wanted}`) || k.label === wanted);
      if (key) found.push({ source: key.id, target: node.id, kind: "encryption", label: "", raw: {} });
    }
    return found;
  }

  markDeadLetterQueues() {
    const targets = new Set();
    for (const edge of this.edges.values()) if (/dead/.test(edge.kind)) targets.add(edge.target);
    for (const entry of this.nodes.values()) {
      const dlq = targets.has(entry.node.id);
      if (entry.node.dlq !== dlq) {
        entry.node.dlq = dlq;
        this.render(entry);
        entry.element.classList.toggle("pg-dlq", dlq);
      }
    }
  }

  // --- edges ----------------------------------------------------------------------------------

  connectionElement(sourceDrawId, targetDrawId) {
    return this.element.querySelector(`.connection.node_out_node-${sourceDrawId}.node_in_node-${targetDrawId}`);
  }

  putEdge(key, edge) {
    const source = this.nodes.get(edge.source);
    const target = this.nodes.get(edge.target);
    if (!this.connectionElement(source.drawId, target.drawId)) {
      this.quietly(() => this.editor.addConnection(source.drawId, target.drawId, "output_1", "input_1"));
    }
    this.edges.set(key, edge);
    this.styleEdge(key, edge);
  }

  styleEdge(key, edge) {
    const source = this.nodes.get(edge.source);
    const target = this.nodes.get(edge.target);
    const svg = this.connectionElement(source.drawId, target.drawId);
    if (!svg) return;
    // Drawflow reads the first five classes of a connection by position: ours go after them.
    for (const name of Array.from(svg.classList)) if (name.startsWith("edge-")) svg.classList.remove(name);
    svg.classList.add(`edge-${slug(edge.kind)}`);
    svg.dataset.kind = edge.kind;
    svg.dataset.source = edge.source;
    svg.dataset.target = edge.target;
    let label = this.labels.get(key);
    const text = edge.label || edge.kind;
    if (!label) {
      label = h("div", { class: `pg-edge-label edge-${slug(edge.kind)}` });
      this.editor.precanvas.append(label);
      this.labels.set(key, label);
    }
    label.textContent = text;
  }

  dropEdge(key) {
    const edge = this.edges.get(key);
    this.edges.delete(key);
    this.labels.get(key)?.remove();
    this.labels.delete(key);
    const source = edge && this.nodes.get(edge.source);
    const target = edge && this.nodes.get(edge.target);
    if (source && target && this.connectionElement(source.drawId, target.drawId)) {
      this.quietly(() => this.editor.removeSingleConnection(source.drawId, target.drawId, "output_1", "input_1"));
    }
  }

  refreshLabels() {
    for (const [key, label] of this.labels) {
      const edge = this.edges.get(key);
      const source = edge && this.nodes.get(edge.source);
      const target = edge && this.nodes.get(edge.target);
      const path = source && target && this.connectionElement(source.drawId, target.drawId)?.querySelector(".main-path");
      if (!path || !path.getTotalLength()) continue;
      const middle = path.getPointAtLength(path.getTotalLength() / 2);
      label.style.left = `${middle.x}px`;
      label.style.top = `${middle.y}px`;
    }
  }

  quietly(change) {
    const before = this.quiet;
    this.quiet = true;
    try {
      return change();
    } finally {
      this.quiet = before;
    }
  }

  /** The student drew an edge: wire it, or take it back and say why not. */
  async drawn(sourceDrawId, targetDrawId) {
    const source = this.nodeOfDrawId(sourceDrawId);
    const target = this.nodeOfDrawId(targetDrawId);
    const svg = this.connectionElement(sourceDrawId, targetDrawId);
    if (!source || !target) return;
    const key = edgeKey(source.id, target.id);
    this.pending.add(key);
    svg?.classList.add("pending");
    let made = null;
    try {
      made = await this.options.onConnect(source, target);
    } finally {
      this.pending.delete(key);
      svg?.classList.remove("pending");
    }
    if (!made) {
      this.quietly(() => this.editor.removeSingleConnection(sourceDrawId, targetDrawId, "output_1", "input_1"));
      return;
    }
    const edge = { source: source.id, target: target.id, kind: made.kind, label: made.label || "", raw: {} };
    this.localEdges.set(key, { edge, at: performance.now() });
    this.setEdges();
  }

  /** The student deleted an edge with the keyboard: undo the wiring, or put the edge back. */
  async erased(sourceDrawId, targetDrawId) {
    const source = this.nodeOfDrawId(sourceDrawId);
    const target = this.nodeOfDrawId(targetDrawId);
    if (!source || !target) return;
    const key = edgeKey(source.id, target.id);
    const edge = this.edges.get(key);
    if (!edge) return;
    const undone = await this.options.onDisconnect(edge, source, target);
    if (undone) {
      this.localEdges.set(key, { edge: null, at: performance.now() });
      this.setEdges();
    } else {
      this.quietly(() => this.editor.addConnection(sourceDrawId, targetDrawId, "output_1", "input_1"));
      this.styleEdge(key, edge);
    }
  }

  /** Remove an edge from the inspector's button: the same as deleting it with the keyboard. */
  async removeEdge(edge) {
    const source = this.nodes.get(edge.source);
    const target = this.nodes.get(edge.target);
    if (!source || !target) return false;
    const undone = await this.options.onDisconnect(edge, source.node, target.node);
    if (undone) {
      this.localEdges.set(edgeKey(edge.source, edge.target), { edge: null, at: performance.now() });
      this.setEdges();
    }
    return undone;
  }

  edgesOf(id) {
    return Array.from(this.edges.values()).filter((edge) => edge.source === id || edge.target === id);
  }

  // --- selection and view ---------------------------------------------------------------------

  select(id) {
    const entry = this.nodes.get(id);
    if (!entry) return;
    const editor = this.editor;
    if (editor.node_selected) editor.node_selected.classList.remove("selected");
    editor.node_selected = entry.element;
    entry.element.classList.add("selected");
    this.options.onSelect(entry.node);
  }

  /** A node that just appeared outside the visible part of the canvas brings every node into view. */
  showAdded() {
    const view = this.element.getBoundingClientRect();
    const hidden = Array.from(this.added).some((id) => {
      const element = this.nodes.get(id)?.element;
      if (!element) return false;
      const box = element.getBoundingClientRect();
      return box.left < view.left || box.top < view.top || box.right > view.right - 8 || box.bottom > view.bottom;
    });
    this.added.clear();
    if (hidden && !this.editor.drag && !this.editor.connection) this.fit();
  }

  /** Zoom and pan so every node is in view (never larger than maxZoom). */
  fit() {
    const entries = Array.from(this.nodes.values());
    if (!entries.length) return;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const { element } of entries) {
      minX = Math.min(minX, element.offsetLeft);
      minY = Math.min(minY, element.offsetTop);
      maxX = Math.max(maxX, element.offsetLeft + element.offsetWidth);
      maxY = Math.max(maxY, element.offsetTop + element.offsetHeight);
    }
    const width = this.element.clientWidth;
    const height = this.element.clientHeight;
    const pad = 30;
    const editor = this.editor;
    const zoom = Math.max(editor.zoom_min, Math.min(this.maxZoom, (width - 2 * pad) / (maxX - minX + 60), (height - 2 * pad) / (maxY - minY)));
    // Drawflow scales the precanvas about its centre: place the box's corner at (pad, pad).
    const cx = editor.precanvas.clientWidth / 2;
    const cy = editor.precanvas.clientHeight / 2;
    editor.zoom = zoom;
    editor.zoom_last_value = zoom;
    editor.canvas_x = pad - cx - (minX - 30 - cx) * zoom;
    editor.canvas_y = pad - cy - (minY - cy) * zoom;
    editor.precanvas.style.transform = `translate(${editor.canvas_x}px, ${editor.canvas_y}px) scale(${zoom})`;
  }

  zoom(direction) {
    if (direction > 0) this.editor.zoom_in();
    else if (direction < 0) this.editor.zoom_out();
    else this.editor.zoom_reset();
  }

  // --- flows ----------------------------------------------------------------------------------

  /** A node's place from Drawflow's data and its size measured once: reading the DOM's geometry
   * after the page changed it forces a layout, costly with hundreds of nodes and many flows. */
  centre(entry) {
    const data = this.editor.drawflow.drawflow[this.editor.module].data[entry.drawId];
    if (!entry.size) entry.size = { width: entry.element.offsetWidth, height: entry.element.offsetHeight };
    const { width, height } = entry.size;
    return { x: data.pos_x + width / 2, y: data.pos_y + height / 2, left: data.pos_x, right: data.pos_x + width };
  }

  /** Points a flow travels through, in precanvas coordinates. */
  route(sourceEntry, targetEntry) {
    if (sourceEntry && targetEntry && sourceEntry !== targetEntry) {
      let path = this.connectionElement(sourceEntry.drawId, targetEntry.drawId)?.querySelector(".main-path");
      let reversed = false;
      if (!path) {
        path = this.connectionElement(targetEntry.drawId, sourceEntry.drawId)?.querySelector(".main-path");
        reversed = Boolean(path);
      }
      if (path && path.getTotalLength()) {
        const length = path.getTotalLength();
        const points = [];
        for (let i = 0; i <= 16; i += 1) {
          const at = path.getPointAtLength((length * i) / 16);
          points.push({ x: at.x, y: at.y });
        }
        return reversed ? points.reverse() : points;
      }
      const a = this.centre(sourceEntry);
      const b = this.centre(targetEntry);
      return [
        { x: a.x, y: a.y },
        { x: b.x, y: b.y },
      ];
    }
    if (targetEntry && !sourceEntry) {
      const b = this.centre(targetEntry);
      return [
        { x: b.left - CLIENT_DISTANCE, y: b.y },
        { x: b.left, y: b.y },
      ];
    }
    if (sourceEntry && !targetEntry) {
      const a = this.centre(sourceEntry);
      return [
        { x: a.right, y: a.y },
        { x: a.right + CLIENT_DISTANCE, y: a.y },
      ];
    }
    return [];
  }

  /** Animate a `flow` event: a dot travels from its source to its target (a client when the
   * end is not a node); a flow that stays on one node (back to visible, expired) pulses on it. */
  animateFlow(event) {
    const sourceEntry = this.nodes.get(event.source);
    const targetEntry = this.nodes.get(event.target);
    if (!sourceEntry && !targetEntry) return;
    // One message, two events: a topic delivering to a queue sends it with SQS's own SendMessage,
    // so SQS reports it arriving from a "client" just before SNS reports the delivery along the
    // edge. The client's dot waits a moment and gives way to the delivery's.
    if (!sourceEntry && !event.deferred) {
      const timer = setTimeout(() => {
        this.clientFlows.delete(timer);
        this.animateFlow({ ...event, deferred: true });
      }, 150);
      this.clientFlows.set(timer, event.target);
      return;
    }
    if (sourceEntry && targetEntry && sourceEntry !== targetEntry) {
      for (const [timer, target] of this.clientFlows) {
        if (target !== event.target) continue;
        clearTimeout(timer);
        this.clientFlows.delete(timer);
        break;
      }
    }
    if (this.dots >= MAX_DOTS) return;
    const kind = slug(event.kind);
    const filtered = /filter/.test(kind);
    const dot = h("div", {
      class: `flow-dot flow-${slug(event.service)} flow-kind-${kind}${filtered ? " flow-filtered" : ""}`,
      dataset: { kind: event.kind, source: event.source, target: event.target, item: event.item_id || "" },
      title: `${event.service} ${event.kind}`,
    });
    // Dots sit at the canvas origin and move by transform only: the browser animates that
    // without laying the page out again on every frame.
    const at = (p, extra = "") => `translate(${p.x}px, ${p.y}px) translate(-50%, -50%)${extra}`;
    let frames;
    if (sourceEntry === targetEntry) {
      const c = this.centre(sourceEntry);
      dot.classList.add("flow-ring");
      frames = [
        { transform: at(c, " scale(0.4)"), opacity: 1 },
        { transform: at(c, " scale(5)"), opacity: 0 },
      ];
    } else {
      const points = this.route(sourceEntry, targetEntry);
      // A delivery the subscription's filter policy dropped stops halfway and fades out.
      const shown = filtered ? points.slice(0, Math.max(2, Math.ceil(points.length / 2))) : points;
      frames = shown.map((p, i) => ({ transform: at(p), opacity: filtered && i === shown.length - 1 ? 0.15 : 1 }));
    }
    dot.style.transform = frames[0].transform;
    this.editor.precanvas.append(dot);
    for (const entry of [sourceEntry, targetEntry]) if (entry) this.flash(entry);
    this.dots += 1;
    const animation = dot.animate(frames, { duration: FLOW_MS, easing: "ease-in-out", fill: "forwards" });
    const done = () => {
      this.dots -= 1;
      // Lingers a moment at its end so a glance (or a test) can see where it went.
      setTimeout(() => dot.remove(), 800);
    };
    animation.onfinish = done;
    animation.oncancel = done;
  }

  flash(entry) {
    entry.element.animate([{ boxShadow: "0 0 0 6px rgba(28, 100, 242, .35)" }, { boxShadow: "0 0 0 0 rgba(28, 100, 242, 0)" }], {
      duration: 700,
      easing: "ease-out",
    });
  }
}
