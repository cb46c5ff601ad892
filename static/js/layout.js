// The diagram's automatic layout: ELK's layered algorithm (elkjs from npm, static/vendor/elkjs),
// left to right, each node in its kind's column (keys, topics, queues, dead-letter queues...: the
// kinds' column()), edges routed orthogonally in the gaps so that none passes through a node.
// Drawflow only draws an edge as one curve from port to port, which a node in a column between
// the two may stand in the way of: the routes ELK finds are drawn instead (diagram.js), for as long
// as both ends stay where the layout put them.
//
// ELK runs in a Web Worker: a layout of hundreds of nodes never freezes the page.

const LAYOUT_OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.partitioning.activate": "true",
  "elk.layered.spacing.nodeNodeBetweenLayers": "64",
  "elk.layered.spacing.edgeNodeBetweenLayers": "16",
  "elk.spacing.nodeNode": "26",
  "elk.spacing.edgeNode": "14",
  "elk.spacing.edgeEdge": "8",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.separateConnectedComponents": "false",
  "elk.padding": "[top=0,left=0,bottom=0,right=0]",
};

let engine = null;

function elk(workerUrl) {
  if (!engine) {
    if (!window.ELK) throw new Error("the layout library (elkjs) is not loaded");
    engine = new window.ELK({ workerUrl });
  }
  return engine;
}

/** Start the worker now (it loads and compiles ELK, 1.6 MB, while the page does other things). */
export function warmUp(workerUrl) {
  try {
    elk(workerUrl);
  } catch {
    // the first layout says why
  }
}

/**
 * Lay out `nodes` ({id, width, height, column, out: {x, y}, in: {x, y}}: sizes and port centres
 * relative to the node) joined by `edges` ({key, source, target}).
 * Resolves to {places: Map(id -> {x, y}), routes: Map(key -> [{x, y}...])}, relative to (0, 0).
 */
export async function layOut({ nodes, edges, workerUrl }) {
  const ids = new Set(nodes.map((node) => node.id));
  const graph = {
    id: "root",
    layoutOptions: LAYOUT_OPTIONS,
    children: nodes.map((node) => ({
      id: node.id,
      width: node.width,
      height: node.height,
      layoutOptions: { "elk.partitioning.partition": String(node.column), "elk.portConstraints": "FIXED_POS" },
      ports: [
        { id: `${node.id}\u0000in`, x: 0, y: node.in.y, width: 1, height: 1, layoutOptions: { "elk.port.side": "WEST" } },
        { id: `${node.id}\u0000out`, x: node.width - 1, y: node.out.y, width: 1, height: 1, layoutOptions: { "elk.port.side": "EAST" } },
      ],
    })),
    edges: edges
      .filter((edge) => ids.has(edge.source) && ids.has(edge.target) && edge.source !== edge.target)
      .map((edge) => ({ id: edge.key, sources: [`${edge.source}\u0000out`], targets: [`${edge.target}\u0000in`] })),
  };
  const done = await elk(workerUrl).layout(graph);
  const places = new Map(done.children.map((child) => [child.id, { x: child.x, y: child.y }]));
  const routes = new Map();
  for (const edge of done.edges || []) {
    const section = edge.sections?.[0];
    if (!section) continue;
    routes.set(edge.id, [section.startPoint, ...(section.bendPoints || []), section.endPoint].map((p) => ({ x: p.x, y: p.y })));
  }
  return { places, routes };
}

/** An SVG path through `points` with its corners rounded. */
export function roundedPath(points, radius = 10) {
  if (points.length < 2) return "";
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const r = Math.min(radius, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const towards = (p, q, length) => {
      const total = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: p.x + ((q.x - p.x) * length) / total, y: p.y + ((q.y - p.y) * length) / total };
    };
    const before = towards(b, a, r);
    const after = towards(b, c, r);
    d += ` L ${before.x} ${before.y} Q ${b.x} ${b.y} ${after.x} ${after.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${last.x} ${last.y}`;
}

/** Whether a route (a polyline) crosses a box ({left, top, right, bottom}), its ends aside. */
export function routeCrosses(points, box) {
  const inside = (p) => p.x > box.left && p.x < box.right && p.y > box.top && p.y < box.bottom;
  for (let i = 1; i < points.length; i += 1) {
    const [a, b] = [points[i - 1], points[i]];
    for (let step = 0; step <= 10; step += 1) {
      const t = step / 10;
      if (inside({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t })) return true;
    }
  }
  return false;
}
