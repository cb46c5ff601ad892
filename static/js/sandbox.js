// The sandbox page: wires the diagram, the inspector, the palette, the activity panel, the clock
// bar and the credentials panel to the REST API and the sandbox's WebSocket.
//
// State flows one way: the server's graph (/graph/) and live events change the diagram; the
// student's actions call AWS operations through the API and then wait, like everyone else, for
// the events those operations publish. So the page shows the same thing whether a change came
// from here, from the aws CLI or from boto3.
//
// What is particular to a service (its node kinds, palette entries, inspector panels, wiring and
// legend) comes from its GUI module, loaded first (services.js); this file names no service.

import { makeApi } from "./api.js";
import { Activity } from "./activity.js";
import { Clock } from "./clock.js";
import { Diagram } from "./diagram.js";
import { ask, confirmAction } from "./dialog.js";
import { $, $$, copyText, debounce, toast } from "./dom.js";
import { Inspector } from "./inspector/index.js";
import { KeyList } from "./keys.js";
import { LiveSocket } from "./live.js";
import { isHidden, kindOf } from "./nodes.js";
import { Palette } from "./palette.js";
import { loadServices, registry } from "./services.js";
import { ruleFor, ruleForEdge } from "./wiring.js";

const config = JSON.parse($("#playground-config").textContent);
config.iconBase = document.body.dataset.iconBase;
const api = makeApi(config);
await loadServices(config, { api, config, endpointUrl: config.endpoint_url, region: config.sandbox.region });

// --- wiring, from the diagram ---------------------------------------------------------------------

const READ_ONLY_REFUSAL = "This is a student's sandbox, shown to you read-only: only its owner changes it.";

async function connect(source, target) {
  if (config.read_only) {
    toast(READ_ONLY_REFUSAL, "refused");
    return null;
  }
  const { rule, refusal } = ruleFor(source, target);
  if (refusal) {
    toast(refusal, "refused");
    return null;
  }
  try {
    const made = await rule.connect({ api, ask }, source, target);
    if (made === false) return null; // the student cancelled a question
    toast(rule.describe(source, target), "ok");
    refreshSoon();
    inspector.edgesChanged(); // a topic's panel lists its subscriptions
    return { kind: rule.kind };
  } catch (problem) {
    toast(`Not wired: ${problem.code ? `${problem.code}: ` : ""}${problem.message}`, "error");
    return null;
  }
}

async function disconnect(edge, source, target) {
  if (config.read_only) {
    toast(READ_ONLY_REFUSAL, "refused");
    return false;
  }
  const rule = ruleForEdge(source, target, edge);
  if (!rule) {
    toast(`A ${edge.kind} link is not made by drawing; change it with the AWS API.`, "refused");
    return false;
  }
  try {
    await rule.disconnect({ api, ask }, source, target, edge);
    toast(`Removed: ${rule.describe(source, target)}`, "ok");
    refreshSoon();
    inspector.edgesChanged();
    return true;
  } catch (problem) {
    toast(`Not removed: ${problem.code ? `${problem.code}: ` : ""}${problem.message}`, "error");
    return false;
  }
}

// Deleting a resource, from the inspector or the Delete key on a selected node: as its kind says.
async function deleteNode(node) {
  const remove = node && kindOf(node).remove;
  if (!remove || config.read_only) return;
  const sure = await confirmAction({ title: remove.title(node), text: remove.text, action: remove.action || "Delete", danger: true });
  if (!sure) return;
  try {
    await remove.run({ api }, node);
    toast(remove.done ? remove.done(node) : `Deleted ${node.label}`, "ok");
  } catch (problem) {
    toast(`${problem.code}: ${problem.message}`, "error");
  }
}

// --- the panels -----------------------------------------------------------------------------------

const clock = new Clock($("#clock"), api);
clock.set(config.clock);
const activity = new Activity($("#activity"), { api, config });
let inspector = null;
let selectWhenSeen = null; // {service, name} of a resource just made from the palette

const diagram = new Diagram($("#diagram"), {
  iconBase: config.iconBase,
  tools: () => $("#diagram-tools"),
  explain: (edge) => {
    const failed = {
      type: "flow",
      kind: "failed",
      service: edge.raw.service,
      source: edge.source,
      target: edge.target,
      detail: { protocol: edge.raw.protocol, error_code: edge.problem.code, reason: edge.problem.reason },
    };
    const explained = registry.explainers.get(edge.raw.service)?.(failed, { diagram, config });
    return explained ? { reason: explained.reason, fix: explained.fix } : null;
  },
  positions: config.positions,
  onSelect: (node) => inspector?.show(node),
  onSelectEdge: (edge, source, target) => inspector?.showEdge(edge, source, target),
  onConnect: connect,
  onDisconnect: disconnect,
  onDeleteRequest: deleteNode,
  layoutWorker: document.body.dataset.layoutWorker,
  onLayoutState: (state) => (document.body.dataset.layout = state),
  savePositions: (positions) =>
    config.read_only || api.saveLayout(positions).catch((problem) => toast(`Layout not saved: ${problem.message}`, "error")),
  forgetPositions: () =>
    config.read_only || api.forgetLayout().catch((problem) => toast(`Layout not forgotten: ${problem.message}`, "error")),
});
inspector = new Inspector($("#inspector"), {
  api,
  clock,
  diagram,
  config,
  ask,
  confirm: confirmAction,
  deleteNode,
  onRepaired: () => refreshSoon(),
});

