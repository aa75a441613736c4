// The phone buzzer /buzz (docs/buzzer.md#the-phone-buzzer): join the phones pool with a name
// (remembered in this browser, with the phone id that keeps the buzzer id across reloads), keep
// estimating the clock offset with sync_time, and press with the instant the touch happened on
// this phone's clock, so a slow Wi-Fi link does not lose the race (docs/buzzer.md#fairness-and-its-limits).
import { colorOf, cssColor, gapText, ordinal, parseFrame, places, PHONES, type MediatorFrame, type OrderEntry, type Winner } from "../lib/buzzer.ts";
import { $ } from "../lib/dom.ts";
import { Socket } from "../lib/socket.ts";
import { statusBadge } from "../lib/status.ts";

const NAME_KEY = "switchboard.buzz.name";
const ID_KEY = "switchboard.buzz.phone_id";

/** What the button says. */
type View = "connecting" | "idle" | "armed" | "pressed" | "first" | "placed" | "locked" | "late" | "taken";

const s = {
  name: localStorage.getItem(NAME_KEY),
  phoneId: localStorage.getItem(ID_KEY),
  buzzer: null as number | null,
  joined: false,
  round: 0,
  armed: false,
  order: [] as OrderEntry[],
  first: null as Winner | null,
  /** A momentary state (a false start, a late press) shown until this time (performance.now()). */
  flash: null as { view: View; until: number } | null,
};

// ---- clock offset (NTP style, docs/buzzer.md#phones-as-buzzers) ----

interface Exchange {
  client_ts: number;
  server_recv_ts: number;
  server_send_ts: number;
  client_recv_ts: number;
}
let lastExchange: Exchange | null = null;
let syncs = 0;
let syncTimer: ReturnType<typeof setTimeout> | null = null;

/** A burst of five exchanges 200 ms apart, then one every 2 s; each reports the one before it. */
function sync(): void {
  if (syncTimer !== null) clearTimeout(syncTimer);
  syncTimer = null;
  if (socket.send({ command: "sync_time", client_ts: performance.now(), previous: lastExchange })) syncs++;
  // Also the retry when a reply is lost.
  syncTimer = setTimeout(sync, 3000);
}
function synced(f: { client_ts: number; server_recv_ts: number; server_send_ts: number }): void {
  lastExchange = { client_ts: f.client_ts, server_recv_ts: f.server_recv_ts, server_send_ts: f.server_send_ts, client_recv_ts: performance.now() };
  if (syncTimer !== null) clearTimeout(syncTimer);
  syncTimer = setTimeout(sync, syncs < 5 ? 200 : 2000);
}

// ---- the connection ----

const socket = new Socket("/mediator", {
  name: "Buzzer",
  onOpen() {
    // A new connection is a new session: join again with the same phone id, start the clock over.
    lastExchange = null;
    syncs = 0;
    s.joined = false;
    // Rejoin by itself, unless the player is typing a new name (the form sends that join).
    if (s.name && $("#join-view").hidden) join(s.name);
    render();
  },
  onClose() {
    s.joined = false;
    if (syncTimer !== null) clearTimeout(syncTimer);
    syncTimer = null;
    render();
  },
  onMessage(data) {
    const f = parseFrame(data);
    if (f) onFrame(f);
  },
});
socket.onChange(render);
statusBadge([socket]);

function join(name: string): void {
  socket.send({ command: "phone_join", name, phone_id: s.phoneId });
}

function onFrame(f: MediatorFrame): void {
  if ("result" in f) {
    if (f.result === "sync_time") return synced({ client_ts: f.client_ts!, server_recv_ts: f.server_recv_ts!, server_send_ts: f.server_send_ts! });
    if (f.result === "phone_join") {
      s.buzzer = f.buzzer!;
      s.phoneId = f.phone_id!;
      s.name = f.name ?? s.name;
      s.joined = true;
      localStorage.setItem(ID_KEY, s.phoneId);
      localStorage.setItem(NAME_KEY, s.name ?? "");
      showBuzz();
      sync();
      socket.send({ list: "round" });
    } else if (f.result === "press") {
      const outcome = f.outcome;
      if (outcome === "false_start" || outcome === "locked_out") flash("locked", 1200);
      else if (outcome === "round_over") flash("late", 1500);
    }
    return render();
  }
  if ("error" in f) {
    if (f.error === "phone" && s.joined && f.message?.startsWith("join first")) {
      s.joined = false; // another tab or reload joined with this phone id: it plays now
      s.flash = { view: "taken", until: Infinity };
    } else if (f.error === "phone" || (f.error === "invalid_data_type" && f.cause === "name")) {
      showJoin(f.cause === "name" ? "Please type a name with at least one letter or number." : f.message ?? "Could not join.");
    }
    return render();
  }
  if ("response" in f && f.response === "round") {
    Object.assign(s, { round: f.round, armed: f.armed, order: f.order, first: f.first });
    return render();
  }
  if (!("event" in f)) return;
  switch (f.event) {
    case "armed":
      Object.assign(s, { round: f.round, armed: true, order: [], first: null, flash: keepTaken() });
      return render();
    case "reset":
      Object.assign(s, { round: f.round, armed: false, order: [], first: null, flash: keepTaken() });
      return render();
    case "order":
      if (f.round < s.round) return;
      if (f.round > s.round) Object.assign(s, { round: f.round, armed: true, first: null });
      s.order = f.order;
      return render();
    case "first":
      if (f.round === s.round) s.first = { pool: f.pool, buzzer: f.buzzer, name: f.name, ts: f.ts };
      return render();
  }
}

