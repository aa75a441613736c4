// The synced video player /watch (docs/pages.md#the-watch-page): a room's host plays, pauses and
// seeks; every other screen in the room follows, nudging its speed for small drift and seeking
// past 0.5 s. The page is an OpenSyncParty client of /OpenSyncParty/ws (docs/syncparty.md).
import { fetchInfo, phoneUrl } from "../lib/api.ts";
import { $, fill, h } from "../lib/dom.ts";
import { qrSvg } from "../lib/qr.ts";
import { Socket } from "../lib/socket.ts";
import { statusBadge } from "../lib/status.ts";
import { clientId, forgetSeat, listMedia, readSeat, writeSeat } from "./seats.ts";
import { clock, correction, playableUrl, ServerClock, targetPosition, type Reference } from "./sync.ts";

const pageNow = () => performance.timeOrigin + performance.now();
let me = clientId();
const myName = () => `Screen ${me.slice(-4)}`;

let roomId: string | null = new URLSearchParams(location.search).get("room");
let creating: { media: string; room: string | null } | null = null;
let room: { host: string; media: string; participants: { client_id: string; name: string; is_host: boolean }[] } | null = null;
let ref: Reference | null = null;
/** The host's video has been brought to the room's position once: from then on it is the truth. */
let aligned = false;
let message = "";
const server = new ServerClock();
const video = $("#video") as HTMLVideoElement;
const isHost = () => room !== null && room.host === me;


// ---- the link -----------------------------------------------------------------------------

const send = (type: string, payload: Record<string, unknown>) => socket.send({ type, room: roomId, client: me, payload, ts: Date.now() });

function hello(): void {
  for (let i = 0; i < 5; i++) setTimeout(ping, i * 200);
  if (creating) {
    // A host opening its room again (after a server restart) starts it where its film is.
    const start = roomId && loaded ? Math.round(video.currentTime * 1000) / 1000 : 0;
    const payload = { media_url: creating.media, start_pos: start, name: myName(), options: {} };
    socket.send({ type: "create_room", ...(creating.room ? { room: creating.room } : {}), client: me, payload, ts: Date.now() });
  } else if (roomId) {
    const seat = readSeat(roomId);
    send("join_room", { name: myName(), ...(seat ? { resume_token: seat.token } : {}) });
  }
}

const ping = () => socket.send({ type: "ping", client: me, payload: { client_ts: pageNow() }, ts: Date.now() });
setInterval(ping, 3000);

interface Envelope {
  type: string;
  room: string | null;
  client: string | null;
  payload: Record<string, any> | null;
  server_ts: number;
}

function receive(m: Envelope): void {
  const p = m.payload ?? {};
  switch (m.type) {
    case "pong":
      return server.add(p.client_ts, m.server_ts, pageNow());
    case "room_state": {
      roomId = p.room;
      creating = null;
      message = "";
      room = { host: p.host_id, media: p.media_url ?? "", participants: p.participants ?? [] };
      ref = { position: p.state.position, playing: p.state.play_state === "playing", serverTs: m.server_ts };
      const seat = readSeat(roomId!);
      writeSeat(roomId!, { ...seat, token: p.resume_token });
      if (new URLSearchParams(location.search).get("room") !== roomId) history.replaceState(null, "", `/watch?room=${encodeURIComponent(roomId!)}`);
      load(room.media);
      if (isHost() && aligned) report("state_update"); // our film leads: the room hears it at once
      break;
    }
    case "player_event":
      if (!ref) return;
      ref = { position: p.position, playing: p.action === "play" ? true : p.action === "pause" ? false : ref.playing, serverTs: m.server_ts };
      break;
    case "state_update":
      ref = { position: p.position, playing: p.play_state === "playing", serverTs: m.server_ts };
      break;
    case "participants_update":
      if (room) room.participants = p.participants ?? [];
      break;
    case "host_change":
      if (room) room.host = p.host_id;
      break;
    case "error":
      return failed(p.code, p.message);
  }
  render();
  follow();
}