new Palette($("#palette"), { api, config }, ({ kind, name, id }) => {
  selectWhenSeen = { kind, name, id };
  selectIfNew();
  refreshSoon();
});

function selectIfNew() {
  if (!selectWhenSeen) return;
  const { name, id } = selectWhenSeen;
  const found = diagram.get(id) || diagram.all().find((node) => node.name === name || node.id.endsWith(`:${name}`));
  if (found) {
    selectWhenSeen = null;
    diagram.select(found.id);
  }
}

// --- keeping the diagram true ---------------------------------------------------------------------

let refreshing = false;
let refreshAgain = false;
const ready = { graph: false };

/** Read the whole graph and make the diagram match it. One request at a time; a request asked
 * for meanwhile runs right after (it may carry changes the running one missed). */
async function refreshNow() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  document.body.dataset.graph = "reading"; // "idle" again once no read of the graph is in flight
  const before = diagram.nodes.size;
  try {
    const started = performance.now();
    const graph = await api.graph();
    diagram.applyGraph(graph, started);
    for (const node of diagram.all()) inspector.nodeChanged(node, "graph");
    if (diagram.nodes.size !== before || !ready.graph) inspector.nodesChanged();
    selectIfNew();
    $("#graph-problem").hidden = true;
    if (!ready.graph) {
      ready.graph = true;
      await diagram.relayout(); // laid out (and zoomed out if it does not fit) before it says ready
      document.body.dataset.ready = "true"; // the diagram is drawn: the page is usable
      performance.mark("playground:ready"); // what bench/bench_gui.py times page loads by
    }
  } catch (problem) {
    const banner = $("#graph-problem");
    banner.textContent = `The diagram could not be read: ${problem.message}`;
    banner.hidden = false;
  } finally {
    refreshing = false;
    document.body.dataset.graph = "idle";
    if (refreshAgain) {
      refreshAgain = false;
      refreshSoon();
    }
  }
}
// After a resource or clock change: soon (and at least every 0.6 s while changes keep coming).
const refreshSoon = debounce(refreshNow, 150, 600);
// After message flows, whose counters already moved from the events themselves: once things
// calm down. A graph of many resources costs the server real work, which a steady stream of
// messages must not trigger again and again.
const refreshLater = debounce(refreshNow, 1500);

// Messages becoming visible after a delay publish no event: while some are delayed and the clock
// runs, the counters are re-read every two seconds.
setInterval(() => {
  if (!clock.state.paused && diagram.all().some((node) => node.counts.delayed > 0)) refreshSoon();
}, 2000);

// The call log pages forward from a cursor (oldest first): read up to the newest call, a page of
// a thousand at a time. One reading at a time; a request meanwhile runs once it is done.
let callsReading = null;
let callsAgain = false;

async function loadCalls() {
  if (callsReading) {
    callsAgain = true;
    return callsReading;
  }
  callsReading = (async () => {
    try {
      for (let page = 0, more = true; more && page < 50; page += 1) {
        const answer = await api.calls(activity.lastId ?? 0, 1000);
        activity.addMany(answer);
        more = Boolean(answer.more);
      }
    } catch (problem) {
      toast(`Activity not loaded: ${problem.message}`, "error");
    }
  })();
  await callsReading;
  callsReading = null;
  if (callsAgain) {
    callsAgain = false;
    await loadCalls();
  }
}

/** After (re)connecting: everything that may have happened while the socket was away. */
async function resync() {
  await Promise.all([
    refreshNow(),
    loadCalls(),
    api
      .clock()
      .then((answer) => clock.set(answer.clock || answer))
      .catch(() => {}),
  ]);
}

/** A resource event as a graph node ({type} is the event's type; the node's is resource_type). */
function nodeFromEvent(event) {
  return { id: event.arn, service: event.service, type: event.resource_type, name: event.name, attributes: event.attributes || {} };
}

