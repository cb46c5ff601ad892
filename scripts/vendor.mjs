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
};

const vendor = join(root, "static", "vendor");
mkdirSync(vendor, { recursive: true });
for (const [pkg, paths] of Object.entries(files)) {
  for (const path of paths) {
    const source = join(root, "node_modules", pkg, path);
    if (!existsSync(source)) throw new Error(`missing ${source}: run npm install`);
    mkdirSync(join(vendor, pkg), { recursive: true });
    cpSync(source, join(vendor, pkg, path.split("/").pop()));
  }
}
