// The operator console on "/" for operators (docs/pages.md#the-operator-console): the live state
// of every protocol from the status feed (/api/status/stream), the buzzer pools' buttons over
// /mediator, and the URLs and QR codes that open each page on a phone or another screen.
import { fetchInfo, phoneBase, phoneUrl, type Info } from "../lib/api.ts";
import { $, fill, h } from "../lib/dom.ts";
import { EventStream } from "../lib/events.ts";
import { qrSvg } from "../lib/qr.ts";
import { statusBadge } from "../lib/status.ts";
import type { StatusSnapshot } from "../lib/status-types.ts";
import { clockTime, duration, timeOfDay, typed } from "./format.ts";
import { positionNow, renderClickers, renderEndpoints, renderGroups, renderRelay, renderRooms, renderTiles } from "./panels.ts";
import { PoolsPanel } from "./pools.ts";

/** A URL as text that wraps after its slashes rather than mid-word on a narrow card. */
const wrapped = (url: string) => url.split(/(?<=\/)/).flatMap((part, i) => (i ? [h("wbr"), part] : [part]));

let info: Info | null = null;
let last: StatusSnapshot | null = null;
/** Server clock minus this page's clock (ms), from the latest snapshot. */
let offset = 0;
/** Each panel's data as last drawn: a panel is redrawn only when its part changed. */
const drawn = new Map<string, string>();

const pools = new PoolsPanel($("#pools"), $("#pool-msg"));

const changed = (key: string, part: unknown) => {
  const text = JSON.stringify(part);
  if (drawn.get(key) === text) return false;
  drawn.set(key, text);
  return true;
};

function render(s: StatusSnapshot): void {
  last = s;
  offset = s.ts - Date.now();
  const st = s.server;
  $("#sub").textContent = `Version ${st.version} · up ${duration(st.uptime_s)} · ${timeOfDay(s.ts)}`;
  renderTiles(s);
  if (s.buzzer && changed("buzzer", s.buzzer)) pools.render(s.buzzer);
  if (s.clicker && changed("clicker", s.clicker)) renderClickers($("#clickers"), $("#clicker-note"), s.clicker);
  if (s.metronome && changed("metronome", s.metronome)) renderGroups($("#groups"), s.metronome);
  if (s.syncparty && changed("syncparty", s.syncparty)) renderRooms($("#rooms"), s.syncparty, s.ts);
  if (s.socketio && changed("socketio", s.socketio)) renderRelay($("#relay"), s.socketio);
  renderEndpoints($("#endpoints"), $("#server-facts"), st, info);
  for (const [key, id] of [["buzzer", "#p-buzzer"], ["clicker", "#p-clicker"], ["metronome", "#p-metronome"], ["syncparty", "#p-watch"], ["socketio", "#p-relay"]] as const) {
    $(id).hidden = !(key in s);
  }
}

/** Playing rooms' positions move between snapshots: once a second, computed here. */
setInterval(() => {
  const rooms = last?.syncparty?.rooms;
  if (!rooms || feed.state !== "open") return;
  const now = Date.now() + offset;
  for (const r of rooms) {
    if (r.play_state !== "playing") continue;
    const el = document.querySelector(`[data-pos="${CSS.escape(r.id)}"]`);
    if (el) el.textContent = clockTime(positionNow(r, now));
  }
}, 1000);

function renderOpen(i: Info): void {
  const base = phoneBase(i);
  const pages = [{ path: "/", title: "Start page", summary: "For visitors: what this server is and its pages." }, ...i.pages];
  fill(
    $("#open"),
    pages.map((p) => {
      const url = phoneUrl(i, p.path);
      return h(
        "li",
        { class: "open-card sb-card", "data-page": p.path },
        h("div", { class: "open-qr" }, qrSvg(url, { label: `QR code for ${url}` })),
        h("div", { class: "open-text" }, h("h3", null, p.title), h("p", { class: "sb-muted" }, p.summary), h("a", { class: "open-url sb-mono", href: p.path }, wrapped(typed(url)))),
      );
    }),
  );
  const note = $("#open-note");
  note.hidden = i.lan || base !== i.url;
  note.textContent = "These addresses work only on this machine: the server listens on loopback or has no network. Start it with --host 0.0.0.0 to let phones in.";
  if (last) renderEndpoints($("#endpoints"), $("#server-facts"), last.server, i);
}

let infoStale = true;
const refreshInfo = () => {
  if (!infoStale) return;
  infoStale = false;
  fetchInfo().then(
    (i) => {
      info = i;
      renderOpen(i);
    },
    () => (infoStale = true),
  );
};

/** After the stream failed: a 401/403 means this browser's rights are gone, and retrying is no use. */
async function rightsGone(): Promise<string | null> {
  const r = await fetch("/api/status", { cache: "no-store" });
  if (r.status !== 401 && r.status !== 403) return null;
  const body = (await r.json().catch(() => ({}))) as { message?: string };
  return `no operator rights (${body.message ?? r.status})`;
}

const feed = new EventStream("/api/status/stream", {
  name: "Status",
  events: { status: (data) => render(JSON.parse(data) as StatusSnapshot) },
  check: rightsGone,
});

// While the feed is not live, what is shown is the state of the last snapshot, and says so.
feed.onChange(() => {
  const live = feed.state === "open";
  document.body.dataset.feed = feed.state;
  const stale = $("#stale");
  stale.hidden = live || last === null;
  if (!live && last) stale.textContent = feed.state === "closed" ? `Stopped: ${feed.reason}. Showing the state at ${timeOfDay(last.ts)}.` : `Reconnecting… showing the state at ${timeOfDay(last.ts)}.`;
  if (live) refreshInfo();
  else infoStale = true; // a restarted server may have another address
});
refreshInfo();
statusBadge([feed, pools.socket]);
