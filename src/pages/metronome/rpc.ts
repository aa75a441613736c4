// JSON-RPC 2.0 over the page's socket to /metronome (docs/metronome.md): calls with their
// replies, answers to the server's own requests (play_sound, stop_sound, get_time), and the
// sync_time exchanges that tell the server this page's clock (docs/metronome.md#sync_time).
import { pageNow } from "./audio-clock.ts";

export type Reply = { ok: true; result: Record<string, unknown> } | { ok: false; error: string };
type Params = Record<string, unknown> | null;

const CALL_TIMEOUT_MS = 10_000;

export class Rpc {
  private nextId = 1;
  private pending = new Map<number, { done: (r: Reply) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly send: (frame: object) => boolean,
    /** A request from the server; returns the result to answer it with. */
    private readonly onRequest: (method: string, params: Params) => Record<string, unknown>,
  ) {}

  /** A call; never rejects: a domain error, a JSON-RPC error, a timeout or a lost link is `ok: false`. */
  call(method: string, params?: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, { ok: false, error: "no answer" }), CALL_TIMEOUT_MS);
      this.pending.set(id, { done: resolve, timer });
      if (!this.send({ jsonrpc: "2.0", method, ...(params ? { params } : {}), id })) this.settle(id, { ok: false, error: "not connected" });
    });
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  /** One text frame from the server. */
  receive(text: string): void {
    let m: { method?: unknown; params?: Params; id?: unknown; result?: unknown; error?: { message?: string; data?: string } };
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m.method === "string") {
      const result = this.onRequest(m.method, m.params ?? null);
      if (m.id !== undefined && m.id !== null) this.send({ jsonrpc: "2.0", result, id: m.id });
      return;
    }
    if (typeof m.id !== "number") return; // the open frame (id null)
    const r = m.result as { status?: string; message?: string } | undefined;
    if (m.error) this.settle(m.id, { ok: false, error: m.error.data ?? m.error.message ?? "error" });
    else if (r && r.status === "error") this.settle(m.id, { ok: false, error: r.message ?? "error" });
    else this.settle(m.id, { ok: true, result: (r ?? {}) as Record<string, unknown> });
  }

  /** The link closed: every call in flight fails. */
  reset(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error: "disconnected" });
  }

  private settle(id: number, r: Reply): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.done(r);
  }
}

/** A completed sync_time exchange, as the server wants it reported in `previous`. */
export interface Exchange {
  client_ts: number;
  server_recv_ts: number;
  server_send_ts: number;
  client_recv_ts: number;
}

/**
 * The page's own view of its clock against the server's (offset = page − server, NTP style, the
 * fastest exchange wins, as on the server): shown to the person, and a check that the server's
 * estimate has something good to work with.
 */
export class ClockView {
  best: { offset: number; rtt: number } | null = null;

  add(x: Exchange): void {
    const rtt = x.client_recv_ts - x.client_ts - (x.server_send_ts - x.server_recv_ts);
    const offset = (x.client_ts - x.server_recv_ts + (x.client_recv_ts - x.server_send_ts)) / 2;
    if (rtt >= 0 && (this.best === null || rtt < this.best.rtt)) this.best = { offset, rtt };
  }
}

/**
 * `count` sync_time calls, each reporting the one before, 100 ms apart, then a notification that
 * reports the last: after it the server knows this page's clock from a full exchange. Stops early
 * (returns false) when `current()` turns false (the link was replaced) or a call fails.
 */
export async function syncClock(rpc: Rpc, view: ClockView, count: number, current: () => boolean): Promise<boolean> {
  let previous: Exchange | null = null;
  for (let i = 0; i < count; i++) {
    const client_ts = pageNow();
    const r = await rpc.call("sync_time", previous ? { client_ts, previous } : { client_ts });
    const client_recv_ts = pageNow();
    if (!current() || !r.ok) return false;
    const { server_recv_ts, server_send_ts } = r.result as { server_recv_ts: number; server_send_ts: number };
    previous = { client_ts, server_recv_ts, server_send_ts, client_recv_ts };
    view.add(previous);
    if (i < count - 1) await new Promise((ok) => setTimeout(ok, 100));
    if (!current()) return false;
  }
  if (previous) rpc.notify("sync_time", { client_ts: pageNow(), previous });
  return true;
}
