// The lab panel, beside the diagram: the labs on offer and a Start button; once a lab runs, its
// steps with the current one's instructions (Markdown, with the student's endpoint, account and
// names filled in by the server), a Check button showing each step's result and points, hints
// revealed one at a time (with what each costs), and the score. Everything goes through the REST
// API with the page's session (no token), and the panel follows the sandbox's live events (the
// page's own WebSocket, see live.js): a check made anywhere (another tab, a script, the
// instructor) updates it at once.
//
// An instructor looking at a student's sandbox read-only sees the same panel without its buttons.

import { request } from "./api.js";
import { confirmAction } from "./dialog.js";
import { $, copyButton, debounce, fill, h, toast } from "./dom.js";

const panel = $("#lab-panel");
const body = $("[data-lab-body]", panel);
const toggle = $("[data-lab-toggle]", panel);
const config = JSON.parse($("#playground-config").textContent);
const readOnly = Boolean(config.read_only);
const sandboxUrl = config.urls.api; // "/api/sandboxes/<id>/"

const { default: markdownit } = await import(panel.dataset.markdown);
// Raw HTML in a bundle's Markdown is shown as text (markdown-it's default), links open elsewhere.
const markdown = markdownit({ html: false, linkify: true });

const state = {
  session: null, // the session as GET /api/lab-sessions/<id>/ answers, while it is shown
  running: null, // the sandbox's active session, also while the list is shown
  labs: null, // GET /api/labs/
  selected: null, // the step id shown; null: the first step not passed
  report: null, // the last check's answer, by step id
  busy: false,
  browsing: false, // the list shown by the student's choice while a lab runs
};

// --- open / closed ---------------------------------------------------------------------------------

function setOpen(open, { remember = true } = {}) {
  document.body.classList.toggle("lab-open", open);
  toggle.setAttribute("aria-expanded", String(open));
  if (remember) localStorage.setItem("playground.labpanel", open ? "1" : "0");
}
toggle.addEventListener("click", () => setOpen(!document.body.classList.contains("lab-open")));

// --- rendering -------------------------------------------------------------------------------------

