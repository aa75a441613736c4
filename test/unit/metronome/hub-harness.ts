// Drives the hub through the real method table and dispatcher, with a fake clock and fake peers,
// as a client would: the reply is sent first, then the after-effects run.
import { expect } from "bun:test";
import { MetronomeHub, type MetronomeClient } from "../../../src/protocols/metronome/state.ts";
import { dispatch } from "../../../src/protocols/metronome/codec.ts";
import { metronomeMethods } from "../../../src/protocols/metronome/methods.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

export const LEAD = 1000;
export let clock: FakeClock;
export let hub: MetronomeHub;
let methods: ReturnType<typeof metronomeMethods>;
/** The topics every fake connection of this hub subscribes through; `published` counts publishes. */
class CountingTopics extends FakeHub {
  published = 0;
  override publish(topic: string, data: string): void {
    this.published++;
    super.publish(topic, data);
  }
}
export let topics: CountingTopics;
let nextId = 1;

export interface Client {
  peer: FakeConn;
  s: MetronomeClient;
}

/** A fresh hub and clock; call from beforeEach. */
export function resetHub(): void {
  clock = new FakeClock();
  topics = new CountingTopics();
  hub = new MetronomeHub({ clock, leadMs: LEAD, topics });
  methods = metronomeMethods(hub);
}

export const connect = (): Client => {
  const peer = new FakeConn(topics);
  return { peer, s: hub.connect(peer) };
};

/** Send one frame as a client would: the reply is sent first, then the after-effects run. */
export function send(c: Client, frame: unknown): void {
  const r = dispatch(typeof frame === "string" ? frame : JSON.stringify(frame), methods, c.s);
  // One node with the in-memory registries answers every frame at once (docs/cluster.md#metronome).
  if (r instanceof Promise) throw new Error("the in-memory hub answered asynchronously");
  const { reply, after } = r;
  if (reply !== null) c.peer.send(reply);
  for (const fn of after) fn();
}

/** Call a method and return its result; the reply must be the first frame this call sent. */
export function call(c: Client, method: string, params: unknown): any {
  const id = nextId++;
  const before = c.peer.sent.length;
  send(c, { jsonrpc: "2.0", method, params, id });
  const first = JSON.parse(c.peer.sent.splice(before, 1)[0]!);
  expect(first.id).toBe(id);
  return first.result ?? first.error;
}

/** A client with an id; `skew` is its clock minus the server's, taught by time_utc. */
export function client(skew = 0): Client & { id: number } {
  const c = connect();
  const r = call(c, "get_id", { time_utc: clock.now() + skew });
  return { ...c, id: r.client_id };
}

export function group(skew = 0) {
  const owner = client(skew);
  expect(call(owner, "create_group", { time_utc: clock.now() + skew })).toEqual({ status: "success", group_id: owner.id });
  return owner;
}

export const tempo = (g: number, bpm: number, skew = 0) => ({ group_id: g, current_client_ts: clock.now() + skew, bpm });
