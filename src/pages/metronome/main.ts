// The metronome page /metronome (docs/pages.md#the-metronome-page): one phone creates a group and
// leads it, the others join with ?group=N; every phone clicks through WebAudio on the beat grid
// the server sends in this page's clock, which the page keeps telling the server with sync_time.
import { fetchInfo, phoneUrl } from "../lib/api.ts";
import { audio, unlockAudio } from "../lib/beep.ts";
import { $, fill, h } from "../lib/dom.ts";
import { qrSvg } from "../lib/qr.ts";
import { Socket } from "../lib/socket.ts";
import { statusBadge } from "../lib/status.ts";
import { AudioClock, pageNow } from "./audio-clock.ts";
import { Clicker } from "./clicks.ts";
import { barPos, beatAtOrBefore, tapTempo } from "./grid.ts";
import { ClockView, Rpc, syncClock } from "./rpc.ts";

const OWNER_KEY = "sb-metronome-owner";
const SETTINGS_KEY = "sb-metronome";
const RESYNC_MS = 15_000;
const RETRY_JOIN_MS = 3000;

const params = new URLSearchParams(location.search);
const joinId = Number(params.get("group"));
let mode: "landing" | "owner" | "member" = Number.isInteger(joinId) && joinId > 0 ? "member" : sessionStorage.getItem(OWNER_KEY) ? "owner" : "landing";
let groupId: number | null = mode === "member" ? joinId : null;
let clientId: number | null = null;
let ready = false; // get_id done and the clock reported, on the current link
let session = 0;
let message = "";

const saved = (() => {
  try {
    return JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "{}") as { bpm?: number; beats?: number };
  } catch {
    return {};
  }
})();
let bpm = saved.bpm ?? 120;
const clicker = new Clicker();
clicker.beatsPerBar = saved.beats ?? 4;
const view = new ClockView();
let clock: AudioClock | null = null;

const save = () => localStorage.setItem(SETTINGS_KEY, JSON.stringify({ bpm, beats: clicker.beatsPerBar }));

// ---- the link -----------------------------------------------------------------------------

const rpc = new Rpc(
  (frame) => socket.send(frame),
  (method, p) => {
    if (method === "play_sound" && p && typeof p.start_ts === "number" && typeof p.bpm === "number") {
      clicker.play(p.start_ts, p.bpm);
      heard = true;
      render();
    } else if (method === "stop_sound") {
      clicker.stop();
      render();
    } else if (method === "get_time") return { status: "success", ts_ms: pageNow() };
    return { status: "success" };
  },
);
let heard = false; // a play_sound came since the last subscribe

const socket = new Socket("/metronome", {
  name: "Metronome",
  onOpen: () => void hello(++session),
  onMessage: (data) => typeof data === "string" && rpc.receive(data),
  onClose: () => {
    session++;
    ready = false;
    rpc.reset();
    render();
  },
});

/** After every (re)connect: an id, the clock, then the group (a reconnect is a new session). */
async function hello(s: number): Promise<void> {
  const current = () => s === session;
  const stored = Number(sessionStorage.getItem(OWNER_KEY));
  // A leader asks its old id back, so its group keeps its number (docs/metronome.md#old-ids).
  const id = await rpc.call("get_id", mode === "owner" && stored > 0 ? { client_id: stored } : { time_utc: pageNow() });
  if (!current() || !id.ok) return;
  clientId = id.result.client_id as number;
  if (!(await syncClock(rpc, view, 5, current))) return;
  ready = true;
  render();
  await enterGroup(s);
}

