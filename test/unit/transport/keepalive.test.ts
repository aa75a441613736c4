// Keepalive on the fake clock, to the millisecond (docs/common.md#keepalive): a ping every
// pingIntervalMs after the last one, the close after idleTimeoutMs of silence, whatever the number
// of connections, with one timer.
import { describe, expect, test } from "bun:test";
import { KeepAlive, type KeepAliveNode } from "../../../src/transport/keepalive.ts";
import { FakeClock } from "../../helpers/fakes.ts";

interface Node extends KeepAliveNode {
  name: string;
}
const node = (name: string): Node => ({ name, heardAt: 0, pingedAt: 0, kaDue: 0, kaIndex: -1 });

function setup(pingMs = 100, idleMs = 250) {
  const clock = new FakeClock(0, 0);
  const log: string[] = [];
  const ka = new KeepAlive<Node>(clock, pingMs, idleMs, {
    ping: (n) => log.push(`${clock.mono()} ping ${n.name}`),
    expire: (n) => log.push(`${clock.mono()} expire ${n.name}`),
  });
  return { clock, log, ka };
}

describe("keepalive", () => {
  test("a silent connection is pinged at 100 and 200 ms and closed at exactly 250 ms", () => {
    const { clock, log, ka } = setup();
    ka.add(node("a"));
    clock.advance(99);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(["100 ping a"]);
    clock.advance(149);
    expect(log).toEqual(["100 ping a", "200 ping a"]);
    clock.advance(1);
    expect(log).toEqual(["100 ping a", "200 ping a", "250 expire a"]);
    expect(ka.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  test("anything heard (a frame, a pong) moves the idle close; pings keep their own beat", () => {
    const { clock, log, ka } = setup();
    const a = node("a");
    ka.add(a);
    clock.advance(240);
    a.heardAt = clock.mono(); // the pong to the 200 ms ping
    clock.advance(249);
    expect(log).toEqual(["100 ping a", "200 ping a", "300 ping a", "400 ping a"]);
    clock.advance(1);
    expect(log.at(-1)).toBe("490 expire a");
  });

  test("many connections on one timer, each on its own deadlines; removing one stops its own", () => {
    const { clock, log, ka } = setup(100, 1000);
    const [a, b, c] = [node("a"), node("b"), node("c")];
    ka.add(a);
    clock.advance(30);
    ka.add(b);
    clock.advance(30);
    ka.add(c);
    ka.remove(b);
    clock.advance(100);
    expect(log).toEqual(["100 ping a", "160 ping c"]);
    expect(clock.pending).toBe(1);
    ka.stop();
    clock.advance(1000);
    expect(log).toEqual(["100 ping a", "160 ping c"]);
    expect(clock.pending).toBe(0);
  });

  test("nothing is scheduled while no connection is open", () => {
    const { clock, ka } = setup();
    const a = node("a");
    ka.add(a);
    ka.remove(a);
    expect(clock.pending).toBe(0);
    ka.remove(a); // twice is harmless
    expect(ka.size).toBe(0);
  });
});
