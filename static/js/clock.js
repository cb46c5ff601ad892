// The clock bar: the sandbox's simulated time, ticking in the browser between server updates,
// and the buttons that pause, resume, speed up and advance it (REST API /clock/...). Every
// countdown on the page (visibility timeouts, delays) reads `sandboxNow()` from here, so it
// follows pauses, speed-ups and jumps the moment they happen.

import { $, $$, toast } from "./dom.js";

export class Clock {
  constructor(root, api) {
    this.root = root;
    this.api = api;
    this.state = { now: Date.now(), speed: 1, paused: false };
    this.changed = "";
    this.syncedAt = performance.now();
    this.listeners = new Set();
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-clock]");
      if (button) this.act(button.dataset.clock, button.dataset.value);
    });
    setInterval(() => this.paint(), 250);
  }

  /** Take the server's clock: {now (ISO), speed, paused, changed (ISO, UTC)}. A clock whose last
   * change is older than the one shown is a slow answer overtaken by a newer one: it is dropped. */
  set(clock) {
    if (!clock || !clock.now) return;
    if (clock.changed && this.changed && clock.changed < this.changed) return;
    this.changed = clock.changed || this.changed;
    this.state = { now: Date.parse(clock.now), speed: Number(clock.speed) || 1, paused: Boolean(clock.paused) };
    this.syncedAt = performance.now();
    this.paint();
    for (const listener of this.listeners) listener(this);
  }

  /** Milliseconds since the epoch, on the sandbox clock, now. */
  sandboxNow() {
    if (this.state.paused) return this.state.now;
    return this.state.now + (performance.now() - this.syncedAt) * this.state.speed;
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  paint() {
    const now = new Date(this.sandboxNow());
    const iso = now.toISOString();
    $("[data-clock-time]", this.root).textContent = iso.slice(11, 19);
    $("[data-clock-date]", this.root).textContent = iso.slice(0, 10);
    this.root.dataset.paused = String(this.state.paused);
    this.root.dataset.speed = String(this.state.speed);
    $("[data-clock-state]", this.root).textContent = this.state.paused ? "paused" : `${this.state.speed}×`;
    $('[data-clock="pause"]', this.root).hidden = this.state.paused;
    $('[data-clock="resume"]', this.root).hidden = !this.state.paused;
    for (const button of $$('[data-clock="speed"]', this.root)) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.value) === this.state.speed));
    }
  }

  async act(action, value) {
    const body = action === "speed" ? { speed: Number(value) } : action === "advance" ? { seconds: Number(value) } : {};
    try {
      const clock = await this.api.clockAction(action, body);
      this.set(clock.clock || clock);
    } catch (problem) {
      toast(`Clock: ${problem.message}`, "error");
    }
  }
}