async function enterGroup(s: number): Promise<void> {
  if (s !== session || !ready) return;
  if (mode === "owner") {
    const r = await rpc.call("create_group", { time_utc: pageNow() });
    if (s !== session || !r.ok) return;
    groupId = r.result.group_id as number;
    sessionStorage.setItem(OWNER_KEY, String(groupId));
    // A group made now is silent: while this link was down the group ended and the band stopped.
    clicker.stop();
  } else if (mode === "member" && groupId !== null) {
    heard = false;
    const r = await rpc.call("subscribe_to_group", { group_id: groupId });
    if (s !== session) return;
    if (!r.ok) {
      message = r.error === "group is not exist" ? `Waiting for group ${groupId} to start…` : r.error;
      render();
      setTimeout(() => void enterGroup(s), RETRY_JOIN_MS);
      return;
    }
    message = "";
    // A playing group answers with play_sound at once; none means it is silent now (a stop may
    // have been missed while the link was down).
    setTimeout(() => s === session && !heard && (clicker.stop(), render()), 1500);
  }
  render();
}

setInterval(() => {
  const s = session;
  if (ready) void syncClock(rpc, view, 1, () => s === session).then(render);
}, RESYNC_MS);

// ---- owner controls -----------------------------------------------------------------------

async function control(method: "start_metronome" | "update_temp" | "stop_metronome"): Promise<void> {
  if (groupId === null) return;
  const p: Record<string, unknown> = { group_id: groupId, current_client_ts: pageNow() };
  if (method !== "stop_metronome") p.bpm = bpm;
  const r = await rpc.call(method, p);
  message = r.ok ? "" : r.error === "not connected" || r.error === "disconnected" ? "Not connected: try again in a moment" : r.error;
  render();
}

function setBpm(value: number, send: boolean): void {
  if (!Number.isFinite(value)) return;
  bpm = Math.min(400, Math.max(20, Math.round(value)));
  save();
  ($("#bpm") as HTMLInputElement).value = String(bpm);
  render();
  if (send && clicker.grid) void control("update_temp");
}

let taps: number[] = [];
let tapTimer: ReturnType<typeof setTimeout> | null = null;
function tap(): void {
  const t = performance.now();
  if (taps.length && t - taps[taps.length - 1]! > 2000) taps = [];
  taps.push(t);
  const b = tapTempo(taps);
  if (b === null) return;
  setBpm(b, false);
  // While playing, the new tempo goes out once the tapping pauses.
  if (tapTimer !== null) clearTimeout(tapTimer);
  tapTimer = setTimeout(() => clicker.grid && void control("update_temp"), 900);
}

// ---- sound --------------------------------------------------------------------------------

async function startSound(): Promise<void> {
  await unlockAudio();
  const ctx = audio();
  if (!clock) {
    clock = new AudioClock(ctx);
    ctx.addEventListener("statechange", render);
  }
  clock.start();
  clicker.attach(clock);
  render();
}

// ---- the screen ---------------------------------------------------------------------------

let shownQr = "";
let info: Awaited<ReturnType<typeof fetchInfo>> | null = null;
fetchInfo().then(
  (i) => ((info = i), render()),
  () => {},
);

