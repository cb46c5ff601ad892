// The classroom's part of a student's sandbox page: the Raise hand button (the instructor's help
// queue) and the instructor's messages, shown as they are sent. Both arrive as the sandbox's own
// live events (classroom.broadcast, classroom.hand), which live.js hands on as "playground:live"
// window events; the page's first state comes with it (#classroom-state).

import { request } from "./api.js";
import { $, toast } from "./dom.js";

const state = JSON.parse($("#classroom-state").textContent);
const bar = $("[data-class-bar]");
const hand = $("[data-hand]", bar);
const box = $("[data-class-message]");
const DISMISSED = "playground.broadcast.dismissed";

function showHand(raised) {
  if (!hand) return;
  hand.setAttribute("aria-pressed", String(raised));
  hand.textContent = raised ? "Lower hand" : "Raise hand";
  hand.title = raised ? "You are in the help queue; click to leave it" : "Ask your instructor for help: you join the help queue";
  document.body.dataset.hand = String(raised);
}

function showMessage(broadcast) {
  if (!broadcast) return;
  $("[data-class-message-text]", box).textContent = broadcast.message;
  const when = new Date(broadcast.sent_at).toLocaleTimeString();
  $("[data-class-message-from]", box).textContent = `${broadcast.sender}, to the class, at ${when}`;
  box.dataset.id = String(broadcast.id);
  box.hidden = false;
}

$("[data-class-message-close]", box).addEventListener("click", () => {
  box.hidden = true;
  localStorage.setItem(DISMISSED, box.dataset.id || "");
});

if (hand) {
  hand.addEventListener("click", async () => {
    const raised = hand.getAttribute("aria-pressed") !== "true";
    try {
      const answer = await request("POST", `/api/sandboxes/${state.sandbox}/hand/`, { raised });
      showHand(answer.raised);
      toast(answer.raised ? "Hand raised: your instructor sees you in the help queue." : "Hand lowered.", "ok");
    } catch (problem) {
      toast(`Hand: ${problem.message}`, "error");
    }
  });
}

window.addEventListener("playground:live", ({ detail: event }) => {
  if (event.type === "classroom.broadcast") showMessage(event);
  else if (event.type === "classroom.hand") {
    showHand(event.raised);
    if (!event.raised && event.by !== document.body.dataset.user) toast(`${event.by} saw to your hand.`, "info");
  }
});

showHand(state.hand.raised);
if (state.broadcast && localStorage.getItem(DISMISSED) !== String(state.broadcast.id)) showMessage(state.broadcast);