const keepTaken = () => (s.flash?.view === "taken" ? s.flash : null);

function flash(view: View, ms: number): void {
  s.flash = { view, until: performance.now() + ms };
  setTimeout(render, ms + 10);
}

// ---- pressing ----

function press(at: number): void {
  if (s.flash?.view === "taken") {
    // Take the buzzer back on this screen.
    s.flash = null;
    if (s.name) join(s.name);
    return render();
  }
  if (!s.joined) return;
  const btn = $("#buzz");
  btn.classList.remove("hit");
  void btn.offsetWidth; // restart the animation
  btn.classList.add("hit");
  if ("vibrate" in navigator) navigator.vibrate(35);
  socket.send({ command: "press", client_ts: at });
}

const button = $<HTMLButtonElement>("#buzz");
// pointerdown, not click: a click comes when the finger lifts. The event's timeStamp is the touch
// on the performance.now() clock, the clock the sync_time exchanges use.
button.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  press(e.timeStamp);
});
button.addEventListener("contextmenu", (e) => e.preventDefault()); // a long press is not a menu
addEventListener("keydown", (e) => {
  if ($("#buzz-view").hidden || e.repeat || (e.key !== " " && e.key !== "Enter")) return;
  e.preventDefault();
  press(e.timeStamp);
});

// ---- views ----

function showJoin(error: string | null = null): void {
  $("#app").dataset.view = "join";
  $("#join-view").hidden = false;
  $("#buzz-view").hidden = true;
  const input = $<HTMLInputElement>("#name");
  if (!input.value && s.name) input.value = s.name;
  const err = $("#join-error");
  err.hidden = error === null;
  err.textContent = error ?? "";
  input.focus();
}

function showBuzz(): void {
  $("#app").dataset.view = "buzz";
  $("#join-view").hidden = true;
  $("#buzz-view").hidden = false;
  (document.activeElement as HTMLElement | null)?.blur();
}

$("#join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $<HTMLInputElement>("#name").value.trim();
  if (!name) return showJoin("Please type a name.");
  s.name = name;
  localStorage.setItem(NAME_KEY, name);
  if (!socket.send({ command: "phone_join", name, phone_id: s.phoneId })) showJoin("Not connected yet: it joins as soon as the server answers.");
});
$("#change").addEventListener("click", () => {
  $<HTMLInputElement>("#name").value = s.name ?? "";
  showJoin();
});

/** The button's state now. */
function view(): View {
  if (s.flash && (s.flash.until === Infinity || performance.now() < s.flash.until)) return s.flash.view;
  if (!s.joined || socket.state !== "open") return "connecting";
  const mine = places(s.order, s.first).find((p) => p.entry.pool === PHONES && p.entry.buzzer === s.buzzer);
  if (mine) return !s.first ? "pressed" : mine.place === 1 ? "first" : "placed";
  return s.armed ? "armed" : "idle";
}

const TEXT: Record<Exclude<View, "placed">, [string, string]> = {
  connecting: ["Connecting…", "hold on"],
  idle: ["Wait…", "for the question"],
  armed: ["BUZZ!", "tap anywhere here"],
  pressed: ["Pressed", "waiting for the others…"],
  first: ["first!", "you were fastest"],
  locked: ["Too early!", "locked out for a moment: wait for the question"],
  late: ["Too late", "that question is over"],
  taken: ["Playing on another screen", "tap to play here"],
};

function render(): void {
  if (s.buzzer !== null) $("#app").style.setProperty("--me", cssColor(colorOf(PHONES, s.buzzer)));
  $("#me-name").textContent = s.name ?? "";
  const v = view();
  button.dataset.state = v;
  const place = $("#place");
  const hint = $("#hint");
  if (v === "placed") {
    const mine = places(s.order, s.first).find((p) => p.entry.pool === PHONES && p.entry.buzzer === s.buzzer)!;
    place.replaceChildren(ordinal(mine.place), " ", Object.assign(document.createElement("span"), { className: "gap", textContent: gapText(mine.gap) }));
    hint.textContent = s.first ? `behind ${s.first.name ?? (s.first.pool === PHONES ? `phone ${s.first.buzzer}` : `buzzer ${s.first.buzzer}`)}` : "";
  } else {
    [place.textContent, hint.textContent] = TEXT[v];
  }
}

if (s.name) showBuzz();
else showJoin();
render();
