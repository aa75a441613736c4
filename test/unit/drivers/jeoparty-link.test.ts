import { describe, expect, test } from "bun:test";
import { Link, type LinkEvents } from "../../../src/drivers/jeoparty/link.ts";
import type { Numbering } from "../../../src/drivers/jeoparty/codec.ts";
import { FakeClock } from "../../helpers/fakes.ts";

function setup(numbering: Numbering = "v1") {
  const clock = new FakeClock();
  const written: number[][] = [];
  const resets: string[] = [];
  const events: string[] = [];
  const ev: LinkEvents = {
    up: (ids, v) => events.push(`up ${ids.join(",")} v${v}`),
    down: (r) => events.push(`down ${r}`),
    buzz: (id) => events.push(`buzz ${id}`),
    connected: (id) => events.push(`connected ${id}`),
    disconnected: (id) => events.push(`disconnected ${id}`),
  };
  const link = new Link(numbering, clock, { write: (b) => written.push([...b]), reset: (r) => resets.push(r) }, ev);
  const feed = (...bytes: number[]) => link.data(new Uint8Array(bytes));
  const take = () => written.splice(0);
  /** Open and complete the handshake with buzzers `ids`. */
  const linkUp = (ids: number[]) => {
    link.opened();
    feed(0x00, 0x42, 0x00);
    expect(take()).toEqual([[0x13, 0x37]]);
    feed(ids.length, ...ids);
    if (ids.length === 0) clock.advance(20); // a count of 0 waits briefly: it could be a repeated hello
    expect(link.state).toBe("up");
  };
  return { clock, link, feed, take, resets, events, linkUp };
}

