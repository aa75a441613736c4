// The quiz board /quiz (docs/buzzer.md#the-quiz-board): a projector screen for the game on
// /mediator. It shows the round, the winner large, the order with gaps, every pool and buzzer
// with its name and colour, and a QR code for phones; with operator rights it arms and resets
// (Space, Escape) and names buzzers. Without them it says how to get them and stays live.
import { fetchInfo, phoneUrl, type Info } from "../lib/api.ts";
import { audio, beep, unlockAudio } from "../lib/beep.ts";
import { colorOf, cssColor, gapText, key, label, ordinal, parseFrame, places, PHONES, type MediatorFrame, type OrderEntry, type Winner } from "../lib/buzzer.ts";
import { $, fill, h } from "../lib/dom.ts";
import { qrSvg } from "../lib/qr.ts";
import { Socket } from "../lib/socket.ts";
import { statusBadge } from "../lib/status.ts";

const s = {
  /** Operator rights in this browser (/api/info), until the server says otherwise. */
  operator: false,
  round: 0,
  armed: false,
  order: [] as OrderEntry[],
  first: null as Winner | null,
  pools: new Map<string, number[]>(),
  names: new Map<string, string | null>(),
  /** Pools whose buzzers have no lights (set_color refused); the pools set_color was sent to, in order. */
  lightless: new Set<string>(),
  colorsSent: new Set<string>(),
  colorReplies: [] as string[],
  soundOn: false,
};

const nameOf = (pool: string, buzzer: number) => s.names.get(key(pool, buzzer)) ?? null;

// ---- the connection ----

const socket = new Socket("/mediator", {
  name: "Buzzers",
  onOpen(sock) {
    // A new session: ask for everything again (lights too: a receiver may have rebooted).
    s.colorsSent.clear();
    s.colorReplies = [];
    sock.send({ list: "buzzers" });
    sock.send({ list: "names" });
    sock.send({ list: "round" });
    loadInfo();
  },
  onMessage(data) {
    const f = parseFrame(data);
    if (f) onFrame(f);
  },
});
socket.onChange(render);
statusBadge([socket]);

function onFrame(f: MediatorFrame): void {
  if ("event" in f) {
    switch (f.event) {
      case "connected":
        if (f.buzzer === null) return;
        s.pools.set(f.pool, [...new Set([...(s.pools.get(f.pool) ?? []), f.buzzer])].sort((a, b) => a - b));
        askNames();
        light(f.pool, f.buzzer);
        return render();
      case "disconnected":
        if (f.buzzer === null) s.pools.delete(f.pool);
        else s.pools.set(f.pool, (s.pools.get(f.pool) ?? []).filter((b) => b !== f.buzzer));
        if (s.pools.get(f.pool)?.length === 0 && f.pool === PHONES) s.pools.delete(f.pool);
        return render();
      case "buzz":
        if (f.buzzer !== null) flashChip(f.pool, f.buzzer);
        return;
      case "armed":
        Object.assign(s, { round: f.round, armed: true, order: [], first: null });
        return render();
      case "reset":
        Object.assign(s, { round: f.round, armed: false, order: [], first: null });
        return render();
      case "order": {
        if (f.round < s.round) return;
        if (f.round > s.round) Object.assign(s, { round: f.round, armed: true, first: null });
        const wasEmpty = s.order.length === 0;
        s.order = f.order;
        for (const e of f.order) s.names.set(key(e.pool, e.buzzer), e.name);
        if (wasEmpty && f.order.length) ding();
        return render();
      }
      case "first":
        if (f.round !== s.round) return;
        s.first = { pool: f.pool, buzzer: f.buzzer, name: f.name, ts: f.ts };
        return render();
      case "named":
        s.names.set(key(f.pool, f.buzzer), f.name);
        return render();
    }
    return;
  }
  if ("response" in f) {
    if (f.response === "buzzers") {
      s.pools = new Map(f.pools.map((p) => [p.pool, p.buzzers]));
      for (const p of f.pools) for (const b of p.buzzers) light(p.pool, b);
    } else if (f.response === "names") {
      for (const n of f.names) s.names.set(key(n.pool, n.buzzer), n.name);
    } else if (f.response === "round") {
      Object.assign(s, { round: f.round, armed: f.armed, order: f.order, first: f.first });
      for (const e of f.order) s.names.set(key(e.pool, e.buzzer), e.name);
    }
    return render();
  }
  if ("result" in f) {
    if (f.result === "set_color") s.colorReplies.shift();
    return;
  }
  if ("error" in f) {
    if (f.error === "forbidden") {
      s.operator = false; // the socket opened without rights (e.g. the cookie did not count)
      return render();
    }
    // set_color's refusals: a pool without lights (a keyboard) is not asked again.
    if (f.error === "invalid_data_type" && (f.cause === "pool" || f.cause === "buzzer") && s.colorReplies.length) {
      const pool = s.colorReplies.shift()!;
      if (f.cause === "pool") s.lightless.add(pool);
    }
  }
}

