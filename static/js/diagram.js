// The live diagram: one Drawflow node per resource, one connection per edge, flows animated
// along them. Drawflow (static/vendor/drawflow, from npm) draws nodes as DOM elements and edges
// as SVG paths inside one transformed "precanvas" element; everything added here (flow dots,
// edge labels) lives in that element too, so it pans and zooms with the drawing.
//
// The diagram never decides what exists: `applyGraph` makes it match the server's graph, and
// `upsertNode` / `removeNode` apply live events between two graphs. Edges the student draws are
// handed to `onConnect`, which performs the AWS calls (wiring.js) and answers whether they stand.

import { debounce, h } from "./dom.js";
import { layOut, roundedPath, routeCrosses, warmUp } from "./layout.js";
import { iconUrl, isHidden, kindKey, kindOf, normalizeNode } from "./nodes.js";
import { registry } from "./services.js";

const COLUMN_WIDTH = 250; // nodes are 190 px wide (sandbox.css), in pixels whatever the font size
const ROW_HEIGHT = 110;
const MARGIN = 40;
const TOP = 64; // the layout starts below the zoom buttons
const CLIENT_DISTANCE = 110; // how far outside a node a flow from or to "client" starts or ends
const FLOW_MS = 1100;
const MAX_DOTS = 30; // beyond this many flows in the air at once, the extra ones are not drawn
const PROBLEM_MS = 60_000; // how long an edge shows a failure a flow event reported (the graph's stay)

const edgeKey = (source, target) => `${source}|${target}`;
const slug = (text) => String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "-");

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** An edge of a service's graph in one shape: {source, target, kind, label, problem, raw}. A node
 * whose kind has only an output port (a KMS key) is drawn as the edge's source, whatever direction
 * the service states it in. `problem` ({code, reason}) says the link does not work right now. */
