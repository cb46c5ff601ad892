// The instructor's classroom dashboard: every student's row, live. The rows come from the REST API
// (/api/classrooms/<id>/students/) and are read again whenever the dashboard's WebSocket
// (/ws/classrooms/<id>/) says a student's sandbox changed (a call, a lab check, a clock change) or
// the roster did. Sorting and filtering happen here; so does the wall-time arithmetic of "last
// activity" and "stuck", re-done every few seconds since time passes without events.

import { ApiError, request } from "./api.js";
import { $, $$, debounce, fill, formatDuration, h } from "./dom.js";
import { LiveSocket } from "./live.js";

const config = JSON.parse($("#dashboard-config").textContent);
const root = $("[data-dashboard]");
const table = $("[data-testid=students]", root);
const api = {
  students: () => request("GET", `/api/classrooms/${config.classroom}/students/`),
  post: (path, body = {}) => request("POST", path, body),
  remove: (path) => request("DELETE", path),
};

const state = {
  rows: config.students,
  sort: { key: "student", descending: false },
  text: "",
  show: "all",
  hands: new Set(),
  // Speeds typed in a row and not set yet, by student: live updates redraw every row, and must
  // not put back the stored speed under the instructor's fingers.
  speedDrafts: new Map(),
};

// --- what a row says ---------------------------------------------------------------------------

const wallSeconds = (iso) => (iso ? (Date.now() - Date.parse(iso)) / 1000 : null);

function isStuck(row) {
  const since = wallSeconds(row.progress_at);
  return since !== null && since > config.stuck_minutes * 60;
}