function failed(code: string, text: string): void {
  const seat = roomId ? readSeat(roomId) : null;
  if (code === "room_missing" && roomId) {
    // The server restarted (or the room timed out): its host opens it again where it was.
    if (seat?.hosted) creating = { media: seat.hosted.media, room: roomId };
    else message = `Room ${roomId} is not open. Waiting for its host…`;
    setTimeout(() => socket.state === "open" && hello(), creating ? 0 : 3000);
  } else if (code === "forbidden" && !creating && roomId) {
    // Our id's seat is held by another tab: join as a new screen instead.
    forgetSeat(roomId);
    me = clientId(true);
    hello();
  } else if (code === "room_exists" && creating) {
    creating = null;
    roomId = null;
    $("#create-msg").textContent = "A room with that name exists already: choose another name, or join it.";
  } else message = text;
  render();
}

const socket = new Socket("/OpenSyncParty/ws", {
  name: "Watch party",
  onOpen: hello,
  onMessage: (data) => {
    if (typeof data !== "string") return;
    try {
      receive(JSON.parse(data) as Envelope);
    } catch {
      // not ours to handle
    }
  },
  onClose: render,
});

// ---- the video ----------------------------------------------------------------------------

let loaded = "";
function load(media: string): void {
  const url = playableUrl(media, location.href);
  if (!url) {
    message = media ? "This room's video address cannot be played here." : "This room has no video.";
    return;
  }
  if (url === loaded) return;
  loaded = url;
  aligned = false;
  video.src = url;
}

/** play(), falling back to muted (browsers refuse sound until the person touches the page). */
function play(): void {
  video.play().catch((err: DOMException) => {
    if (err.name !== "NotAllowedError") return;
    video.muted = true;
    $("#unmute").hidden = false;
    video.play().catch(() => {});
  });
}

let seekStarted = 0;
let seekCost = 0; // how long the last seek took (s): a playing follower aims that far ahead
video.addEventListener("seeking", () => (seekStarted = performance.now()));
video.addEventListener("seeked", () => {
  seekCost = Math.min(1, (performance.now() - seekStarted) / 1000);
  if (isHost() && aligned) report("player_event", "seek");
});
video.addEventListener("play", () => isHost() && aligned && report("player_event", "play"));
video.addEventListener("pause", () => isHost() && aligned && report("player_event", "pause"));
video.addEventListener("loadedmetadata", () => follow());
video.addEventListener("error", () => {
  message = "The video could not be loaded.";
  render();
});
for (const e of ["timeupdate", "durationchange", "loadedmetadata", "play", "pause", "ratechange"]) video.addEventListener(e, () => renderTime());

/** The host tells the room where its video is. */
function report(type: "player_event" | "state_update", action?: "play" | "pause" | "seek"): void {
  const playing = !video.paused && !video.ended;
  const position = Math.round(video.currentTime * 1000) / 1000;
  if (type === "player_event") send("player_event", { action, position });
  else send("state_update", { position, play_state: playing ? "playing" : "paused" });
  ref = { position, playing: action ? action === "play" || (action === "seek" && playing) : playing, serverTs: pageNow() + server.offset };
  if (roomId && room) writeSeat(roomId, { ...readSeat(roomId)!, hosted: { media: room.media, position, playing } });
}

/** Every 250 ms: a follower (and a host until aligned) moves towards the host's position. */
function follow(): void {
  if (!ref || !room || video.readyState < 1 || video.seeking) return;
  if (isHost() && aligned) return;
  const target = targetPosition(ref, pageNow() + server.offset, video.duration);
  if (ref.playing && video.paused && target < video.duration) play();
  if (!ref.playing && !video.paused) video.pause();
  const c = correction(video.currentTime, target, ref.playing && target < video.duration);
  if (c.kind === "seek") {
    video.playbackRate = 1;
    video.currentTime = Math.min(video.duration, c.to + (ref.playing ? seekCost : 0));
  } else video.playbackRate = c.rate;
  const drift = video.currentTime - target;
  if (isHost()) {
    // A host back from a reload is in place: from now on its video leads.
    if (Math.abs(drift) < 0.1 && video.paused === !ref.playing) {
      aligned = true;
      report("state_update");
    }
    return;
  }
  $("#follow-state").textContent = !ref.playing ? "Paused by the host" : Math.abs(drift) <= 0.1 ? "In step with the host" : "Catching up…";
  $("#drift").textContent = `${drift >= 0 ? "+" : "−"}${Math.abs(drift * 1000).toFixed(0)} ms`;
}
setInterval(follow, 250);
setInterval(() => isHost() && aligned && video.readyState >= 1 && report("state_update"), 1000);