function onEvent(event) {
  switch (event.type) {
    case "api.call":
      activity.add(event);
      break;
    case "resource.created":
    case "resource.changed": {
      const node = diagram.upsertNode(nodeFromEvent(event));
      if (node) {
        inspector.nodeChanged(node, event.type === "resource.changed" ? "changed" : "graph");
        if (event.type === "resource.created") inspector.nodesChanged();
        diagram.setEdges(); // attributes may imply an edge (KmsMasterKeyId)
        selectIfNew();
      }
      refreshSoon();
      break;
    }
    case "resource.deleted":
      if (!isHidden(event.service, event.resource_type)) {
        diagram.removeNode(event.arn);
        inspector.nodeRemoved(event.arn);
        inspector.nodesChanged();
      }
      refreshSoon();
      break;
    case "flow": {
      diagram.animateFlow(event);
      // A flow its service explains as a failure: a line in the activity panel, and the edge says so.
      const explained = registry.explainers.get(event.service)?.(event, { diagram, config });
      if (explained) {
        activity.addProblem(event, explained);
        diagram.reportProblem(event.source, event.target, { code: event.detail?.error_code, reason: explained.reason, fix: explained.fix });
      } else if (event.kind === "delivered") {
        diagram.reportProblem(event.source, event.target, null);
      }
      // Counters move at once on a flow (the graph that follows corrects any guess).
      const bumps = registry.counters.get(`${event.service}:${event.kind}`);
      for (const [id, counter, delta] of bumps ? bumps(event) : []) {
        diagram.bump(id, counter, delta);
        const node = diagram.get(id);
        if (node) inspector.nodeChanged(node, "flow");
      }
      inspector.flow(event);
      if (bumps) refreshLater();
      else refreshSoon(); // a flow the page cannot count by itself (a purge, another service's)
      break;
    }
    case "clock.changed":
      clock.set(event);
      refreshSoon();
      break;
    case "sandbox.reset":
      toast("The sandbox was reset: every resource was deleted.", "info");
      refreshNow();
      break;
    default:
      break;
  }
}

const live = new LiveSocket(config.urls.websocket, {
  onEvent,
  onHello: () => resync(),
  onStatus: (state) => {
    const status = $("#live-status");
    status.dataset.state = state;
    status.title = { live: "Live: changes appear as they happen", connecting: "Connecting…", offline: "Offline: reconnecting" }[state];
    $("[data-live-text]", status).textContent = { live: "live", connecting: "connecting", offline: "offline" }[state];
    document.body.dataset.live = String(state === "live");
  },
});

// --- the top bar: credentials, projector mode, view ------------------------------------------------

const credentials = $("#credentials-dialog");
const keys = new KeyList(credentials, {
  api,
  region: config.sandbox.region,
  endpoint: config.endpoint_url,
  readOnly: config.read_only,
});
$("#credentials-button").addEventListener("click", () => {
  keys.show();
  credentials.showModal();
});
credentials.addEventListener("close", () => keys.forget());
$("[data-close]", credentials).addEventListener("click", () => credentials.close());
for (const button of $$("[data-copy-target]", credentials)) {
  button.addEventListener("click", async () => {
    const ok = await copyText($(`#${button.dataset.copyTarget}`).textContent.trim());
    button.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => (button.textContent = "Copy"), 1200);
  });
}

const projector = $("#projector-toggle");
// Projector mode: larger text in the panels (a larger root font size) and a closer view of the
// diagram (Drawflow's zoom; node sizes stay in canvas pixels, so saved layouts keep fitting).
const setProjector = (on) => {
  document.body.classList.toggle("projector", on);
  projector.setAttribute("aria-pressed", String(on));
  localStorage.setItem("playground.projector", on ? "1" : "0");
  diagram.maxZoom = on ? 1.5 : 1;
  diagram.minZoom = on ? 1 : 0;
  diagram.editor.zoom = on ? 1.3 : 1;
  diagram.editor.zoom_refresh();
  requestAnimationFrame(() => diagram.fit());
};
projector.addEventListener("click", () => setProjector(!document.body.classList.contains("projector")));
if (localStorage.getItem("playground.projector") === "1") setProjector(true);

$("#activity-toggle").addEventListener("click", (event) => {
  const collapsed = document.body.classList.toggle("activity-collapsed");
  event.target.setAttribute("aria-expanded", String(!collapsed));
});
$("#diagram-tools").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-view]");
  if (!button) return;
  if (button.dataset.view === "fit") diagram.relayout().then(() => diagram.fit());
  else if (button.dataset.view === "tidy") diagram.tidy();
  else diagram.zoom(Number(button.dataset.view));
});

// A node moved just before leaving the page (or reloading it) keeps its new place.
window.addEventListener("pagehide", () => diagram.savePositions());

// --- start ----------------------------------------------------------------------------------------

refreshNow();
loadCalls();
live.connect();

// For the browser console and the browser tests: the page's parts, by name.
window.playground = { config, api, diagram, inspector, activity, clock, live, keys, refresh: refreshNow };