describe("jeoparty link", () => {
  test("handshake: 00 42 VV → 13 37 → N ids → up", () => {
    const { link, feed, take, events } = setup();
    link.opened();
    expect(link.state).toBe("booting");
    feed(0x00, 0x42);
    expect(take()).toEqual([]);
    feed(0x00);
    expect(take()).toEqual([[0x13, 0x37]]);
    expect(link.state).toBe("handshake");
    feed(0x02, 0x03);
    feed(0x09);
    expect(events).toEqual(["up 3,9 v0"]);
    expect([...link.buzzers]).toEqual([3, 9]);
  });

  test("pings after 100 ms of silence and resets after 250 ms", () => {
    const { clock, feed, take, resets, events, linkUp, link } = setup();
    linkUp([1]);
    clock.advance(99);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([[0x02]]);
    feed(0x03); // pong: the silence clock starts again
    clock.advance(99);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([[0x02]]);
    clock.advance(149);
    expect(resets).toEqual([]);
    clock.advance(1); // 250 ms since the pong
    expect(take()).toEqual([[0x01]]); // tell the receiver, then close and reopen
    expect(resets).toEqual(["no answer for 250 ms"]);
    expect(events).toEqual(["up 1 v0", "down no answer for 250 ms"]);
    expect(link.state).toBe("closed");
    expect(clock.pending).toBe(0);
  });

  test("any byte keeps the link alive, not only pongs", () => {
    const { clock, feed, take, resets, linkUp } = setup();
    linkUp([1]);
    for (let i = 0; i < 10; i++) {
      clock.advance(90);
      feed(0x04, 0x01);
    }
    expect(take()).toEqual([]);
    expect(resets).toEqual([]);
  });

  test("answers the receiver's ping with a pong", () => {
    const { feed, take, linkUp } = setup();
    linkUp([]);
    feed(0x02);
    expect(take()).toEqual([[0x03]]);
  });

  test("buzz, connected, disconnected while up", () => {
    const { feed, events, linkUp, link } = setup();
    linkUp([1, 2]);
    feed(0x04, 0x02, 0x06, 0x05, 0x07, 0x01, 0x07, 0x01);
    expect(events).toEqual(["up 1,2 v0", "buzz 2", "connected 5", "disconnected 1"]);
    expect([...link.buzzers].sort()).toEqual([2, 5]);
  });

  test("00 while up: re-handshake without reopening the port", () => {
    const { feed, take, resets, events, linkUp } = setup();
    linkUp([1, 2]);
    feed(0x00, 0x42, 0x01);
    expect(take()).toEqual([[0x13, 0x37]]);
    feed(0x01, 0x08);
    expect(resets).toEqual([]);
    expect(events).toEqual(["up 1,2 v0", "down receiver rebooted", "up 8 v1"]);
  });

  test("an unknown opcode resets the link; the rest of the read is dropped", () => {
    const { feed, take, resets, events, linkUp } = setup();
    linkUp([1]);
    feed(0x04, 0x01, 0x0a, 0x04, 0x01);
    expect(take()).toEqual([[0x01]]);
    expect(resets).toEqual(["unknown opcode 0x0a"]);
    expect(events).toEqual(["up 1 v0", "buzz 1", "down unknown opcode 0x0a"]);
  });

  test("01 from the receiver: down, no 01 back, its hello on the open port re-links", () => {
    const { feed, take, resets, events, linkUp, link } = setup();
    linkUp([1]);
    feed(0x01, 0x00, 0x42, 0x00);
    expect(take()).toEqual([[0x13, 0x37]]);
    feed(0x01, 0x07);
    expect(resets).toEqual([]);
    expect(events).toEqual(["up 1 v0", "down receiver sent reset", "up 7 v0"]);
    expect(link.state).toBe("up");
  });

  test("01 from the receiver and no hello: the hello timeout path (01 after 2 s, then reopen)", () => {
    const { clock, feed, take, resets, linkUp } = setup();
    linkUp([1]);
    feed(0x01);
    clock.advance(1999);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([[0x01]]);
    clock.advance(2000);
    expect(resets).toEqual(["no handshake from the receiver"]);
  });

  test("no ping while the buzzer list is awaited, only the 250 ms reset", () => {
    const { clock, feed, take, resets, link } = setup();
    link.opened();
    feed(0x00, 0x42, 0x00);
    expect(take()).toEqual([[0x13, 0x37]]);
    clock.advance(249);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([[0x01]]);
    expect(resets).toEqual(["no answer for 250 ms"]);
  });

  test("a hello repeated before the buzzer list is one hello, not an empty list and an unknown opcode", () => {
    const { clock, feed, take, resets, events, link } = setup();
    link.opened();
    feed(0x00, 0x42, 0x00, 0x00, 0x42, 0x00, 0x00, 0x42, 0x00);
    expect(take()).toEqual([[0x13, 0x37]]); // one answer: one buzzer list will follow
    feed(0x00, 0x42, 0x00); // one more, in a later read
    expect(take()).toEqual([]);
    feed(0x02, 0x04, 0x05);
    clock.advance(50);
    expect(resets).toEqual([]);
    expect(events).toEqual(["up 4,5 v0"]);
    expect(link.state).toBe("up");
  });

  test("an empty buzzer list is up after a short wait, and at once when another byte follows", () => {
    const { clock, feed, events, link } = setup();
    link.opened();
    feed(0x00, 0x42, 0x00, 0x00);
    expect(link.state).toBe("handshake");
    clock.advance(20);
    expect(events).toEqual(["up  v0"]);
    link.opened();
    feed(0x00, 0x42, 0x00, 0x00, 0x04, 0x03);
    expect(events).toEqual(["up  v0", "down port reopened", "up  v0", "buzz 3"]);
  });

  test("no ready after open: send reset once, then reopen", () => {
    const { clock, take, resets, link, feed } = setup();
    link.opened();
    feed(0xfe, 0x11); // bootloader noise before the handshake is ignored
    clock.advance(1999);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([[0x01]]);
    clock.advance(2000);
    expect(take()).toEqual([[0x01]]);
    expect(resets).toEqual(["no handshake from the receiver"]);
  });

  test("port lost while up: down once, timers stopped", () => {
    const { clock, link, events, linkUp, resets } = setup();
    linkUp([4]);
    link.closed("unplugged");
    link.closed("unplugged");
    clock.advance(5000);
    expect(events).toEqual(["up 4 v0", "down unplugged"]);
    expect(resets).toEqual([]);
    expect(link.setColor(4, [1, 2, 3])).toBe(false);
  });

  test("v2 numbering: 01 is ping, 03 buzz, colour on 04; reset is not sent", () => {
    const { clock, feed, take, events, linkUp, link, resets } = setup("v2");
    linkUp([1]);
    feed(0x01);
    expect(take()).toEqual([[0x02]]);
    feed(0x03, 0x01, 0x05, 0x02, 0x06, 0x01);
    expect(events).toEqual(["up 1 v0", "buzz 1", "connected 2", "disconnected 1"]);
    expect(link.setColor(2, [9, 8, 7])).toBe(true);
    expect(take()).toEqual([[0x04, 2, 9, 8, 7]]);
    clock.advance(100);
    expect(take()).toEqual([[0x01]]);
    clock.advance(150);
    expect(take()).toEqual([]); // no reset opcode in v2: just close and reopen
    expect(resets).toEqual(["no answer for 250 ms"]);
  });
});