function render(): void {
  $(".metro").dataset.mode = mode;
  $("#landing").hidden = mode !== "landing";
  $("#stage").hidden = mode === "landing";
  if (mode === "landing") {
    $("#role").textContent = "Every phone in the band clicks on the same beat.";
    return;
  }
  const g = clicker.grid;
  const owner = mode === "owner";
  $("#role").textContent = groupId === null ? "Connecting…" : owner ? `You lead group ${groupId}` : `Following group ${groupId}`;
  $("#controls").hidden = !owner;
  $("#group").textContent = groupId === null ? "…" : String(groupId);
  $("#tempo").textContent = String(g ? Math.round(g.bpm * 10) / 10 : bpm);
  $("#beat-panel").dataset.playing = String(g !== null);
  $("#state").textContent = message && !owner ? message : g ? `Playing at ${Math.round(g.bpm * 10) / 10} bpm` : ready ? (owner ? "Stopped: press Start" : "Waiting for the leader to start") : "Connecting…";
  ($("#start") as HTMLButtonElement).textContent = g ? "Restart" : "Start";
  ($("#start") as HTMLButtonElement).disabled = !ready || groupId === null;
  ($("#stop") as HTMLButtonElement).disabled = !ready || groupId === null;
  $("#msg").textContent = owner ? message : "";
  const running = clock !== null && audio().state === "running";
  $("#sound").hidden = running;
  $("#sound-on").hidden = !running;
  const b = view.best;
  $("#clock").textContent = b ? `Clock synced (±${Math.max(1, Math.ceil(b.rtt / 2))} ms)` : "Syncing the clock…";
  if (groupId !== null && info) {
    const url = phoneUrl(info, `/metronome?group=${groupId}`);
    if (url !== shownQr) {
      shownQr = url;
      fill($("#qr"), qrSvg(url, { label: `QR code to join group ${groupId}` }));
      $("#join-url").textContent = url.replace(/^https?:\/\//, "");
    }
  }
}

/** The beat dots, every frame: the beat now sounding lit, the first of the bar larger. */
let lastLit = "";
function frame(): void {
  requestAnimationFrame(frame);
  const n = clicker.beatsPerBar;
  const dots = $("#dots");
  if (dots.childElementCount !== n) fill(dots, Array.from({ length: n }, (_, i) => h("li", { class: i === 0 ? "one" : "" })));
  const g = clicker.grid;
  const k = g ? beatAtOrBefore(g, pageNow()) : -1;
  const lit = g && k >= 0 ? `${g.startMs}:${k}:${barPos(g, k, n)}` : "";
  if (lit === lastLit) return;
  lastLit = lit;
  const pos = g && k >= 0 ? barPos(g, k, n) : -1;
  [...dots.children].forEach((d, i) => d.classList.toggle("lit", i === pos));
  $("#beat-panel").classList.toggle("accent", pos === 0);
}

// ---- wiring -------------------------------------------------------------------------------

const beats = $("#beats") as HTMLSelectElement;
fill(beats, Array.from({ length: 12 }, (_, i) => h("option", { value: i + 1, selected: i + 1 === clicker.beatsPerBar }, String(i + 1))));
beats.addEventListener("change", () => {
  clicker.beatsPerBar = Number(beats.value);
  clicker.rebar();
  save();
  render();
});
$("#downbeat").addEventListener("click", () => clicker.shift());
$("#sound").addEventListener("click", () => void startSound());
$("#create").addEventListener("click", () => {
  mode = "owner";
  sessionStorage.setItem(OWNER_KEY, "0");
  render();
  void enterGroup(session);
});
$("#join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const n = Number(($("#join-group") as HTMLInputElement).value);
  if (Number.isInteger(n) && n > 0) location.search = `?group=${n}`;
});
$("#leave").addEventListener("click", () => sessionStorage.removeItem(OWNER_KEY));
const bpmField = $("#bpm") as HTMLInputElement;
bpmField.value = String(bpm);
bpmField.addEventListener("change", () => setBpm(Number(bpmField.value), true));
$("#slower").addEventListener("click", () => setBpm(bpm - 5, true));
$("#faster").addEventListener("click", () => setBpm(bpm + 5, true));
$("#tap").addEventListener("click", tap);
$("#start").addEventListener("click", () => void control("start_metronome"));
$("#stop").addEventListener("click", () => void control("stop_metronome"));

statusBadge([socket]);
render();
requestAnimationFrame(frame);

/**
 * Read-only view for tests and kiosk scripts (docs/pages.md#the-metronome-page): the clicks
 * scheduled, and the page's own mapping from context time to page time (ms since the epoch).
 */
Object.defineProperty(window, "sbMetronome", {
  value: Object.freeze({
    clicks: () => clicker.log.map(({ k, startTs, bpm, pageMs, when, accent }) => ({ k, startTs, bpm, pageMs, when, accent })),
    toPageMs: (when: number) => clock?.toPage(when) ?? null,
    mapping: () => (clock ? { source: clock.source, offsetMs: clock.offsetMs } : null),
    clientId: () => clientId,
    clockOffsetMs: () => view.best?.offset ?? null,
  }),
});
