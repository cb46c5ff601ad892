// The palette: what the services offer to create, grouped as the course groups services
// (catalog.GROUPS: Application integration, Analytics, ...), and the legend of the edges. Each entry
// comes from a service's GUI module (`palette`, services.js) and opens a short form that calls the
// same AWS operation the CLI would; the new node then arrives like any other, from its
// resource.created event, and is selected.
//
// With fifteen services the palette stays usable on a 1280x720 screen: groups fold (the browser
// remembers which), a filter box finds an entry by name or service, and the palette scrolls on its
// own, never the page.

import { formDialog } from "./dialog.js";
import { h } from "./dom.js";
import { iconUrl } from "./nodes.js";
import { registry } from "./services.js";

const FOLDED = "playground.palette.folded";

function folded() {
  try {
    return new Set(JSON.parse(localStorage.getItem(FOLDED) || "[]"));
  } catch {
    return new Set();
  }
}

function remember(group, open) {
  const groups = folded();
  if (open) groups.delete(group);
  else groups.add(group);
  localStorage.setItem(FOLDED, JSON.stringify(Array.from(groups)));
}

export class Palette {
  /**
   * @param {HTMLElement} root   the palette element (with [data-palette-groups] and [data-legend])
   * @param {object} ctx         {api, config}: what an entry's create() gets
   * @param {function} onCreated ({service, kind, name, id}) for each resource made here
   */
  constructor(root, ctx, onCreated) {
    this.root = root;
    this.ctx = ctx;
    this.onCreated = onCreated;
    this.entries = new Map(); // button -> entry
    this.draw();
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-create]");
      if (button && this.entries.has(button)) this.open(this.entries.get(button));
    });
  }

  draw() {
    const box = this.root.querySelector("[data-palette-groups]");
    const closed = folded();
    const titles = new Map(registry.services.map((service) => [service.label, service.title || service.label]));
    const groups = [...registry.groups, ...new Set(registry.palette.map((entry) => entry.group).filter((group) => !registry.groups.includes(group)))];
    const sections = [];
    for (const group of groups) {
      const entries = registry.palette.filter((entry) => (entry.group || "") === group);
      if (!entries.length) continue;
      const buttons = entries.map((entry) => {
        const title = `${entry.title || entry.label} (${titles.get(entry.service)})`;
        const button = h(
          "button",
          { type: "button", dataset: { create: entry.id, service: entry.service }, title },
          entry.icon ? h("img", { src: iconUrl(entry.icon, this.ctx.config.iconBase), alt: "" }) : null,
          h("span", {}, entry.label),
        );
        button.dataset.search = `${entry.label} ${entry.title || ""} ${titles.get(entry.service)} ${entry.service}`.toLowerCase();
        this.entries.set(button, entry);
        return button;
      });
      const details = h(
        "details",
        { class: "palette-group", dataset: { group }, open: !closed.has(group) },
        h("summary", {}, group || "Other", h("span", { class: "palette-count" }, String(entries.length))),
        h("div", { class: "palette-entries" }, buttons),
      );
      // Remembered when the student folds or unfolds it (not when the filter opens it).
      details.querySelector("summary").addEventListener("click", () => remember(group, !details.open));
      sections.push(details);
    }
    box.replaceChildren(...sections);

    const filter = this.root.querySelector("[data-palette-filter]");
    if (filter) {
      filter.hidden = this.entries.size < 6;
      filter.addEventListener("input", () => this.filter(filter.value));
    }

    const legend = this.root.querySelector("[data-legend]");
    if (legend) {
      const seen = new Set();
      legend.replaceChildren(
        ...registry.legend
          .filter((entry) => !seen.has(entry.kind) && seen.add(entry.kind))
          .map((entry) => h("li", { dataset: { kind: entry.kind } }, h("span", { class: `swatch edge-${entry.kind.toLowerCase().replace(/[^a-z0-9-]/g, "-")}` }), ` ${entry.label}`)),
        h("li", { class: "legend-problem", title: "A link that does not work right now: hover over it or select it to see why" }, h("span", { class: "swatch" }), " not working"),
      );
    }
  }

  /** Show the entries whose name, form title or service matches `text` (every group opens). */
  filter(text) {
    const wanted = text.trim().toLowerCase();
    for (const details of this.root.querySelectorAll(".palette-group")) {
      let any = false;
      for (const button of details.querySelectorAll("button[data-create]")) {
        const match = !wanted || button.dataset.search.includes(wanted);
        button.hidden = !match;
        any ||= match;
      }
      details.hidden = !any;
      if (wanted && any) details.open = true;
    }
  }

  async open(entry) {
    const made = await formDialog({
      title: entry.title || `New ${entry.label}`,
      fields: entry.fields(this.ctx),
      onSubmit: (data) => entry.create(this.ctx, data),
    });
    if (made) this.onCreated({ service: entry.service, kind: entry.id, ...made });
  }
}