function labsOf(rows) {
  const titles = new Map();
  for (const row of rows) for (const lab of row.labs) titles.set(lab.lab, lab.title);
  return [...titles.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function sortValue(row, key) {
  if (key === "student") return row.username.toLowerCase();
  if (key === "activity") return row.last_activity_at ? Date.parse(row.last_activity_at) : -Infinity;
  if (key.startsWith("lab:")) {
    const lab = row.labs.find((item) => item.lab === key.slice(4));
    return lab ? lab.score + (lab.completed ? 1e6 : 0) : -Infinity;
  }
  return 0;
}

function visible(row) {
  if (state.text && !row.username.toLowerCase().includes(state.text)) return false;
  if (state.show === "stuck") return isStuck(row);
  if (state.show === "failing") return row.failing;
  if (state.show === "hand") return Boolean(row.hand_raised_at);
  if (state.show === "quiet") return !row.last_activity_at;
  return true;
}

// --- drawing -------------------------------------------------------------------------------------

function header(labs) {
  const sortable = (key, label) => {
    const sorted = state.sort.key === key;
    return h(
      "th",
      { "aria-sort": sorted ? (state.sort.descending ? "descending" : "ascending") : "none", dataset: { lab: key.startsWith("lab:") ? key.slice(4) : null } },
      h("button", { type: "button", class: "link", dataset: { sort: key } }, label, sorted ? (state.sort.descending ? " ▼" : " ▲") : ""),
    );
  };
  return h(
    "tr",
    {},
    sortable("student", "Student"),
    sortable("activity", "Last activity"),
    h("th", {}, "Clock"),
    labs.map(([id, title]) => sortable(`lab:${id}`, [h("code", {}, id), ` · ${title}`])),
    h("th", {}, "Actions"),
  );
}

function activityCell(row) {
  if (!row.last_call) return h("td", {}, h("span", { class: "muted" }, "no call yet"));
  const call = row.last_call;
  const ago = wallSeconds(row.last_activity_at);
  return h(
    "td",
    { dataset: { testid: "activity" } },
    `${call.service}:${call.operation}`,
    call.error_code ? [" ", h("span", { class: "error" }, call.error_code)] : null,
    h(
      "div",
      { class: "muted", title: row.last_activity_at ? `${new Date(row.last_activity_at).toLocaleString()} (wall time)` : "" },
      ago === null ? "time unknown" : `${formatDuration(ago)} ago`,
    ),
  );
}

function clockCell(row) {
  const clock = row.sandbox.clock;
  return h(
    "td",
    {},
    String(clock.now).slice(0, 19).replace("T", " "),
    h(
      "div",
      { class: "muted" },
      `×${clock.speed}`,
      clock.paused ? ", paused" : "",
      row.clock_held ? [", ", h("span", { dataset: { testid: "held" } }, "held by you")] : null,
    ),
  );
}

function labCell(row, labId) {
  const lab = row.labs.find((item) => item.lab === labId);
  if (!lab) return h("td", {}, h("span", { class: "muted" }, "—"));
  return h(
    "td",
    { dataset: { labCell: labId } },
    h("span", { class: lab.completed ? "done" : "" }, `${lab.steps_passed}/${lab.steps_total} steps`),
    lab.completed ? h("span", { class: "done" }, " ✓ completed") : null,
    h("div", { class: "muted" }, `${lab.score}/${lab.max_score} points`, lab.hints_used ? ` · ${lab.hints_used} hints` : ""),
    lab.solved_by_solve
      ? h(
          "div",
          { class: "solved", dataset: { testid: "solved" }, title: "solve did these steps, not the student" },
          `solve used: ${(lab.solved_steps || []).join(", ")}`,
        )
      : null,
  );
}

function badges(row) {
  const out = [];
  if (row.frozen) out.push(h("span", { class: "badge frozen", dataset: { testid: "frozen" } }, "frozen"));
  if (row.hand_raised_at) out.push(h("span", { class: "badge hand", dataset: { testid: "hand" } }, "✋ hand raised"));
  if (isStuck(row)) out.push(h("span", { class: "badge stuck", dataset: { testid: "stuck" } }, `stuck: no progress for ${formatDuration(wallSeconds(row.progress_at))}`));
  if (row.failing) out.push(h("span", { class: "badge failing", dataset: { testid: "failing" } }, `failing: ${row.failing_calls} failed calls in a row`));
  return out;
}

function speedControl(row, sandbox) {
  const drafts = state.speedDrafts;
  const value = drafts.has(row.username) ? drafts.get(row.username) : String(row.sandbox.clock.speed);
  const input = h("input", { type: "number", min: "0.001", max: "3600", step: "any", value, "aria-label": `${row.username}'s clock speed`, oninput: () => drafts.set(row.username, input.value) });
  const set = () => {
    const speed = input.value;
    drafts.delete(row.username);
    return act(`Set ${row.username}'s clock to ×${speed}`, () => api.post(`${sandbox}clock/speed/`, { speed: Number(speed) }));
  };
  return h("span", { class: "speed" }, input, h("button", { type: "button", onclick: set }, "Speed"));
}

function actions(row) {
  const clock = row.sandbox.clock;
  const sandbox = `/api/sandboxes/${row.sandbox.id}/`;
  const button = (label, run, extra = {}) => h("button", { type: "button", onclick: run, ...extra }, label);
  return h(
    "td",
    {},
    h(
      "div",
      { class: "bar" },
      button("Reset", () => act(`Reset ${row.username}'s sandbox`, () => api.post(`${sandbox}reset/`), `Delete every resource in ${row.username}'s sandbox? Their call history and lab progress stay.`)),
      clock.paused
        ? button("Resume", () => act(`Resumed ${row.username}'s clock`, () => api.post(`${sandbox}clock/resume/`)))
        : button("Pause", () => act(`Paused ${row.username}'s clock`, () => api.post(`${sandbox}clock/pause/`))),
      speedControl(row, sandbox),
      button("+1 min", () => act(`Advanced ${row.username}'s clock a minute`, () => api.post(`${sandbox}clock/advance/`, { seconds: 60 }))),
      button("New password", () => newPassword(row)),
      button("Remove", () => act(`Removed ${row.username}`, () => api.remove(`${student(row)}`), `Remove ${row.username} from the class? Their classroom sandbox is deleted with everything in it.`), { class: "danger" }),
    ),
  );
}

function drawHands() {
  const hands = state.rows.filter((row) => row.hand_raised_at).sort((a, b) => Date.parse(a.hand_raised_at) - Date.parse(b.hand_raised_at));
  $("[data-help-queue]", root).hidden = hands.length === 0;
  $("[data-hand-count]", root).textContent = String(hands.length);
  fill(
    $("[data-hands]", root),
    hands.map((row) =>
      h(
        "li",
        { dataset: { student: row.username } },
        h("strong", {}, row.username),
        row.hand_note ? ` “${row.hand_note}”` : "",
        h("span", { class: "muted" }, ` for ${formatDuration(wallSeconds(row.hand_raised_at))} `),
        h("a", { href: `/sandboxes/${row.sandbox.id}/` }, "their diagram"),
        " ",
        h(
          "button",
          { type: "button", onclick: () => act(`Cleared ${row.username}'s hand`, () => api.post(`/api/sandboxes/${row.sandbox.id}/hand/`, { raised: false })) },
          "Clear",
        ),
      ),
    ),
  );
}

const student = (row) => `/api/classrooms/${config.classroom}/students/${row.id}/`;

async function newPassword(row) {
  if (!window.confirm(`Give ${row.username} a new password? The old one stops working and they are signed out.`)) return;
  try {
    const answer = await api.post(`${student(row)}password/`);
    fill(
      $("[data-notice]", root),
      h("li", { class: "success", dataset: { testid: "new-password" } }, `New password for ${answer.username}: `, h("code", {}, answer.password), " (shown this once: hand it over now)"),
    );
  } catch (problem) {
    notice(`${problem.code}: ${problem.message}`, "error");
  }
}

function draw() {
  drawHands();
  const labs = labsOf(state.rows);
  fill($("thead", table), header(labs));
  const { key, descending } = state.sort;
  const rows = [...state.rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    const order = x < y ? -1 : x > y ? 1 : a.username.localeCompare(b.username);
    return descending ? -order : order;
  });
  const shown = rows.filter(visible);
  fill(
    $("tbody", table),
    shown.map((row) =>
      h(
        "tr",
        { dataset: { student: row.username }, class: [isStuck(row) ? "stuck" : "", row.failing ? "failing" : ""].join(" ").trim() || null },
        h(
          "td",
          {},
          h("a", { href: `/sandboxes/${row.sandbox.id}/`, title: "Their diagram, read-only and live" }, row.username),
          h("div", { class: "muted" }, h("code", {}, row.sandbox.account_id)),
          badges(row),
        ),
        activityCell(row),
        clockCell(row),
        labs.map(([id]) => labCell(row, id)),
        actions(row),
      ),
    ),
    shown.length ? null : h("tr", {}, h("td", { colspan: 4 + labs.length, class: "muted" }, state.rows.length ? "No student matches." : "No student yet: give them the join code, or import a CSV.")),
  );
  $("[data-count]", root).textContent = String(state.rows.length);
  root.dataset.rows = String(shown.length);
}

// --- doing things --------------------------------------------------------------------------------

function notice(text, kind = "success") {
  fill($("[data-notice]", root), h("li", { class: kind }, text));
}

async function act(done, run, question = "") {
  if (question && !window.confirm(question)) return;
  try {
    await run();
    notice(`${done}.`);
  } catch (problem) {
    notice(problem instanceof ApiError ? `${problem.code}: ${problem.message}` : String(problem), "error");
  }
  await refresh();
}

// Rows drawn again are new elements: a click whose press and release straddle a redraw is lost
// (the button pressed is gone before the release; seen in tests, and a teacher would lose it too).
// Every row changes on every read (each sandbox clock's time moves), so while a pointer is down in
// the dashboard the redraws of reads and of the wall-time timer wait for its release, and the
// click that release makes goes to the button that was pressed.
let pressed = false;
let drawWaiting = false;
function drawUnpressed() {
  if (pressed) drawWaiting = true;
  else draw();
}
root.addEventListener("pointerdown", () => {
  pressed = true;
});
for (const ended of ["pointerup", "pointercancel"]) {
  window.addEventListener(ended, () => {
    pressed = false;
    if (drawWaiting) {
      drawWaiting = false;
      setTimeout(draw, 0); // after the click this release dispatches
    }
  });
}

let reading = null;
async function refresh() {
  if (reading) return reading;
  reading = (async () => {
    try {
      const rows = await api.students();
      if (JSON.stringify(rows) !== JSON.stringify(state.rows)) {
        state.rows = rows;
        drawUnpressed();
      }
      root.dataset.updated = String(Number(root.dataset.updated || 0) + 1);
    } catch (problem) {
      notice(`The students could not be read: ${problem.message}`, "error");
    } finally {
      reading = null;
    }
  })();
  return reading;
}
const refreshSoon = debounce(refresh, 200, 1000);

table.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-sort]");
  if (!button) return;
  const key = button.dataset.sort;
  state.sort = { key, descending: state.sort.key === key ? !state.sort.descending : key === "activity" || key.startsWith("lab:") };
  draw();
});
$("[data-filter-text]", root).addEventListener("input", (event) => {
  state.text = event.target.value.trim().toLowerCase();
  draw();
});
$("[data-filter]", root).addEventListener("change", (event) => {
  state.show = event.target.value;
  draw();
});

