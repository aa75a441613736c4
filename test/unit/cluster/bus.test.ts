// The cluster bus's topic fan-out (docs/cluster.md#fan-out) with a fake Redis link: subscribe while
// someone here listens, and a protocol that carries its own events on its topics.
import { describe, expect, test } from "bun:test";
import { ClusterBus, TOPIC_PREFIX, type BusLink } from "../../../src/cluster/bus.ts";

class FakeLink implements BusLink {
  readonly subscribed = new Set<string>();
  readonly published: Array<[string, string]> = [];
  /** Subscriptions Redis has not confirmed yet. */
  readonly pending: Array<() => void> = [];
  subscribe(channel: string) {
    this.subscribed.add(channel);
    return new Promise<void>((resolve) => this.pending.push(resolve));
  }
  unsubscribe(channel: string) {
    this.subscribed.delete(channel);
  }
  publish(channel: string, message: string) {
    this.published.push([channel, message]);
  }
}

const world = () => {
  const link = new FakeLink();
  const delivered: Array<[string, string]> = [];
  const bus = new ClusterBus("me", link, (topic, data) => delivered.push([topic, data]));
  return { link, delivered, bus };
};

describe("the cluster bus", () => {
  test("retain settles once Redis confirmed the channel; a second listener waits for the same", async () => {
    const { link, bus } = world();
    let settled = 0;
    void bus.retain("room:1").then(() => settled++);
    void bus.retain("room:1").then(() => settled++);
    expect(link.subscribed.has(TOPIC_PREFIX + "room:1")).toBe(true);
    await Promise.resolve();
    expect(settled).toBe(0);
    expect(link.pending).toHaveLength(1); // one SUBSCRIBE for both
    link.pending[0]!();
    await Bun.sleep(0);
    expect(settled).toBe(2);
    await bus.retain("conn:5"); // a connection's own topic never goes to Redis
    expect(link.subscribed.has(TOPIC_PREFIX + "conn:5")).toBe(false);
    bus.stop();
  });

  test("plain topics: a publish goes to the other nodes, their frames to the local sockets, our own echo nowhere", () => {
    const { link, delivered, bus } = world();
    bus.publish("room:1", "hello");
    expect(link.published).toEqual([[TOPIC_PREFIX + "room:1", "me\nhello"]]);
    bus.receive(TOPIC_PREFIX + "room:1", "other\nhi");
    bus.receive(TOPIC_PREFIX + "room:1", "me\nhello");
    expect(delivered).toEqual([["room:1", "hi"]]);
  });

  test("handled topics: frames published here stay here, emitted events go out, and events from others go to the handler", () => {
    const { link, delivered, bus } = world();
    const events: Array<[string, string]> = [];
    bus.handle("metronome:", (topic, data) => events.push([topic, data]));
    bus.publish("metronome:7", '{"jsonrpc":"2.0","method":"stop_sound"}');
    expect(link.published).toEqual([]);
    bus.emit("metronome:7", '{"k":"stop"}');
    expect(link.published).toEqual([[TOPIC_PREFIX + "metronome:7", 'me\n{"k":"stop"}']]);
    bus.receive(TOPIC_PREFIX + "metronome:7", 'other\n{"k":"start"}');
    bus.receive(TOPIC_PREFIX + "metronome:7", 'me\n{"k":"stop"}');
    expect(events).toEqual([["metronome:7", '{"k":"start"}']]);
    expect(delivered).toEqual([]);
    bus.publish("room:1", "x"); // other topics are unchanged
    expect(link.published).toHaveLength(2);
  });

  test("handled topics: sockets subscribing do not subscribe the channel, the protocol does", () => {
    const { link, bus } = world();
    bus.handle("metronome:", () => {});
    void bus.retain("metronome:7");
    expect(link.subscribed.size).toBe(0);
    bus.release("metronome:7");
    void bus.retain("metronome:7", true);
    expect([...link.subscribed]).toEqual([TOPIC_PREFIX + "metronome:7"]);
    expect(bus.envelope("metronome:7", "e")).toEqual({ channel: TOPIC_PREFIX + "metronome:7", message: "me\ne" });
    bus.stop();
  });
});
