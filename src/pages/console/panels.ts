// The operator console's panels (docs/pages.md#the-operator-console): one render function per
// part of the status feed, each replacing its panel's content. Text always goes in as text.
import type { Info } from "../lib/api.ts";
import { fill, h } from "../lib/dom.ts";
import type { ClickerStatus, MetronomeStatus, ServerStatus, SocketioStatus, StatusSnapshot, SyncpartyStatus } from "../lib/status-types.ts";
import { clockTime, count, duration } from "./format.ts";

const empty = (text: string) => h("p", { class: "empty sb-muted" }, text);
const pill = (text: string, kind: "ok" | "warn" | "bad" | "idle" | "info") => h("span", { class: `pill ${kind}` }, text);
const more = (shown: number, total: number, what: string) => (total > shown ? h("p", { class: "more sb-muted" }, `and ${total - shown} more ${what}`) : null);

export function renderTiles(s: StatusSnapshot): void {
  const set = (id: string, value: string, sub: string, state: "ok" | "warn" | "bad" | "" = "") => {
    const t = document.getElementById(id);
    if (!t) return;
    t.querySelector(".tile-value")!.textContent = value;
    t.querySelector(".tile-sub")!.textContent = sub;
    t.dataset.state = state;
  };
  const conns = Object.values(s.server.connections).reduce((a, b) => a + b, 0);
  const max = s.server.limits.max_connections;
  set("t-conn", String(conns), max === null ? "no cap" : `cap ${max}`);
  const b = s.buzzer;
  if (b) {
    const buzzers = b.pools.reduce((n, p) => n + (p.state === "connected" ? p.buzzers.length : 0), 0);
    const down = b.pools.some((p) => p.state === "down");
    set("t-pools", String(b.connected_count), down ? "a pool is down" : count(buzzers, "buzzer"), down ? "warn" : "");
  }
  const c = s.clicker;
  if (c) set("t-clickers", String(c.online_count), `${count(c.today_total, "score")} today`);
  const m = s.metronome;
  if (m) set("t-groups", String(m.group_count), `${m.group_count === 1 ? "group" : "groups"}, ${m.groups.filter((g) => g.playing).length} playing`);
  const w = s.syncparty;
  if (w) set("t-rooms", String(w.room_count), count(w.participant_count, "viewer"));
  const r = s.socketio;
  if (r) set("t-monitors", String(r.monitor_count), `${r.pending_total} pending`);
  const st = s.server.store;
  set("t-store", st.status === "ok" ? "OK" : st.status, st.status === "ok" ? "writing" : st.error ?? `${st.pending} waiting`, st.status === "ok" ? "ok" : st.status === "stalled" ? "bad" : "warn");
}

export function renderGroups(el: HTMLElement, m: MetronomeStatus): void {
  if (!m.groups.length) return fill(el, empty("No groups. A phone on the metronome page creates one."));
  fill(
    el,
    m.groups.map((g) =>
      h(
        "div",
        { class: "row", "data-group": g.id },
        h(
          "div",
          { class: "row-main" },
          h("strong", null, `Group ${g.id}`),
          h("span", { class: "meta" }, `owner ${g.owner} · ${count(g.member_count, "member")}: ${g.members.join(", ")}`),
        ),
        h("div", { class: "row-side" }, h("span", { class: "big" }, g.bpm === null ? "– bpm" : `${g.bpm} bpm`), g.playing ? pill("playing", "ok") : pill("stopped", "idle")),
      ),
    ),
    more(m.groups.length, m.group_count, "groups"),
  );
}

/** A room's position now, from the feed's position, when it held, and the clock offset to the server. */
export const positionNow = (r: SyncpartyStatus["rooms"][number], serverNow: number) =>
  r.play_state === "playing" ? r.position + Math.max(0, serverNow - r.position_at) / 1000 : r.position;

export function renderRooms(el: HTMLElement, w: SyncpartyStatus, serverNow: number): void {
  if (!w.rooms.length) return fill(el, empty("No rooms. A watch-party client creates one."));
  fill(
    el,
    w.rooms.map((r) => {
      const people = r.participants.map((p) => (p.is_host ? `${p.name || p.client_id} (host)` : p.name || p.client_id)).join(", ");
      return h(
        "div",
        { class: "row", "data-room": r.id },
        h(
          "div",
          { class: "row-main" },
          h("strong", null, r.id, r.private ? pill("private", "info") : null, r.free_play ? pill("free play", "info") : null),
          h("span", { class: "meta" }, `host ${r.host} · ${r.participant_count ? `${count(r.participant_count, "viewer")}: ${people}` : "empty (waiting for its host)"}`),
          r.media_url ? h("span", { class: "meta sb-mono url" }, r.media_url) : null,
        ),
        h(
          "div",
          { class: "row-side" },
          h("span", { class: "big pos", "data-pos": r.id }, clockTime(positionNow(r, serverNow))),
          r.play_state === "playing" ? pill("playing", "ok") : pill("paused", "idle"),
        ),
      );
    }),
    more(w.rooms.length, w.room_count, "rooms"),
  );
}

