// The relay console's log (docs/pages.md#relay-console-relay): each command sent from this page,
// newest first, with every answer the relay gave it (`command ok`, `command finish`,
// `command failed`), its correlation id and the time of each step.
import { h } from "../lib/dom.ts";

/** sending: emitted, no answer yet; ok: the monitor has it; finish / failed: its end; lost: the page's link dropped first. */
export type EntryState = "sending" | "ok" | "finish" | "failed" | "lost";

export interface Entry {
  el: HTMLElement;
  state: EntryState;
  id: string | null;
  sentAt: number;
  steps: HTMLElement;
  pill: HTMLElement;
}

/** Entries kept on screen: the oldest go. */
const KEEP = 200;

const two = (n: number) => String(n).padStart(2, "0");
/** 24-hour local time with milliseconds: commands and their answers are milliseconds apart. */
export const clockTime = (ms: number) => {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
};

const WORDS: Record<EntryState, string> = { sending: "sending…", ok: "running", finish: "finished", failed: "failed", lost: "unknown" };

export class CommandLog {
  private readonly entries: Entry[] = [];

  constructor(private readonly list: HTMLElement, private readonly none: HTMLElement) {}

  /** A command just emitted to `monitor`. */
  add(command: string, monitor: string): Entry {
    const now = Date.now();
    const pill = h("span", { class: "pill" });
    const steps = h("ol", { class: "steps" });
    const el = h(
      "li",
      { class: "entry" },
      h("div", { class: "entry-head" }, h("code", { class: "cmd" }, command), h("span", { class: "to sb-muted" }, "→ ", monitor), pill),
      steps,
    );
    const e: Entry = { el, state: "sending", id: null, sentAt: now, steps, pill };
    this.step(e, "sent", null, null, now);
    this.set(e, "sending");
    this.entries.unshift(e);
    this.list.prepend(el);
    for (const old of this.entries.splice(KEEP)) old.el.remove();
    this.none.hidden = true;
    return e;
  }

  /** The answer to `command send`: `command ok {id}` or `command failed {reason}`. */
  answered(e: Entry, payload: { reason?: unknown; id?: unknown }): void {
    if (typeof payload.id === "string" && payload.reason === "ok") {
      e.id = payload.id;
      e.el.dataset.commandId = payload.id;
      this.step(e, "command ok", payload.id, null);
      // A result may have overtaken the acknowledgement: do not undo it.
      if (e.state === "sending") this.set(e, "ok");
    } else {
      this.step(e, "command failed", null, String(payload.reason ?? "no reason given"));
      this.set(e, "failed");
    }
  }

  /** `command finish {id}` or `command failed {reason, id}` for a command sent from here; false when the id is not ours. */
  result(event: "command finish" | "command failed", payload: { reason?: unknown; id?: unknown }): boolean {
    const e = this.entries.find((x) => x.id !== null && x.id === payload.id);
    if (!e) return false;
    this.step(e, event, e.id, event === "command failed" ? String(payload.reason ?? "") : null);
    this.set(e, event === "command finish" ? "finish" : "failed");
    return true;
  }

  /** The page's connection ended: the relay drops the results of its commands (docs/socketio.md#user). */
  lost(): void {
    for (const e of this.entries) {
      if (e.state !== "sending" && e.state !== "ok") continue;
      this.step(e, "connection lost", e.id, "the result of this command will not reach this page");
      this.set(e, "lost");
    }
  }

  clear(): void {
    for (const e of this.entries.splice(0)) e.el.remove();
    this.none.hidden = false;
  }

  private set(e: Entry, s: EntryState): void {
    e.state = s;
    e.el.dataset.state = s;
    e.pill.textContent = WORDS[s];
  }

  private step(e: Entry, event: string, id: string | null, reason: string | null, at = Date.now()): void {
    e.steps.append(
      h(
        "li",
        { class: "step", "data-event": event },
        h("span", { class: "ev" }, event),
        id ? h("code", { class: "id" }, id) : null,
        h("time", { datetime: new Date(at).toISOString() }, clockTime(at)),
        event === "sent" ? null : h("span", { class: "dt sb-muted" }, `+${Math.max(0, at - e.sentAt)} ms`),
        reason ? h("span", { class: "reason" }, reason) : null,
      ),
    );
  }
}
