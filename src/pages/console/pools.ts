// The console's buzzer pools (docs/pages.md#the-operator-console): every pool with its state and
// buzzers, the devices that could be connected, and the connect/disconnect buttons, which send the
// mediator's own commands over /mediator (docs/buzzer.md#commands-and-replies). The page's
// /mediator socket carries operator rights through the browser's operator cookie (same origin).
import { fill, h } from "../lib/dom.ts";
import { Socket } from "../lib/socket.ts";
import type { BuzzerStatus, PoolStatus } from "../lib/status-types.ts";
import { count } from "./format.ts";

interface Reply {
  result?: string;
  event?: string;
  error?: string;
  message?: string | null;
  pool?: string;
  buzzer?: number | null;
  buzzers?: number[];
}

const STATE: Record<PoolStatus["state"], [string, "ok" | "warn" | "bad"]> = {
  connected: ["connected", "ok"],
  connecting: ["connecting…", "warn"],
  down: ["not linked, retrying", "bad"],
};

export class PoolsPanel {
  readonly socket: Socket;
  /** Commands sent and not answered yet, by pool: their button shows it. */
  private readonly busy = new Map<string, "connect" | "disconnect">();
  private last: BuzzerStatus | null = null;

  constructor(private readonly el: HTMLElement, private readonly msg: HTMLElement) {
    this.socket = new Socket("/mediator", {
      name: "Buzzers",
      onMessage: (data) => this.reply(typeof data === "string" ? data : ""),
      onClose: () => {
        this.busy.clear();
        this.redraw();
      },
    });
    this.socket.onChange(() => this.redraw());
  }

  render(b: BuzzerStatus): void {
    this.last = b;
    this.redraw();
  }

  private redraw(): void {
    const b = this.last;
    if (!b) return;
    const ready = this.socket.state === "open";
    const open = new Set(b.pools.map((p) => p.pool));
    const others = b.available.filter((id) => !open.has(id));
    if (!b.pools.length && !others.length) {
      return fill(this.el, h("p", { class: "empty sb-muted" }, "No pools, and no device the server may open (--pool, --pool-allow)."));
    }
    fill(
      this.el,
      b.pools.length ? b.pools.map((p) => this.poolRow(p, ready)) : h("p", { class: "empty sb-muted" }, "No pool is connected."),
      others.length ? h("p", { class: "avail-title" }, "Devices to connect") : null,
      others.map((id) => this.availableRow(id, ready)),
    );
  }

  private poolRow(p: PoolStatus, ready: boolean) {
    const [word, kind] = STATE[p.state];
    const busy = this.busy.get(p.pool);
    const chips = p.buzzers.map((b) => h("span", { class: "chip", "data-buzzer": b.buzzer }, h("b", null, `#${b.buzzer}`), b.name ? ` ${b.name}` : ""));
    return h(
      "div",
      { class: "row pool", "data-pool": p.pool, "data-state": p.state },
      h(
        "div",
        { class: "row-main" },
        h("strong", { class: "sb-mono path" }, p.pool),
        h("span", { class: "meta" }, `${p.kind === "keyboard" ? "keyboard" : "serial receiver"}${p.configured ? " · from --pool" : ""} · ${count(p.buzzers.length, "buzzer")}`),
        chips.length ? h("div", { class: "chips" }, chips) : null,
      ),
      h(
        "div",
        { class: "row-side" },
        h("span", { class: `pill ${kind}` }, word),
        h(
          "button",
          { class: "sb-button small disconnect", type: "button", disabled: !ready || busy !== undefined, onclick: () => this.send("disconnect", p.pool) },
          busy === "disconnect" ? "Disconnecting…" : "Disconnect",
        ),
      ),
    );
  }

  private availableRow(id: string, ready: boolean) {
    const busy = this.busy.get(id);
    return h(
      "div",
      { class: "row pool avail", "data-pool": id, "data-state": "available" },
      h("div", { class: "row-main" }, h("strong", { class: "sb-mono path" }, id), h("span", { class: "meta" }, "not connected")),
      h(
        "div",
        { class: "row-side" },
        h("button", { class: "sb-button small connect", type: "button", disabled: !ready || busy !== undefined, onclick: () => this.send("connect", id) }, busy === "connect" ? "Connecting…" : "Connect"),
      ),
    );
  }

  private send(command: "connect" | "disconnect", pool: string): void {
    if (!this.socket.send({ command, pool })) return this.say("The /mediator connection is down; try again when it is back.", true);
    this.busy.set(pool, command);
    this.say(null);
    this.redraw();
  }

  private reply(text: string): void {
    let m: Reply;
    try {
      m = JSON.parse(text) as Reply;
    } catch {
      return;
    }
    if (m.event === "buzz" && m.pool !== undefined) return this.flash(m.pool, m.buzzer ?? null);
    if (m.result === "connect" || m.result === "disconnect") {
      this.busy.delete(m.pool ?? "");
      this.say(m.result === "connect" ? `Connected ${m.pool} (${count(m.buzzers?.length ?? 0, "buzzer")}).` : `Disconnected ${m.pool}.`);
      return this.redraw();
    }
    if (m.error) {
      // Replies come in the order the commands were sent: the oldest command waiting failed.
      const first = this.busy.keys().next();
      if (!first.done) this.busy.delete(first.value);
      const why = m.error === "forbidden" ? "This browser has no operator rights on /mediator: open the console URL the server logs at start again." : m.message ?? m.error;
      this.say(why, true);
      this.redraw();
    }
  }

  /** A buzz lights its chip for a moment: the operator sees which buzzer is which. */
  private flash(pool: string, buzzer: number | null): void {
    if (buzzer === null) return;
    for (const row of this.el.querySelectorAll<HTMLElement>(".pool")) {
      if (row.dataset.pool !== pool) continue;
      const chip = row.querySelector<HTMLElement>(`.chip[data-buzzer="${buzzer}"]`);
      if (!chip) return;
      chip.classList.remove("buzzed");
      void chip.offsetWidth; // restart the animation
      chip.classList.add("buzzed");
    }
  }

  private say(text: string | null, bad = false): void {
    this.msg.hidden = text === null;
    this.msg.textContent = text ?? "";
    this.msg.classList.toggle("bad", bad);
  }
}