/** Give a receiver's buzzer its colour (receivers with lights; phones show theirs on screen). */
function light(pool: string, buzzer: number): void {
  const k = key(pool, buzzer);
  if (!s.operator || pool === PHONES || s.lightless.has(pool) || s.colorsSent.has(k)) return;
  if (socket.send({ command: "set_color", pool, buzzer, color: colorOf(pool, buzzer) })) {
    s.colorsSent.add(k);
    s.colorReplies.push(pool);
  }
}

let namesTimer: ReturnType<typeof setTimeout> | null = null;
/** Names of buzzers that just connected (the server has read them from its database by then). */
function askNames(): void {
  if (namesTimer !== null) return;
  namesTimer = setTimeout(() => {
    namesTimer = null;
    socket.send({ list: "names" });
  }, 100);
}

// ---- /api/info: operator rights and the phone URL ----

function loadInfo(): void {
  fetchInfo().then(
    (info) => {
      const had = s.operator;
      s.operator = info.operator;
      showJoin(info);
      if (s.operator && !had) for (const [pool, bs] of s.pools) for (const b of bs) light(pool, b);
      render();
    },
    () => setTimeout(loadInfo, 2000),
  );
}

function showJoin(info: Info): void {
  const url = phoneUrl(info, "/buzz");
  fill($("#join-qr"), qrSvg(url, { label: `QR code for ${url}` }));
  // A narrow column breaks before the port or before "/buzz", never inside the address or the port.
  const typed = url.replace(/^http:\/\//, "");
  fill($("#join-url"), typed.split(/(?=[:/])/).flatMap((part, i) => (i ? [h("wbr"), part] : [part])));
  const note = $("#join-note");
  note.hidden = info.lan || !/^https?:\/\/(localhost|127\.|\[::1\])/.test(url);
  note.textContent = "Phones cannot open this address: start the server with --host 0.0.0.0.";
}

// ---- rendering ----

function labelNodes(pool: string, buzzer: number, name: string | null) {
  // Without a name: "pool buzzer", the pool small so the number reads from the back of the room.
  return name !== null ? [name] : [h("span", { class: "label-pool" }, pool), " ", h("span", { class: "label-num" }, String(buzzer))];
}

function render(): void {
  const board = $("#board");
  board.dataset.armed = String(s.armed);
  board.dataset.operator = String(s.operator);
  $("#round").textContent = s.round ? `· Round ${s.round}` : "";
  const pressed = s.order.length > 0;
  $("#state").textContent = socket.state !== "open" ? "Connecting…" : !s.armed ? "Not armed" : !pressed ? "Armed" : s.first ? "Decided" : "Deciding…";
  $("#state").dataset.state = !s.armed ? "idle" : pressed ? "pressed" : "armed";
  for (const id of ["#arm", "#reset"]) {
    const b = $<HTMLButtonElement>(id);
    b.disabled = !s.operator || socket.state !== "open";
    b.title = s.operator ? "" : "Needs operator rights (see the note above)";
  }
  $("#readonly").hidden = s.operator;
  renderWinner();
  renderOrder();
  renderPools();
}

function renderWinner(): void {
  const winner = s.first ?? s.order[0] ?? null;
  const first = $("#first");
  const note = $("#winner-note");
  first.dataset.final = String(s.first !== null);
  if (!winner) {
    first.replaceChildren();
    $(".winner").style.removeProperty("--buzzer");
    note.textContent = s.armed ? "Buzz now!" : s.operator ? "Press Space (or Arm) to start the question." : "Waiting for the next question.";
    return;
  }
  const name = s.first?.name ?? nameOf(winner.pool, winner.buzzer) ?? winner.name;
  fill(first, labelNodes(winner.pool, winner.buzzer, name));
  $(".winner").style.setProperty("--buzzer", cssColor(colorOf(winner.pool, winner.buzzer)));
  const where = winner.pool === PHONES ? `phone ${winner.buzzer}` : `${winner.pool} · buzzer ${winner.buzzer}`;
  note.textContent = s.first ? (name !== null ? where : "") : "Deciding…";
}

function renderOrder(): void {
  const rows = places(s.order, s.first).map(({ entry, place, gap, winner }) =>
    h(
      "li",
      { class: winner ? "entry is-winner" : "entry", "data-pool": entry.pool, "data-buzzer": entry.buzzer, style: `--buzzer: ${cssColor(colorOf(entry.pool, entry.buzzer))}` },
      h("span", { class: "place" }, ordinal(place)),
      h("span", { class: "swatch", "aria-hidden": "true" }),
      h("span", { class: "who" }, labelNodes(entry.pool, entry.buzzer, nameOf(entry.pool, entry.buzzer) ?? entry.name)),
      h("span", { class: "gap" }, place === 1 ? "first" : gapText(gap)),
    ),
  );
  fill($("#order"), rows);
  $("#order-empty").hidden = rows.length > 0;
}

function renderPools(): void {
  const ids = [...s.pools.keys()].filter((p) => (s.pools.get(p) ?? []).length > 0 || p !== PHONES);
  ids.sort((a, b) => (a === PHONES ? 1 : b === PHONES ? -1 : a.localeCompare(b)));
  let count = 0;
  const blocks = ids.map((pool) => {
    const buzzers = s.pools.get(pool) ?? [];
    count += buzzers.length;
    return h(
      "div",
      { class: "pool", "data-pool": pool },
      h("h3", { class: "pool-name" }, pool === PHONES ? "Phones" : pool),
      buzzers.length
        ? h("ul", { class: "chips" }, buzzers.map((b) => chip(pool, b)))
        : h("p", { class: "empty" }, "No buzzers connected to it yet."),
    );
  });
  fill($("#pools"), blocks);
  $("#pools-empty").hidden = blocks.length > 0;
  $("#player-count").textContent = count ? String(count) : "";
}

function chip(pool: string, buzzer: number) {
  const name = nameOf(pool, buzzer);
  const inOrder = s.order.some((e) => e.pool === pool && e.buzzer === buzzer);
  return h(
    "li",
    { class: inOrder ? "chip in" : "chip", id: chipId(pool, buzzer), style: `--buzzer: ${cssColor(colorOf(pool, buzzer))}` },
    h(
      "button",
      { type: "button", disabled: !s.operator, title: s.operator ? "Rename" : name ?? `${pool} ${buzzer}`, onclick: () => rename(pool, buzzer) },
      h("span", { class: "swatch", "aria-hidden": "true" }),
      h("span", { class: "chip-name" }, name ?? `#${buzzer}`),
    ),
  );
}

const chipId = (pool: string, buzzer: number) => `chip-${buzzer}-${pool.replace(/[^A-Za-z0-9]/g, "_")}`;

function flashChip(pool: string, buzzer: number): void {
  const el = document.getElementById(chipId(pool, buzzer));
  if (!el) return;
  el.classList.remove("flash");
  void el.offsetWidth; // restart the animation
  el.classList.add("flash");
}

// ---- operator actions ----

const arm = () => s.operator && socket.send({ command: "arm" });
const reset = () => s.operator && socket.send({ command: "reset" });
$("#arm").addEventListener("click", arm);
$("#reset").addEventListener("click", reset);

const typing = (t: EventTarget | null) => t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || (t instanceof HTMLElement && t.isContentEditable);
addEventListener("keydown", (e) => {
  if (typing(e.target) || ($("#rename") as HTMLDialogElement).open || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === " ") {
    e.preventDefault(); // no scrolling, and a focused button must not arm a second time
    if (!e.repeat) arm();
  } else if (e.key === "Escape") {
    e.preventDefault();
    reset();
  }
});
// A focused button activates on Space's keyup: the keydown above has armed already.
addEventListener("keyup", (e) => {
  if (e.key === " " && !typing(e.target)) e.preventDefault();
});

function rename(pool: string, buzzer: number): void {
  if (!s.operator) return;
  const dlg = $<HTMLDialogElement>("#rename");
  const input = $<HTMLInputElement>("#rename-input");
  $("#rename-what").textContent = pool === PHONES ? `phone ${buzzer}` : `${pool} ${buzzer}`;
  input.value = nameOf(pool, buzzer) ?? "";
  dlg.onclose = () => {
    if (dlg.returnValue === "save" || dlg.returnValue === "clear") {
      const name = dlg.returnValue === "clear" || input.value.trim() === "" ? null : input.value;
      socket.send({ command: "set_name", pool, buzzer, name });
    }
  };
  dlg.returnValue = "";
  dlg.showModal();
  input.select();
}
$("#rename-form").addEventListener("submit", (e) => {
  // Enter in the field saves.
  const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
  if (!submitter) {
    e.preventDefault();
    $<HTMLDialogElement>("#rename").close("save");
  }
});

// ---- sound ----

/** Browsers keep audio off until the page is touched: the first click or key turns it on. */
function enableSound(): void {
  unlockAudio().then(() => {
    s.soundOn = true;
    $("#sound").hidden = true;
  }, () => {});
  removeEventListener("pointerdown", enableSound, true);
  removeEventListener("keydown", enableSound, true);
}
addEventListener("pointerdown", enableSound, true);
addEventListener("keydown", enableSound, true);

/** The first press of a round: a bright two-tone chime. */
function ding(): void {
  if (!s.soundOn) return;
  const t = audio().currentTime;
  beep({ freq: 988, ms: 140, gain: 0.35, type: "triangle", at: t });
  beep({ freq: 1319, ms: 260, gain: 0.35, type: "triangle", at: t + 0.13 });
}

render();