function renderMarkdown(text) {
  const box = h("div", { class: "lab-md" });
  box.innerHTML = markdown.render(text || "");
  for (const link of box.querySelectorAll("a")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  for (const pre of box.querySelectorAll("pre")) {
    const code = pre.textContent.replace(/\n$/, "");
    pre.classList.add("lab-code");
    pre.append(copyButton(code));
  }
  return box;
}

function currentStep(session) {
  const steps = session.steps || [];
  return steps.find((step) => step.id === state.selected) || steps.find((step) => !step.passed) || steps[steps.length - 1];
}

function points(score, max) {
  return `${score} / ${max} point${max === 1 ? "" : "s"}`;
}

function renderList() {
  panel.dataset.state = "list";
  const labs = state.labs || [];
  fill(
    body,
    h("h2", { class: "lab-heading" }, "Labs"),
    state.running
      ? h("button", { type: "button", class: "link", "data-lab-back": "", onclick: back }, `Back to ${state.running.title}`)
      : null,
    labs.length ? null : h("p", { class: "muted" }, "No lab is offered on this server yet."),
    h(
      "ul",
      { class: "lab-list" },
      labs.map((lab) =>
        h(
          "li",
          { class: "lab-offer", dataset: { lab: lab.id } },
          h("strong", {}, lab.title),
          h("span", { class: "muted lab-offer-meta" }, `${lab.steps} steps · ${lab.max_score} points`),
          lab.summary ? renderMarkdown(lab.summary) : null,
          readOnly
            ? null
            : h(
                "button",
                {
                  type: "button",
                  class: "primary",
                  disabled: !lab.available || state.busy,
                  title: lab.available ? `Start ${lab.title}` : `Needs ${lab.services.join(", ")}, not emulated yet`,
                  dataset: { labStart: lab.id },
                  onclick: () => start(lab.id),
                },
                lab.available ? "Start" : "Unavailable",
              ),
        ),
      ),
    ),
    readOnly ? h("p", { class: "muted" }, "No lab is running in this sandbox.") : null,
  );
}

function stepRow(step, current) {
  const checked = state.report?.[step.id];
  const failed = checked && !checked.passed;
  return h(
    "li",
    {
      class: `lab-step${step.passed ? " passed" : ""}${failed ? " failed" : ""}${step.id === current.id ? " current" : ""}`,
      dataset: { step: step.id, passed: String(step.passed) },
    },
    h(
      "button",
      { type: "button", class: "link lab-step-title", onclick: () => select(step.id), "aria-current": step.id === current.id ? "step" : null },
      h("span", { class: "lab-step-mark", "aria-hidden": "true" }, step.passed ? "✓" : failed ? "✗" : "○"),
      step.title,
    ),
    h("span", { class: "lab-step-points", dataset: { points: step.id } }, `${step.score}/${step.max_score}`),
    step.late ? h("span", { class: "lab-badge late", title: "Passed after the session's deadline" }, "late") : null,
    step.solved_by_solve ? h("span", { class: "lab-badge solved", title: "Solve did this step" }, "solved") : null,
  );
}

function renderSession() {
  const session = state.session;
  panel.dataset.state = session.completed ? "completed" : "running";
  panel.dataset.session = String(session.id);
  const step = currentStep(session);
  const checked = state.report?.[step.id];
  const deadline = session.deadline ? new Date(session.deadline) : null;
  fill(
    body,
    h(
      "header",
      { class: "lab-head" },
      h("h2", { class: "lab-heading" }, session.title),
      h(
        "div",
        { class: "lab-score", dataset: { score: String(session.score) } },
        h("b", { "data-lab-score": "" }, points(session.score, session.max_score)),
        h("span", { class: "muted" }, ` · ${session.steps_passed} of ${session.steps_total} steps`),
      ),
      h("progress", { max: String(session.max_score || 1), value: String(session.score), "aria-label": "Score" }),
      session.completed ? h("p", { class: "lab-done", role: "status" }, "Lab complete.") : null,
      deadline
        ? h("p", { class: `lab-deadline${deadline < new Date() ? " over" : ""}` }, `Deadline ${deadline.toLocaleString()}`)
        : null,
    ),
    h("ol", { class: "lab-steps" }, session.steps.map((item) => stepRow(item, step))),
    h(
      "section",
      { class: "lab-current", dataset: { step: step.id }, "aria-label": `Step: ${step.title}` },
      h("h3", {}, step.title, h("span", { class: "muted lab-step-max" }, ` · ${step.max_score} point${step.max_score === 1 ? "" : "s"}`)),
      renderMarkdown(step.instructions),
      checked ? renderResult(step, checked) : null,
      renderHints(step),
    ),
    readOnly
      ? null
      : h(
          "footer",
          { class: "lab-actions" },
          h("button", { type: "button", class: "primary", "data-lab-check": "", disabled: state.busy, onclick: check }, "Check"),
          // Solve is for lab authors (staff), and for students where the lab and class allow it;
          // the session records every use, and the grades show it.
          session.may_solve && !step.passed
            ? h(
                "button",
                { type: "button", "data-lab-solve": "", disabled: state.busy, title: "Do this step for me (recorded in the grades)", onclick: () => solve(step) },
                "Solve step",
              )
            : null,
          h("button", { type: "button", class: "link", "data-lab-list": "", onclick: showList }, "Other labs"),
        ),
  );
}

function renderResult(step, checked) {
  return h(
    "div",
    { class: `lab-result ${checked.passed ? "ok" : "not-yet"}`, role: "status", dataset: { result: step.id } },
    h("strong", {}, checked.passed ? `Passed: ${points(checked.score, checked.max_score)}` : `Not yet: ${points(checked.score, checked.max_score)}`),
    checked.late ? h("span", { class: "lab-badge late" }, "late") : null,
    checked.messages?.length ? h("ul", { class: "lab-messages" }, checked.messages.map((message) => h("li", {}, message))) : null,
  );
}

function renderHints(step) {
  if (!step.hints_total) return null;
  const left = step.hints_total - step.hints.length;
  const cost = step.next_hint_cost;
  return h(
    "div",
    { class: "lab-hints" },
    step.hints.map((hint, index) =>
      h("div", { class: "lab-hint", dataset: { hint: String(index + 1) } }, h("span", { class: "muted" }, `Hint ${index + 1}`), renderMarkdown(hint)),
    ),
    step.hint_penalty ? h("p", { class: "muted lab-hint-penalty" }, `Hints cost this step ${step.hint_penalty} point${step.hint_penalty === 1 ? "" : "s"}.`) : null,
    readOnly || left <= 0
      ? null
      : h(
          "button",
          { type: "button", class: "small", "data-lab-hint": "", disabled: state.busy, onclick: () => revealHint(step) },
          cost ? `Show a hint (costs ${cost} point${cost === 1 ? "" : "s"})` : "Show a hint",
        ),
  );
}

function render() {
  if (state.session && state.session.status === "active") renderSession();
  else renderList();
}

// --- actions ---------------------------------------------------------------------------------------

async function busy(work) {
  state.busy = true;
  render();
  try {
    return await work();
  } catch (problem) {
    toast(`${problem.code ? `${problem.code}: ` : ""}${problem.message}`, "error");
    return null;
  } finally {
    state.busy = false;
    render();
  }
}

async function start(labId) {
  const running = state.running;
  if (running && running.lab !== labId) {
    const sure = await confirmAction({
      title: `Start another lab?`,
      text: `${running.title} stops; its points stay, and starting it again goes on where it was.`,
      action: "Start",
    });
    if (!sure) return;
  }
  const session = await busy(() => request("POST", `${sandboxUrl}lab-sessions/`, { lab: labId }));
  if (session) {
    state.browsing = false;
    state.session = session;
    state.running = session;
    state.selected = null;
    state.report = null;
    render();
  }
}

async function check() {
  const session = state.session;
  const report = await busy(() => request("POST", `/api/lab-sessions/${session.id}/check/`, {}));
  if (!report) return;
  state.report = Object.fromEntries(report.steps.map((step) => [step.id, step]));
  await reload();
  const passedNow = report.steps.filter((step) => step.passed).length;
  toast(report.completed ? "Every step passed: lab complete." : `Checked: ${passedNow} of ${report.steps.length} steps pass.`, report.passed ? "ok" : "info");
}

async function solve(step) {
  const session = state.session;
  const report = await busy(async () => {
    await request("POST", `/api/lab-sessions/${session.id}/solve/`, { step: step.id });
    return request("POST", `/api/lab-sessions/${session.id}/check/`, { step: step.id });
  });
  if (!report) return;
  state.report = { ...(state.report || {}), ...Object.fromEntries(report.steps.map((item) => [item.id, item])) };
  await reload();
}

async function revealHint(step) {
  const session = state.session;
  const answer = await busy(() => request("POST", `/api/lab-sessions/${session.id}/hint/`, { step: step.id }));
  if (answer) {
    state.selected = step.id;
    state.session = answer.session;
  }
}

function select(stepId) {
  state.selected = stepId;
  render();
}

async function showList() {
  state.browsing = true; // the student's choice: live news of the running lab must not take it away
  state.labs = await request("GET", "/api/labs/").catch(() => state.labs || []);
  state.session = null;
  render();
}

function back() {
  state.browsing = false;
  return reload();
}

/** Read the sandbox's active session (or, without one, the labs on offer) and show it. */
async function reload() {
  try {
    const sandbox = await request("GET", sandboxUrl);
    if (sandbox.active_lab_session) {
      const session = await request("GET", `/api/lab-sessions/${sandbox.active_lab_session}/`);
      if (state.session?.id !== session.id) {
        state.selected = null;
        state.report = null;
      }
      state.running = session;
      if (!state.browsing) state.session = session;
    } else {
      state.session = null;
      state.running = null;
      state.labs = await request("GET", "/api/labs/");
    }
    render();
  } catch (problem) {
    fill(body, h("p", { class: "banner-error" }, `The lab could not be read: ${problem.message}`));
  }
}
const reloadSoon = debounce(reload, 150, 600);

// --- live ------------------------------------------------------------------------------------------

window.addEventListener("playground:live", ({ detail: event }) => {
  if (!event.type?.startsWith("lab.")) return;
  if (event.type === "lab.checked" && state.session?.id === event.session_id) {
    // A check made elsewhere: its result for that step, then the whole session again.
    state.report = {
      ...(state.report || {}),
      [event.step]: { passed: event.passed, score: event.score, max_score: event.max_score, messages: event.messages, late: event.late },
    };
  }
  if (event.type === "lab.started" && !readOnly) setOpen(true, { remember: false });
  reloadSoon();
});
// Back from a lost connection: whatever happened meanwhile.
window.addEventListener("online", () => reloadSoon());

// --- start -----------------------------------------------------------------------------------------

await reload();
const remembered = localStorage.getItem("playground.labpanel");
setOpen(remembered === null ? Boolean(state.session) : remembered === "1", { remember: false });
toggle.disabled = false; // disabled in the page until this script listens
panel.dataset.ready = "true";
window.playgroundLab = { state, reload };