// ---- host controls ------------------------------------------------------------------------

const seek = $("#seek") as HTMLInputElement;
let dragging = false;
/** The host's own hand on the controls: its video leads from now on, aligned or not. */
const lead = () => {
  aligned = true;
  return true;
};
const toggle = () => lead() && (video.paused ? play() : video.pause());
const jump = (by: number) => lead() && (video.currentTime = Math.min(video.duration || 0, Math.max(0, video.currentTime + by)));
$("#play").addEventListener("click", toggle);
$("#back").addEventListener("click", () => jump(-10));
$("#fwd").addEventListener("click", () => jump(10));
seek.addEventListener("input", () => ((dragging = true), renderTime()));
seek.addEventListener("change", () => {
  dragging = false;
  lead();
  video.currentTime = Number(seek.value);
});
addEventListener("keydown", (e) => {
  if (!isHost() || !aligned || (e.target as HTMLElement).closest("input, select, button")) return;
  if (e.key === " " || e.key === "k") toggle();
  else if (e.key === "ArrowLeft") jump(-10);
  else if (e.key === "ArrowRight") jump(10);
  else return;
  e.preventDefault();
});
$("#unmute").addEventListener("click", () => {
  video.muted = false;
  $("#unmute").hidden = true;
  if (ref?.playing && video.paused) play();
});

// ---- the screen ---------------------------------------------------------------------------

let info: Awaited<ReturnType<typeof fetchInfo>> | null = null;
fetchInfo().then((i) => ((info = i), render()), () => {});
let shownQr = "";

function renderTime(): void {
  const d = Number.isFinite(video.duration) ? video.duration : 0;
  seek.max = String(d);
  if (!dragging) seek.value = String(video.currentTime);
  $("#time").textContent = `${clock(dragging ? Number(seek.value) : video.currentTime)} / ${clock(d)}`;
  $("#play").textContent = video.paused ? "Play" : "Pause";
}

function render(): void {
  const inRoom = roomId !== null || creating !== null;
  $(".watch").dataset.mode = inRoom ? "room" : "landing";
  $("#landing").hidden = inRoom;
  $("#room").hidden = !inRoom;
  if (!inRoom) return;
  const host = isHost();
  const hostName = room?.participants.find((p) => p.client_id === room!.host)?.name ?? room?.host;
  $("#role").textContent = !room ? (creating ? "Opening the room…" : `Joining room ${roomId}…`) : host ? "Host: your controls play every screen" : `Following ${hostName}`;
  $("#controls").hidden = !host;
  $("#follow").hidden = host || !room;
  $("#room-id").textContent = roomId ?? "…";
  $("#msg").textContent = message;
  const people = room?.participants ?? [];
  $("#count").textContent = people.length ? `(${people.length})` : "";
  fill(
    $("#people"),
    people.map((p) => h("li", { class: p.is_host ? "host" : "" }, p.name, p.is_host ? h("span", { class: "tag" }, "host") : null, p.client_id === me ? h("span", { class: "tag you" }, "you") : null)),
  );
  if (roomId && info) {
    const url = phoneUrl(info, `/watch?room=${encodeURIComponent(roomId)}`);
    if (url !== shownQr) {
      shownQr = url;
      fill($("#qr"), qrSvg(url, { label: `QR code to join room ${roomId}` }));
      $("#join-url").textContent = url.replace(/^https?:\/\//, "");
    }
  }
  renderTime();
}

// ---- the landing page ---------------------------------------------------------------------

$("#create-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const typed = ($("#media-url") as HTMLInputElement).value.trim();
  const media = typed || ($("#media-file") as HTMLSelectElement).value;
  if (!playableUrl(media, location.href)) {
    $("#create-msg").textContent = "Choose a film, or type the address of a video (http or https).";
    return;
  }
  $("#create-msg").textContent = "";
  creating = { media, room: ($("#room-name") as HTMLInputElement).value.trim() || null };
  render();
  if (socket.state === "open") hello();
});
$("#join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const r = ($("#join-room") as HTMLInputElement).value.trim();
  if (r) location.search = `?room=${encodeURIComponent(r)}`;
});
$("#leave").addEventListener("click", () => roomId && forgetSeat(roomId));

if (!roomId) void listMedia();
statusBadge([socket]);
render();
