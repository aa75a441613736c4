// The relay console /relay (docs/pages.md#relay-console-relay): a Socket.IO user of the relay
// (docs/socketio.md#user). It lists the monitors online (the `monitors` extension), queries the
// one picked, sends `command send` and follows each command to `command finish` or
// `command failed`. With a user token configured it asks for the token once per tab.
import { $, fill, h } from "../lib/dom.ts";
import { SioLink } from "../lib/sio.ts";
import { statusBadge } from "../lib/status.ts";
import { CommandLog } from "./log.ts";

/** Session storage only: the token lives as long as the tab, and never in the address. */
const TOKEN_KEY = "switchboard.relay.userToken";
/** docs/socketio.md#user: 1 to 64 of A-Z a-z 0-9 _ - (checked here too: a bad id would cost the connection). */
const MONITOR_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The online list is asked for again this often while connected. */
const REFRESH_MS = 3000;

interface Monitor {
  monitor_id: string;
  pending: number;
}
type Answer = { reason?: unknown } & Record<string, unknown>;

const log = new CommandLog($("#log"), $("#log-none"));
const commandInput = $<HTMLInputElement>("#command");
const sendButton = $<HTMLButtonElement>("#send");

let link: SioLink | null = null;
let badge: HTMLElement | null = null;
let target: string | null = null;
/** Whether the picked monitor is connected: null while not known (not asked yet, or the link is down). */
let targetOnline: boolean | null = null;
let monitors: Monitor[] = [];

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

// ---- the link ----

function connect(): void {
  badge?.remove();
  link = new SioLink({
    name: "Relay",
    auth: () => (token() ? { token: token() } : {}),
    onConnect: () => {
      void refreshMonitors();
      // A reconnect is a new session: the relay has forgotten which monitor this page queried.
      if (target) void query(target);
    },
    onRefused: (reason) => needToken(reason),
    onDisconnect: () => {
      log.lost();
      targetOnline = null;
      render();
    },
    onEvent,
  });
  link.onChange(render);
  badge = statusBadge([link]);
  render();
}

function onEvent(event: string, payload: unknown): void {
  const p = (payload ?? {}) as Answer;
  switch (event) {
    case "monitor online":
    case "monitor offline":
      if (p.monitor_id === target) targetOnline = event === "monitor online";
      void refreshMonitors();
      render();
      break;
    case "command finish":
    case "command failed":
      // A `command failed` without an id answers a send, and its acknowledgement is handled there.
      if (p.id !== undefined && log.result(event, p)) void refreshMonitors();
      break;
    case "error":
      console.warn("relay:", p.reason);
      break;
  }
}

/** The relay wants a user token (or refused the one given): ask for it, and stop trying until then. */
function needToken(reason: string): void {
  // The badge says what the page waits for; the card below says what the relay answered.
  link?.close("waiting for the user token");
  const card = $("#token-card");
  $("#token-why").textContent = token() ? `The relay refused that token (${reason}). Type the user token again.` : "This relay needs a user token to send commands.";
  card.hidden = false;
  $<HTMLInputElement>("#token").focus();
  render();
}

$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>("#token");
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = "";
  $("#token-card").hidden = true;
  connect();
});

// ---- monitors ----

async function refreshMonitors(): Promise<void> {
  if (!link?.connected) return;
  let r: Answer;
  try {
    r = (await link.request("monitors")) as Answer;
  } catch {
    return; // the link dropped: the next connect asks again
  }
  if (r.reason !== "ok") return needToken(String(r.reason));
  monitors = (r.monitors as Monitor[]) ?? [];
  const online = monitors.some((m) => m.monitor_id === target);
  if (target && targetOnline !== online) targetOnline = online;
  render();
}
setInterval(() => void refreshMonitors(), REFRESH_MS);

async function query(id: string): Promise<void> {
  if (!link?.connected) return;
  let r: Answer;
  try {
    r = (await link.request("query", { monitor_id: id })) as Answer;
  } catch {
    return;
  }
  if (r.reason !== "ok") return needToken(String(r.reason)); // the only refusal of a valid id
  if (target === id) targetOnline = r.online === true;
  render();
}

function pick(id: string): void {
  target = id;
  targetOnline = monitors.some((m) => m.monitor_id === id) ? true : null;
  void query(id);
  render();
  commandInput.focus();
}

$("#pick-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>("#monitor");
  const id = input.value.trim();
  if (!MONITOR_ID.test(id)) {
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  input.value = "";
  pick(id);
});

// ---- commands ----

$("#send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const command = commandInput.value;
  if (!command.trim() || !target || !link?.connected) return;
  const entry = log.add(command, target);
  commandInput.value = "";
  link.request("command send", { command }).then(
    (answer) => log.answered(entry, answer as Answer),
    () => log.answered(entry, { reason: "no answer from the relay" }),
  );
});
$("#clear").addEventListener("click", () => log.clear());

// ---- rendering ----

function render(): void {
  const up = link?.state === "open";
  $("#console").dataset.link = up ? "up" : "down";
  fill(
    $("#monitors"),
    monitors.map((m) =>
      h(
        "li",
        null,
        h(
          "button",
          { class: "monitor", type: "button", "data-monitor": m.monitor_id, "aria-pressed": String(m.monitor_id === target), onclick: () => pick(m.monitor_id) },
          h("span", { class: "monitor-dot" }),
          h("span", { class: "monitor-id" }, m.monitor_id),
          h("span", { class: "monitor-pending sb-muted" }, m.pending ? `${m.pending} running` : ""),
        ),
      ),
    ),
  );
  $("#monitors-none").hidden = monitors.length > 0;
  $("#monitor-count").textContent = up ? String(monitors.length) : "";

  const t = $("#target");
  const state = !target ? "none" : !up || targetOnline === null ? "unknown" : targetOnline ? "online" : "offline";
  t.dataset.state = state;
  $("#target-text").textContent = !target
    ? "Pick a monitor first."
    : state === "online"
      ? `${target} · online`
      : state === "offline"
        ? `${target} · offline: it gets commands once it connects`
        : `${target} · …`;
  const ready = up && target !== null && targetOnline === true;
  commandInput.disabled = !ready;
  sendButton.disabled = !ready;
}

connect();
