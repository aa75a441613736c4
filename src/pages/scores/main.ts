// The scoreboard /scores (docs/pages.md#scoreboard-scores): follows clicker ids on /ws like any
// draft-1 scoreboard (LISTEN, then CONNECT / DISCONNECT / SCORE), one tile per id, grid or
// ranked, an event timer, and a link to the CSV export. Everything a kiosk needs is in the URL:
// ?ids=482913,118204&view=ranked&top=3&timer=90.
import { armAudio } from "../lib/beep.ts";
import { $ } from "../lib/dom.ts";
import { Poll } from "../lib/poll.ts";
import { Socket } from "../lib/socket.ts";
import { statusBadge } from "../lib/status.ts";
import { Board, type View } from "./board.ts";
import { listenLine, MAX_IDS, parseIds, parseLine } from "./feed.ts";
import { EventTimer, parseDuration } from "./timer.ts";

const TOPS = [0, 3, 5, 10];
const PRESETS = [30, 60, 180];
const q = new URLSearchParams(location.search);

const board = new Board($("#tiles"));
let view: View = q.get("view") === "ranked" ? "ranked" : "grid";
let top = TOPS.includes(Number(q.get("top"))) ? Number(q.get("top")) : 0;

const idsInput = $<HTMLInputElement>("#ids");
const idsError = $("#ids-error");
const csv = $<HTMLAnchorElement>("#csv");

// ---- the clicker link ----

/** The next CONNECT is the reply to our LISTEN (every other id is offline), not a broadcast. */
let awaitingReply = false;

const link = new Socket("/ws", {
  name: "Clicker relay",
  onOpen() {
    board.setLinkUp(true);
    // A reconnect is a new session: LISTEN again, and the reply and catch-up bring the tally.
    listen();
  },
  onClose() {
    awaitingReply = false;
    board.setLinkUp(false);
  },
  onMessage(data) {
    if (typeof data !== "string") return;
    const line = parseLine(data);
    if (!line) return;
    switch (line.kind) {
      case "connect":
        if (awaitingReply) board.online(line.ids);
        else for (const id of line.ids) board.presence(id, true);
        awaitingReply = false;
        break;
      case "disconnect":
        board.presence(line.id, false);
        break;
      case "score":
        board.score(line.id, line.score);
        break;
      case "error":
        // Our own mistake if it ever happens; the board keeps going.
        console.warn(`clicker relay: ERROR ${line.text}`);
        break;
    }
  },
});
statusBadge([link]);

// Draft-2 clickers number their scores; the server records the numbers that never came
// (docs/clicker.md#missing-scores). Every id with a gap is in one small feed: each tile shows its own.
new Poll<{ senders: Array<{ id: string; missing: number }> }>("/api/clicker/gaps", {
  name: "Missing scores",
  everyMs: 5000,
  onData({ senders }) {
    const missing = new Map(senders.map((s) => [s.id, s.missing]));
    for (const id of board.ids()) board.setMissing(id, missing.get(id) ?? 0);
  },
});

function listen(): void {
  const ids = board.ids();
  // LISTEN needs at least one id; with none the board shows nothing anyway.
  if (ids.length === 0 || !link.send(listenLine(ids))) return;
  awaitingReply = true;
  board.listening();
}

// ---- ids, view and the URL ----

function syncUrl(): void {
  const parts: string[] = [];
  const ids = board.ids();
  if (ids.length) parts.push(`ids=${ids.join(",")}`);
  if (view === "ranked") parts.push("view=ranked");
  if (top) parts.push(`top=${top}`);
  if (timer.seconds !== 60) parts.push(`timer=${timer.seconds}`);
  history.replaceState(null, "", parts.length ? `?${parts.join("&")}` : location.pathname);
}

function showIds(ids: string[]): void {
  board.setIds(ids);
  idsInput.value = ids.join(", ");
  $("#empty").hidden = ids.length > 0;
  if (ids.length) {
    csv.href = `/scores.csv?ids=${ids.join(",")}`;
    csv.removeAttribute("aria-disabled");
  } else {
    csv.removeAttribute("href");
    csv.setAttribute("aria-disabled", "true");
  }
  listen();
}

function applyIds(text: string): boolean {
  const r = parseIds(text);
  if ("bad" in r || "tooMany" in r) {
    idsError.textContent = "bad" in r ? `“${r.bad.slice(0, 20)}” is not a clicker id: ids are 6 digits.` : `At most ${MAX_IDS} ids, got ${r.tooMany}.`;
    idsError.hidden = false;
    idsInput.setAttribute("aria-invalid", "true");
    return false;
  }
  idsError.hidden = true;
  idsInput.removeAttribute("aria-invalid");
  showIds(r.ids);
  return true;
}

$("#ids-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (applyIds(idsInput.value)) syncUrl();
});

function setView(v: View, n: number): void {
  view = v;
  top = n;
  board.setView(v, n);
  $("#view-grid").setAttribute("aria-pressed", String(v === "grid"));
  $("#view-ranked").setAttribute("aria-pressed", String(v === "ranked"));
  $<HTMLSelectElement>("#top").value = String(n);
  // How many to rank matters only in the ranking.
  $("#top").hidden = v !== "ranked";
}
$("#view-grid").addEventListener("click", () => (setView("grid", top), syncUrl()));
$("#view-ranked").addEventListener("click", () => (setView("ranked", top), syncUrl()));
$<HTMLSelectElement>("#top").addEventListener("change", (e) => (setView(view, Number((e.target as HTMLSelectElement).value)), syncUrl()));

// ---- the timer ----

const timer = new EventTimer(
  { root: $("#timer"), title: $("#timer-title"), display: $("#timer-display"), start: $("#timer-start"), stop: $("#timer-stop"), reset: $("#timer-reset") },
  parseDuration(q.get("timer") ?? "") ?? 60,
);
const presets = [...document.querySelectorAll<HTMLButtonElement>("[data-preset]")];
function setTimer(seconds: number): void {
  timer.set(seconds);
  for (const b of presets) b.setAttribute("aria-pressed", String(Number(b.dataset.preset) === seconds));
  const custom = $<HTMLInputElement>("#timer-custom");
  custom.value = PRESETS.includes(seconds) ? "" : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  custom.removeAttribute("aria-invalid");
}
for (const b of presets) b.addEventListener("click", () => (setTimer(Number(b.dataset.preset)), syncUrl()));
$("#timer-custom-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>("#timer-custom");
  const s = parseDuration(input.value);
  if (s === null) {
    input.setAttribute("aria-invalid", "true");
    return;
  }
  setTimer(s);
  syncUrl();
});
// Space starts and stops the timer (a judge at a keyboard), unless typing in a field.
addEventListener("keydown", (e) => {
  const t = e.target as HTMLElement;
  if (e.key !== " " || e.repeat || t.closest("input, select, textarea, button, a")) return;
  e.preventDefault();
  timer.toggle();
});
armAudio();

// ---- start ----

setTimer(timer.seconds);
setView(view, top);
if (!applyIds(q.get("ids") ?? "")) {
  // A bad ?ids= is shown with its error, for the person to correct.
  showIds([]);
  idsInput.value = q.get("ids") ?? "";
}
