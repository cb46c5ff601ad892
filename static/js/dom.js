// Small DOM helpers shared by the GUI modules. No framework: the page is a handful of panels
// that rebuild their own content.

/**
 * Build an element: h("button", {class: "primary", onclick: fn, dataset: {x: 1}}, "Send").
 * Attributes whose value is null, undefined or false are left out; children may be strings,
 * nodes, arrays of those, or null (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "value") element.value = value;
    else if (name === "checked") element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

/** Replace an element's content with the given children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Copy text to the clipboard; falls back to a hidden textarea where the Clipboard API is refused
 * (a classroom server reached over plain http on the LAN is not a secure context). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { style: { position: "fixed", opacity: "0" } }, text);
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }
}

/** A button that copies `text()` and says so for a moment. */
export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "copy", title: "Copy to the clipboard" }, label);
  button.addEventListener("click", async () => {
    const ok = await copyText(typeof text === "function" ? text() : text);
    button.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => (button.textContent = label), 1200);
  });
  return button;
}

/** Short-lived messages at the bottom of the diagram: what happened, or why it was refused. */
export function toast(message, kind = "info", { timeout = 5000 } = {}) {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = h(
    "div",
    { class: `toast toast-${kind}` },
    h("span", { class: "toast-text" }, message),
    h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"),
  );
  box.append(item);
  if (timeout) setTimeout(() => item.remove(), kind === "error" ? timeout * 2 : timeout);
  return item;
}

/** Run `fn` at most once per `wait` ms after the last call, but no later than `maxWait` ms after
 * the first call of a burst: a steady stream of events still gets regular refreshes. */
export function debounce(fn, wait, maxWait = Infinity) {
  let timer = null;
  let first = 0;
  return (...args) => {
    const now = performance.now();
    if (timer === null) first = now;
    clearTimeout(timer);
    const delay = Math.max(0, Math.min(wait, first + maxWait - now));
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, delay);
  };
}

/** "orders" from "arn:aws:sqs:us-east-1:123456789012:orders" (the last ":" or "/" part). */
export function arnTail(arn) {
  return String(arn || "").split(/[:/]/).pop();
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