export function renderClickers(el: HTMLElement, note: HTMLElement, c: ClickerStatus): void {
  note.textContent = `today: since midnight · ${count(c.listeners, "scoreboard")} listening`;
  if (!c.devices.length) return fill(el, empty("No clicker is connected or has scored today."));
  fill(
    el,
    h(
      "table",
      { class: "list" },
      h("thead", null, h("tr", null, h("th", null, "Clicker"), h("th", null, "State"), h("th", { class: "num" }, "Latest"), h("th", { class: "num" }, "Today"))),
      h(
        "tbody",
        null,
        c.devices.map((d) =>
          h(
            "tr",
            { "data-clicker": d.id, class: d.online ? "" : "off" },
            h("td", { class: "sb-mono" }, d.id),
            h("td", null, d.online ? pill("online", "ok") : pill("offline", "idle")),
            h("td", { class: "num big latest" }, d.latest ? String(d.latest.score) : "–"),
            h("td", { class: "num today" }, String(d.today)),
          ),
        ),
      ),
    ),
    more(c.devices.length, c.device_count, "clickers"),
  );
}

export function renderRelay(el: HTMLElement, r: SocketioStatus): void {
  if (!r.loaded) return fill(el, empty("Nobody has connected over Socket.IO yet."));
  const byMonitor = new Map<string, number>();
  for (const u of r.users) byMonitor.set(u.monitor_id ?? "", (byMonitor.get(u.monitor_id ?? "") ?? 0) + 1);
  const idle = byMonitor.get("") ?? 0;
  const users = h(
    "p",
    { class: "users sb-muted" },
    r.user_count ? `${count(r.user_count, "user")}` + (idle ? `, ${idle} not watching a monitor` : "") : "No users connected.",
  );
  if (!r.monitors.length) return fill(el, empty("No monitors online."), users);
  fill(
    el,
    r.monitors.map((m) =>
      h(
        "div",
        { class: "row", "data-monitor": m.monitor_id },
        h(
          "div",
          { class: "row-main" },
          h("strong", { class: "sb-mono" }, m.monitor_id),
          h("span", { class: "meta" }, m.users ? `${count(m.users, "user")} watching` : "no user watching"),
          m.pending.length
            ? h("ul", { class: "cmds" }, m.pending.slice(0, 5).map((c) => h("li", { class: "sb-mono" }, h("span", { class: "cmd-id" }, c.id), " ", c.command)))
            : null,
        ),
        h("div", { class: "row-side" }, m.online ? pill("online", "ok") : pill("offline", "bad"), h("span", { class: "pending" }, `${m.pending_count} pending`)),
      ),
    ),
    users,
  );
}

/** The /healthz connection keys as the panels call them. */
const NAMES: Record<string, string> = { metronome: "metronome", syncparty: "watch party", clicker: "clickers", socketio: "Socket.IO relay", buzzer: "buzzer mediator" };

export function renderEndpoints(el: HTMLElement, facts: HTMLElement, s: ServerStatus, info: Info | null): void {
  const rows = (info?.endpoints ?? []).filter((e) => e.connections !== null);
  const known = rows.length ? rows.map((e) => ({ path: e.path, what: NAMES[e.connections!] ?? e.connections!, title: e.protocol, key: e.connections! })) : Object.keys(s.connections).map((k) => ({ path: k, what: "", title: k, key: k }));
  fill(
    el,
    h(
      "table",
      { class: "list endpoints" },
      h(
        "tbody",
        null,
        known.map((e) => {
          const n = s.connections[e.key] ?? 0;
          return h("tr", { "data-endpoint": e.key, title: e.title }, h("td", null, h("code", null, e.path), h("span", { class: "what sb-muted" }, e.what)), h("td", { class: `num big${n ? " live" : ""}` }, String(n)));
        }),
      ),
    ),
  );
  const l = s.limits;
  fill(
    facts,
    h("p", null, `Up ${duration(s.uptime_s)}, since ${new Date(s.started_at).toLocaleString()}`),
    h("p", null, `Caps: ${l.max_connections ?? "no"} connections, ${l.max_connections_per_ip ?? "no cap"} per address, ${l.open_files_soft ?? "?"} open files`),
  );
}
