// Copies the browser files of the npm dependencies into static/vendor (git-ignored), so the GUI
// works offline in a classroom: no CDN. Each entry: package -> files to copy.
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = {
  // The diagram: nodes are DOM elements and edges SVG paths, so Playwright can drive them.
  drawflow: ["dist/drawflow.min.js", "dist/drawflow.min.css", "LICENSE"],
  // The diagram's layout (layered, edges routed clear of nodes): the API in the page, the
  // algorithm in a Web Worker, so laying out hundreds of nodes never freezes the page.
  elkjs: ["lib/elk-api.js", "lib/elk-worker.min.js", "LICENSE.md"],
  // The lab panel's instructions and hints: Markdown to HTML, raw HTML escaped (markdown-it's
  // default). An ES module with no imports of its own; copied as .js so that every server
  // serves it with a JavaScript MIME type. [source, name] copies under another name.
  "markdown-it": [["dist/browser/markdown-it.esm.min.mjs", "markdown-it.esm.min.js"], "LICENSE"],
  // Time-series charts (CloudWatch's alarm inspector and dashboards): an ES module with no imports
  // of its own, drawn on a canvas, offline.
  uplot: ["dist/uPlot.esm.js", "dist/uPlot.min.css", "LICENSE"],
};

const vendor = join(root, "static", "vendor");
mkdirSync(vendor, { recursive: true });
for (const [pkg, paths] of Object.entries(files)) {
  for (const entry of paths) {
    const [path, name] = Array.isArray(entry) ? entry : [entry, entry.split("/").pop()];
    const source = join(root, "node_modules", pkg, path);
    if (!existsSync(source)) throw new Error(`missing ${source}: run npm install`);
    mkdirSync(join(vendor, pkg), { recursive: true });
    cpSync(source, join(vendor, pkg, name));
  }
}
