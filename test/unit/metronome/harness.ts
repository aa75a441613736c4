// A metronome hub on a fake clock, driven through the real method table and dispatcher with the
// plugin's dispatch options, as the plugin drives it: the reply is sent first, then the effects.
import { expect } from "bun:test";
import { dispatch } from "../../../src/protocols/metronome/codec.ts";
import { metronomeDispatch, metronomeMethods } from "../../../src/protocols/metronome/methods.ts";
import { MetronomeHub, type MetronomeClient } from "../../../src/protocols/metronome/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

export const LEAD = 1000;

export interface Phone {
  peer: FakeConn<MetronomeClient>;
  s: MetronomeClient;
}

export function world() {
  const clock = new FakeClock();
  const topics = new FakeHub();
  const hub = new MetronomeHub({ clock, leadMs: LEAD, topics });
  const methods = metronomeMethods(hub);
  const opts = metronomeDispatch(hub);
  let nextId = 1;

  const connect = (): Phone => {
    const peer = new FakeConn<MetronomeClient>(topics);
    const s = hub.connect(peer);
    peer.state = s;
    return { peer, s };
  };
  /** One frame from the phone, exactly as written; the reply (if any) is sent first, then the effects. */
  const send = (p: Phone, frame: string | object): void => {
    const r = dispatch(typeof frame === "string" ? frame : JSON.stringify(frame), methods, p.s, opts);
    // One node with the in-memory registries answers every frame at once (docs/cluster.md#metronome).
    if (r instanceof Promise) throw new Error("the in-memory hub answered asynchronously");
    const { reply, after } = r;
    if (reply !== null) p.peer.send(reply);
    for (const fn of after) fn();
  };
  /** Call a method; the reply must be the first frame the call sent; returns it parsed. */
  const call = (p: Phone, method: string, params?: unknown): any => {
    const id = nextId++;
    const before = p.peer.sent.length;
    send(p, params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id });
    const first = JSON.parse(p.peer.sent.splice(before, 1)[0]!);
    expect(first.id).toBe(id);
    return first;
  };
  const result = (p: Phone, method: string, params?: unknown): any => call(p, method, params).result;
  const close = (p: Phone): void => {
    p.peer.close(1000);
    hub.disconnect(p.s);
  };
  /** The server requests (of this method) the phone has received so far, parsed; they are taken out of its inbox, the rest stays. */
  const requests = (p: Phone, method?: string): any[] => {
    const out: any[] = [];
    const keep: string[] = [];
    for (const f of p.peer.sent.splice(0)) {
      const j = JSON.parse(f);
      if (typeof j.method === "string" && (!method || j.method === method)) out.push(j);
      else keep.push(f);
    }
    p.peer.sent.push(...keep);
    return out;
  };
  return { clock, topics, hub, connect, send, call, result, close, requests };
}
export type World = ReturnType<typeof world>;

/**
 * A phone of the later dialect answering get_time the way MetronomeWeb's client does: it reads its
 * clock (server clock + skew) when the request arrives and answers at once. `down`/`up`: the delay of
 * the request to the phone and of the answer back, in ms, played on the fake clock.
 */
export function answerGetTime(w: World, p: Phone, skew: number, down: number, up: number): { k: number; t: number } | null {
  const i = p.peer.sent.findIndex((f) => f.includes('"method":"get_time"'));
  if (i < 0) return null;
  const k = JSON.parse(p.peer.sent.splice(i, 1)[0]!).id as number;
  w.clock.advance(down);
  const t = w.clock.now() + skew;
  w.clock.advance(up);
  w.send(p, `{"jsonrpc": "2.0", "result": {"status":"success","ts_ms":${t}}, "id": ${k}}`);
  return { k, t };
}
