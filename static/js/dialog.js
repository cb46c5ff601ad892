// Modal questions in the page (not window.prompt, which blocks the page and cannot be styled or
// read out by a projector): ask for one value, or confirm an action.

import { h } from "./dom.js";

function modal(build) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "pg-dialog" });
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.append(build(finish));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("input, button.primary")?.focus();
  });
}

/** Ask for one value: resolves to the text entered, or null when cancelled. */
export function ask({ title, text = "", label, value = "", type = "text", min, max }) {
  return modal((finish) => {
    const input = h("input", { name: "answer", type, value, min, max, required: true, "aria-label": label });
    const form = h(
      "form",
      { method: "dialog", class: "pg-dialog-form" },
      h("h2", {}, title),
      text ? h("p", {}, text) : null,
      h("label", {}, h("span", {}, label), input),
      h(
        "div",
        { class: "pg-dialog-buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => finish(null) }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, "OK"),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.reportValidity()) finish(input.value);
    });
    return form;
  });
}

/** Confirm an action: resolves to true or false. */
export async function confirmAction({ title, text, action = "OK", danger = false }) {
  const answer = await modal((finish) =>
    h(
      "div",
      { class: "pg-dialog-form" },
      h("h2", {}, title),
      h("p", {}, text),
      h(
        "div",
        { class: "pg-dialog-buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => finish(null) }, "Cancel"),
        h("button", { type: "button", class: danger ? "primary danger" : "primary", onclick: () => finish(true) }, action),
      ),
    ),
  );
  return answer === true;
}

/** A form in a modal: `fields` are built by the caller; resolves to FormData or null. */
export function formDialog({ title, fields, submit = "Create", onSubmit }) {
  return modal((finish) => {
    const error = h("p", { class: "pg-error", role: "alert", hidden: true });
    const button = h("button", { type: "submit", class: "primary" }, submit);
    const form = h(
      "form",
      { class: "pg-dialog-form" },
      h("h2", {}, title),
      fields,
      error,
      h(
        "div",
        { class: "pg-dialog-buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => finish(null) }, "Cancel"),
        button,
      ),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      // The dialog stays open until the server accepted: a refusal is shown where it was made.
      button.disabled = true;
      error.hidden = true;
      try {
        finish(await onSubmit(new FormData(form)));
      } catch (problem) {
        error.textContent = problem.code ? `${problem.code}: ${problem.message}` : problem.message;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
    return form;
  });
}