function normalizeEdge(raw, nodes) {
  let source = raw.source;
  let target = raw.target;
  const kind = raw.kind || raw.type || "link";
  const ports = (id) => {
    const node = nodes.get(id)?.node;
    return node ? kindOf(node).ports : { in: true, out: true };
  };
  if (ports(target).in === false && ports(source).in !== false) [source, target] = [target, source];
  let label = raw.label || "";
  if (!label && raw.max_receive_count) label = `after ${raw.max_receive_count} receives`;
  if (!label && raw.filter_policy) label = "filtered";
  const problem = raw.problem ? (typeof raw.problem === "string" ? { reason: raw.problem } : raw.problem) : null;
  return { source, target, kind, label, problem, raw };
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
   *   explain(edge) -> {reason, fix}   what a problem the graph states on an edge means
   *   tools() -> element       the zoom buttons over the diagram (fit() keeps nodes below them)
   *   savePositions({id: {x, y}})   where the student put nodes
   *   forgetPositions()        Tidy: the saved places are forgotten
   *   layoutWorker             URL of ELK's worker script (layout.js); no layout without it
   *   onLayoutState("busy"|"idle")   a layout is waiting or running / everything is in its place
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
    // Problems flow events reported on an edge (a failed delivery): edgeKey -> {problem, at}.
    this.eventProblems = new Map();
    // Where the student put nodes (saved for the sandbox): the layout leaves these where they are.
    this.positions = { ...(options.positions || {}) };
    this.placed = new Map(); // node id -> {x, y} where the layout put it
    this.routes = new Map(); // edgeKey -> {points, ends: [source place, target place]} from the layout
    this.laying = null; // the layout running now (a promise)
    this.layAgain = false;
    const layoutLater = debounce(() => this.relayout(), 120);
    this.layoutWaiting = false; // a layout is asked for and has not run yet
    if (options.layoutWorker) warmUp(options.layoutWorker); // the worker loads while the graph does
    this.layoutSoon = () => {
      this.layoutWaiting = true;
      this.layoutState("busy");
      layoutLater();
    };
    this.unsaved = {};
    this.sent = new Set(); // requests about positions (saves, a forget) on their way to the server
    this.quiet = false; // true while the diagram itself changes connections: not the student's doing
    this.dots = 0;
    this.clientFlows = new Map(); // timer -> target of a client's flow waiting to be drawn
    this.flushPositions = debounce(() => this.savePositions(), 400, 2000);
    this.maxZoom = 1; // what fit() may zoom in to (projector mode allows more)
    this.minZoom = 0; // what fit() may zoom out to (projector mode: never below 1)
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
    // Drawflow listens for Delete on its container, but a click on an edge does not focus it
    // (Drawflow cancels that mousedown's default): focus it on every press inside the diagram, so
    // "select an edge, press Delete" works at once.
    element.addEventListener(
      "mousedown",
      (event) => {
        if (!event.target.closest("input, textarea, select, button, [contenteditable]")) element.focus({ preventScroll: true });
      },
      true,
    );
    // Each edge gets a wide invisible twin to click on (paths.js keeps its shape the edge's own).
    const update = editor.updateConnectionNodes.bind(editor);
    editor.updateConnectionNodes = (id) => {
      update(id);
      this.followPaths(id);
    };

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
    if (isHidden(node.service, node.type)) return null;
    if (entry) {
      entry.node = node;
      this.render(entry);
      return node;
    }
    const kind = kindOf(node);
    const place = this.positions[id] || this.autoPlace(node);
    if (!this.positions[id]) this.layoutSoon(); // the layout finds it its place
    // A node the layout is to place stays invisible until it is in its place (a moment).
    const unplaced = !this.positions[id] && this.options.layoutWorker ? "pg-unplaced" : "";
    const classes = [`pg-kind-${slug(kindKey(node))}`, kind.ports.in ? "" : "pg-no-in", kind.ports.out ? "" : "pg-no-out", unplaced];
    const drawId = String(
      this.editor.addNode(kindKey(node), 1, 1, place.x, place.y, classes.filter(Boolean).join(" "), {}, this.html(node)),
    );
    const element = this.element.querySelector(`#node-${drawId}`);
    const created = { node, drawId, element };
    this.nodes.set(id, created);
    this.byDrawId.set(drawId, id);
    this.added.add(id);
    if (this.positions[id]) this.keepInView(); // the layout looks after the others once placed
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
    this.placed.delete(id);
  }

  html(node) {
    const kind = kindOf(node);
    return `<div class="pg-node" data-id="${escapeHtml(node.id)}" data-name="${escapeHtml(node.name)}" data-kind="${escapeHtml(kindKey(node))}">
      <img class="pg-icon" alt="" draggable="false" src="${escapeHtml(iconUrl(kind.icon(node), this.options.iconBase))}">
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
    const src = iconUrl(kind.icon(node), this.options.iconBase);
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

  /** A first place for a new node until the layout gives it its own: the first empty row of its
   * kind's column. */
  autoPlace(node) {
    const column = kindOf(node).column(node);
    const x = MARGIN + column * COLUMN_WIDTH;
    const taken = new Set();
    for (const place of [...Object.values(this.positions), ...this.placed.values()]) {
      if (Math.abs(place.x - x) < COLUMN_WIDTH / 2) taken.add(Math.round((place.y - MARGIN) / ROW_HEIGHT));
    }
    let row = 0;
    while (taken.has(row)) row += 1;
    const place = { x, y: TOP + row * ROW_HEIGHT };
    this.placed.set(node.id, place);
    return place;
  }

  // --- layout -----------------------------------------------------------------------------------

  /** A node's size and port centres, in canvas pixels, for the layout. */
  measure(entry) {
    const zoom = this.editor.zoom || 1;
    const box = entry.element.getBoundingClientRect();
    const centre = (selector, fallback) => {
      const port = entry.element.querySelector(selector)?.getBoundingClientRect();
      if (!port || !port.width) return fallback;
      return { x: (port.left + port.width / 2 - box.left) / zoom, y: (port.top + port.height / 2 - box.top) / zoom };
    };
    const width = entry.element.offsetWidth;
    const height = entry.element.offsetHeight;
    entry.ports = { out: centre(".output_1", { x: width, y: height / 2 }), in: centre(".input_1", { x: 0, y: height / 2 }) };
    return { id: entry.node.id, width, height, column: kindOf(entry.node).column(entry.node), ...entry.ports };
  }

  /** Where a drawn node is (Drawflow's data, kept equal to its element's place). */
  placeOf(entry) {
    const data = this.editor.drawflow.drawflow[this.editor.module].data[entry.drawId];
    return { x: data.pos_x, y: data.pos_y };
  }

  /** Put a node at (x, y). `redraw` false: its edges are drawn afterwards by the caller (moving
   * many nodes, Drawflow's redraw of each one's edges would lay the page out once per node). */
  moveNode(entry, x, y, { redraw = true } = {}) {
    const data = this.editor.drawflow.drawflow[this.editor.module].data[entry.drawId];
    data.pos_x = x;
    data.pos_y = y;
    entry.element.style.left = `${x}px`;
    entry.element.style.top = `${y}px`;
    if (redraw) this.editor.updateConnectionNodes(`node-${entry.drawId}`);
  }

  /** Whether `id` stays where the student put it. */
  pinned(id) {
    return Boolean(this.positions[id]);
  }

  /**
   * Lay the diagram out (layout.js): every node the student has not placed gets the layout's place,
   * and edges between such nodes follow the layout's routes. One layout at a time; one asked for
   * meanwhile runs after it. Resolves when the diagram is laid out.
   */
  async relayout() {
    this.layoutWaiting = false;
    if (this.laying) {
      this.layAgain = true;
      return this.laying;
    }
    this.layoutState("busy");
    this.laying = this.layOutNow().finally(() => {
      this.laying = null;
      // Whatever happens, nothing stays invisible.
      for (const element of this.element.querySelectorAll(".pg-unplaced")) element.classList.remove("pg-unplaced");
    });
    await this.laying;
    if (this.layAgain) {
      this.layAgain = false;
      await this.relayout();
    }
    if (!this.laying && !this.layoutWaiting) this.layoutState("idle");
  }

  /** "busy" while a layout is waiting or running, then "idle" (the page shows it on <body>). */
  layoutState(state) {
    if (this.shownLayoutState !== state) {
      this.shownLayoutState = state;
      this.options.onLayoutState?.(state);
    }
  }

  /** Every node settled: no layout running or waiting. */
  async settled() {
    while (this.laying || this.layoutWaiting) {
      if (this.laying) await this.laying;
      else await this.relayout();
    }
  }

  async layOutNow() {
    const entries = Array.from(this.nodes.values());
    if (!entries.length || !this.options.layoutWorker) return;
    const nodes = entries.map((entry) => this.measure(entry));
    const edges = Array.from(this.edges, ([key, edge]) => ({ key, source: edge.source, target: edge.target }));
    let result;
    try {
      result = await layOut({ nodes, edges, workerUrl: this.options.layoutWorker });
    } catch (problem) {
      console.warn("no layout:", problem);
      return;
    }
    // Boxes of the nodes the student placed: the layout's nodes and routes keep clear of them.
    const boxOf = (entry, place) => ({ left: place.x - 12, top: place.y - 12, right: place.x + entry.element.offsetWidth + 12, bottom: place.y + entry.element.offsetHeight + 12 });
    // A node removed while the layout ran, or removed and drawn again (a new entry, a new Drawflow
    // id), is not the entry measured: only the entries still drawn are placed.
    const current = (entry) => this.nodes.get(entry.node.id) === entry;
    const fixed = entries.filter((entry) => this.pinned(entry.node.id) && current(entry));
    const fixedBoxes = fixed.map((entry) => boxOf(entry, this.placeOf(entry)));
    const overlaps = (box) => fixedBoxes.some((other) => box.left < other.right && box.right > other.left && box.top < other.bottom && box.bottom > other.top);
    const moved = new Set();
    for (const entry of entries) {
      const id = entry.node.id;
      const place = result.places.get(id);
      if (!place || this.pinned(id) || !current(entry)) continue;
      const at = { x: MARGIN + place.x, y: TOP + place.y };
      let shifted = false;
      while (fixedBoxes.length && overlaps(boxOf(entry, at))) {
        at.y += ROW_HEIGHT / 2;
        shifted = true;
      }
      if (shifted) moved.add(id);
      this.placed.set(id, at);
      const now = this.placeOf(entry);
      if (now.x !== at.x || now.y !== at.y) {
        this.moveNode(entry, at.x, at.y, { redraw: false });
        this.added.add(id);
      }
    }
    this.routes.clear();
    for (const [key, points] of result.routes) {
      const edge = this.edges.get(key);
      if (!edge || moved.has(edge.source) || moved.has(edge.target) || this.pinned(edge.source) || this.pinned(edge.target)) continue;
      const absolute = points.map((p) => ({ x: MARGIN + p.x, y: TOP + p.y }));
      if (fixedBoxes.some((box) => routeCrosses(absolute, box))) continue;
      this.routes.set(key, { points: absolute, ends: [{ ...this.placed.get(edge.source) }, { ...this.placed.get(edge.target) }] });
    }
    // Edges: the layout's routes, drawn from the places just set (no reading back); Drawflow
    // redraws the rest, after every node has moved.
    const curved = new Set();
    for (const [key, edge] of this.edges) {
      this.drawRoute(key);
      if (!this.routes.has(key)) curved.add(edge.source);
    }
    for (const id of curved) {
      const entry = this.nodes.get(id);
      if (entry) this.editor.updateConnectionNodes(`node-${entry.drawId}`);
    }
    this.refreshLabels();
    this.showAdded();
  }

  /** Lay out every node again, the ones the student placed too (their places are forgotten). */
  async tidy() {
    const ids = Object.keys(this.positions);
    this.positions = {};
    this.unsaved = {};
    // After the saves already on their way: one answered after the forget would pin its node again.
    if (ids.length) this.sending(Promise.allSettled(this.sent).then(() => this.options.forgetPositions?.()));
    await this.relayout();
    this.fit();
  }

  /** Draw an edge along the layout's route while both its ends are where the layout put them
   * (Drawflow's own curve otherwise); its click twin follows. */
  drawRoute(key) {
    const edge = this.edges.get(key);
    const source = edge && this.nodes.get(edge.source);
    const target = edge && this.nodes.get(edge.target);
    const svg = source && target && this.connectionElement(source.drawId, target.drawId);
    if (!svg) return;
    const route = this.routes.get(key);
    const path = svg.querySelector(".main-path");
    if (route) {
      const [a, b] = [this.placeOf(source), this.placeOf(target)];
      const [ra, rb] = route.ends;
      if (a.x === ra.x && a.y === ra.y && b.x === rb.x && b.y === rb.y && source.ports && target.ports) {
        // The route's ends are the ports' centres as drawn; a bend level with an end stays level.
        const start = { x: a.x + source.ports.out.x, y: a.y + source.ports.out.y };
        const end = { x: b.x + target.ports.in.x, y: b.y + target.ports.in.y };
        const [first, last] = [route.points[0], route.points.at(-1)];
        const inner = route.points.slice(1, -1).map((p, i, all) => ({
          x: p.x,
          y: i === 0 && p.y === first.y ? start.y : i === all.length - 1 && p.y === last.y ? end.y : p.y,
        }));
        path.setAttribute("d", roundedPath([start, ...inner, end]));
        svg.dataset.routed = "true";
      } else {
        this.routes.delete(key);
        delete svg.dataset.routed;
      }
    }
    const hit = svg.querySelector(".pg-hit");
    if (hit) hit.setAttribute("d", path.getAttribute("d") || "");
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
    this.sending(this.options.savePositions(batch));
  }

  /** A request about positions on its way: layoutSaved() is false until it is answered. */
  sending(request) {
    const answered = Promise.resolve(request).finally(() => this.sent.delete(answered));
    this.sent.add(answered);
  }

  /** Every position is saved or forgotten (none waiting, none on its way). */
  layoutSaved() {
    return this.sent.size === 0 && Object.keys(this.unsaved).length === 0;
  }

  // --- the whole graph ------------------------------------------------------------------------

  /** Make the diagram match the server's graph {nodes, edges}, fetched from `startedAt`
   * (performance.now() when the request left): edges drawn or removed by the student before
   * that are in it, later ones are not yet. */
  applyGraph(graph, startedAt = performance.now()) {
    const rawNodes = (graph.nodes || []).filter((raw) => !isHidden(raw.service, raw.type || raw.resource_type));
    const ids = new Set(rawNodes.map((raw) => raw.id || raw.arn));
    for (const id of Array.from(this.nodes.keys())) if (!ids.has(id)) this.removeNode(id);
    for (const raw of rawNodes) this.upsertNode(raw);
    // A problem the previous graph showed and this one does not was fixed: what events said about
    // that edge is over too.
    const problems = new Set((graph.edges || []).filter((raw) => raw.problem).map((raw) => edgeKey(raw.source, raw.target)));
    for (const raw of this.graphEdges) {
      const key = edgeKey(raw.source, raw.target);
      if (raw.problem && !problems.has(key)) this.eventProblems.delete(key);
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
    for (const raw of this.graphEdges) {
      const edge = normalizeEdge(raw, this.nodes);
      // A problem the graph states ({code, reason}) gets its fix from its service, as a flow's does.
      if (edge.problem && !edge.problem.fix) edge.problem = { ...edge.problem, ...this.options.explain?.(edge) };
      consider(edge);
    }
    for (const edge of this.impliedEdges()) if (!wanted.has(edgeKey(edge.source, edge.target))) consider(edge);
    for (const [key, change] of this.localEdges) {
      if (change.edge) consider(change.edge);
      else wanted.delete(key); // removed by the student; the graph does not know yet
    }
    const before = Array.from(this.edges.keys()).sort().join("\n");
    for (const key of Array.from(this.edges.keys())) {
      if (!wanted.has(key) && !this.pending.has(key)) this.dropEdge(key);
    }
    for (const [key, edge] of wanted) this.putEdge(key, this.withProblem(key, edge));
    // Other edges, other routes: the layout runs again (nodes the student placed stay put).
    if (Array.from(this.edges.keys()).sort().join("\n") !== before) this.layoutSoon();
    this.decorateNodes();
    this.refreshLabels();
  }

  /** Edges the nodes' attributes imply, from the services' impliedEdges() (a queue's
   * KmsMasterKeyId names its key), for services whose graph does not draw them. */
  impliedEdges() {
    const nodes = this.all();
    return registry.implied.flatMap((implied) => implied(nodes).map((edge) => ({ label: "", problem: null, raw: {}, ...edge })));
  }

  /** What follows for each node from its edges, by its kind's decorate() (a queue another queue
   * dead-letters into is a dead-letter queue); a node that changes is drawn again. */
  decorateNodes() {
    const incoming = new Map();
    const outgoing = new Map();
    for (const edge of this.edges.values()) {
      if (!incoming.has(edge.target)) incoming.set(edge.target, []);
      incoming.get(edge.target).push(edge);
      if (!outgoing.has(edge.source)) outgoing.set(edge.source, []);
      outgoing.get(edge.source).push(edge);
    }
    for (const entry of this.nodes.values()) {
      const decorate = kindOf(entry.node).decorate;
      if (!decorate) continue;
      const fields = decorate(entry.node, { incoming: incoming.get(entry.node.id) || [], outgoing: outgoing.get(entry.node.id) || [] });
      if (Object.entries(fields || {}).some(([field, value]) => entry.node[field] !== value)) {
        Object.assign(entry.node, fields);
        this.render(entry);
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
    this.drawRoute(key);
  }

  styleEdge(key, edge) {
    const source = this.nodes.get(edge.source);
    const target = this.nodes.get(edge.target);
    const svg = this.connectionElement(source.drawId, target.drawId);
    if (!svg) return;
    // Drawflow reads the first five classes of a connection by position: ours go after them.
    for (const name of Array.from(svg.classList)) if (name.startsWith("edge-")) svg.classList.remove(name);
    svg.classList.add(`edge-${slug(edge.kind)}`);
    if (edge.problem) svg.classList.add("edge-problem");
    svg.dataset.kind = edge.kind;
    svg.dataset.source = edge.source;
    svg.dataset.target = edge.target;
    // The tooltip lives in the click twin: Drawflow draws the first child of a connection.
    const hit = this.hitPath(svg);
    let tip = hit.querySelector("title");
    const tipText = edge.problem
      ? `Not delivering: ${edge.problem.reason}${edge.problem.fix ? `\n${edge.problem.fix}` : ""}`
      : `${edge.kind}${edge.label ? `: ${edge.label}` : ""}`;
    if (!tip) tip = hit.appendChild(document.createElementNS("http://www.w3.org/2000/svg", "title"));
    tip.textContent = tipText;
    let label = this.labels.get(key);
    if (!label) {
      label = h("div", { class: "pg-edge-label" });
      this.editor.precanvas.append(label);
      this.labels.set(key, label);
    }
    label.className = `pg-edge-label edge-${slug(edge.kind)}${edge.problem ? " edge-problem" : ""}`;
    label.textContent = edge.problem ? "⚠ not delivering" : edge.label || edge.kind;
    label.title = tipText;
  }

  /** A wide transparent path over the edge's own, to click on: Drawflow treats a press on any
   * "main-path" of a connection as selecting it. Drawflow only ever draws the first path of a
   * connection; followPaths() copies its shape to the twin. */
  hitPath(svg) {
    let hit = svg.querySelector(".pg-hit");
    if (!hit) {
      hit = document.createElementNS("http://www.w3.org/2000/svg", "path");
      hit.setAttribute("class", "main-path pg-hit");
      svg.append(hit);
    }
    hit.setAttribute("d", svg.querySelector(".main-path").getAttribute("d") || "");
    return hit;
  }

  /** After Drawflow redrew the connections of a node (`node-<id>`): routed ones go back to their
   * route while the layout's places hold, and their click twins follow. */
  followPaths(domId) {
    for (const svg of this.editor.precanvas.querySelectorAll(`.connection.node_in_${domId}, .connection.node_out_${domId}`)) {
      const key = svg.dataset.source && edgeKey(svg.dataset.source, svg.dataset.target);
      if (key && this.edges.has(key)) this.drawRoute(key);
    }
  }

  /** The edge with its problem: the graph's, else one a flow event reported lately. */
  withProblem(key, edge) {
    if (edge.problem) return edge;
    const reported = this.eventProblems.get(key);
    if (reported && performance.now() - reported.at < PROBLEM_MS) return { ...edge, problem: reported.problem };
    this.eventProblems.delete(key);
    return edge;
  }

  /** A flow event says the edge from source to target fails ({reason, fix}), or works (null). */
  reportProblem(source, target, problem) {
    const key = edgeKey(source, target);
    if (problem) this.eventProblems.set(key, { problem, at: performance.now() });
    else if (!this.eventProblems.delete(key)) return;
    const edge = this.edges.get(key);
    if (!edge) return;
    const shown = problem ? { ...edge, problem } : { ...edge, problem: edge.raw?.problem ? edge.problem : null };
    this.edges.set(key, shown);
    this.styleEdge(key, shown);
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
      // Routed edges of one node share a trunk: their labels go on their own last stretch.
      const total = path.getTotalLength();
      const at = path.getPointAtLength(this.routes.has(key) ? Math.max(total / 2, total - 56) : total / 2);
      label.style.left = `${at.x}px`;
      label.style.top = `${at.y}px`;
    }
    // Labels that would cover each other (edges into one node end alike) stack upwards.
    const placed = [];
    for (const label of this.labels.values()) {
      let box = { left: label.offsetLeft - label.offsetWidth / 2, top: label.offsetTop, width: label.offsetWidth, height: label.offsetHeight };
      const clash = () => placed.some((o) => box.left < o.left + o.width && o.left < box.left + box.width && box.top < o.top + o.height && o.top < box.top + box.height);
      for (let tries = 0; tries < 6 && clash(); tries += 1) box = { ...box, top: box.top - box.height - 1 };
      label.style.top = `${box.top}px`;
      placed.push(box);
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
    const tools = this.options.tools?.()?.getBoundingClientRect();
    const hidden = Array.from(this.added).some((id) => {
      const element = this.nodes.get(id)?.element;
      if (!element) return false;
      const box = element.getBoundingClientRect();
      const underTools = tools && box.top < tools.bottom && box.right > tools.left && box.bottom > tools.top;
      return underTools || box.left < view.left || box.top < view.top || box.right > view.right - 8 || box.bottom > view.bottom;
    });
    this.added.clear();
    if (hidden && !this.editor.drag && !this.editor.connection) this.fit();
  }

  /** Zoom and pan so every node is in view, below the zoom buttons: never closer than maxZoom,
   * never farther than minZoom (projector mode keeps nodes at least their normal size, and
   * shows the top left of a diagram too large for that). */
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
    // The zoom buttons sit over the top of the diagram: nodes go below them.
    const tools = this.options.tools?.();
    const top = tools ? Math.max(pad, tools.getBoundingClientRect().bottom - this.element.getBoundingClientRect().top + 12) : pad;
    const editor = this.editor;
    const fitting = Math.min((width - 2 * pad) / (maxX - minX + 60), (height - top - pad) / (maxY - minY + 20));
    const zoom = Math.max(editor.zoom_min, this.minZoom, Math.min(this.maxZoom, fitting));
    // Drawflow scales the precanvas about its centre: place the box's corner at (pad, top).
    const cx = editor.precanvas.clientWidth / 2;
    const cy = editor.precanvas.clientHeight / 2;
    editor.zoom = zoom;
    editor.zoom_last_value = zoom;
    editor.canvas_x = pad - cx - (minX - 30 - cx) * zoom;
    editor.canvas_y = top - cy - (minY - cy) * zoom;
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
    // A delivery a filter policy dropped stops halfway and fades; a failed one stops halfway, red.
    const filtered = /filter/.test(kind);
    const failed = /fail/.test(kind);
    const along = this.edges.get(edgeKey(event.source, event.target)) || this.edges.get(edgeKey(event.target, event.source));
    const dot = h("div", {
      class: [
        "flow-dot",
        `flow-${slug(event.service)}`,
        `flow-kind-${kind}`,
        along ? `flow-along-${slug(along.kind)}` : "",
        filtered ? "flow-filtered" : "",
        failed ? "flow-failed" : "",
      ]
        .filter(Boolean)
        .join(" "),
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
      const halted = filtered || failed;
      const shown = halted ? points.slice(0, Math.max(2, Math.ceil(points.length / 2))) : points;
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