// The page shows the timed session as it was when drawn. Its end is announced live
// (classroom.ended), but an end that came while the socket was (re)connecting — a timer of 0
// minutes ends before the page it redirects to is live — is found by reading the classroom.
const drawnEnded = document.querySelector("[data-testid=timer-state][data-ended]") !== null;
async function reloadIfEnded() {
  const classroom = await request("GET", `/api/classrooms/${config.classroom}/`).catch(() => null);
  if (classroom && Boolean(classroom.ended_at) !== drawnEnded) window.location.reload();
}

const live = new LiveSocket(`/ws/classrooms/${config.classroom}/`, {
  onHello: () => {
    refresh();
    reloadIfEnded();
  },
  onEvent: (event) => {
    if (event.type === "classroom.ended") window.location.reload();
    else if (event.type === "students.changed" || event.type.startsWith("classroom.")) refreshSoon();
  },
  onStatus: (status) => {
    const badge = $("[data-live]", root);
    badge.dataset.state = status;
    badge.textContent = status;
    root.dataset.live = String(status === "live");
  },
});

// Wall time passes without events: "2 min ago" and "stuck" are worked out again every few seconds,
// and the rows are read again now and then.
setInterval(drawUnpressed, 5000);
setInterval(refresh, 60000);

draw();
live.connect();
window.dashboard = { state, refresh, live };
