// Unit tests of the shared ping schedule on a fake clock: each node's ping at its own deadline,
// re-adding moves a node, removal stops it, and no timer stays armed for an empty schedule.
import { expect, test } from "bun:test";
import { PingSchedule, type PingNode } from "../../../src/socketio/engine/heartbeat.ts";
import { FakeClock } from "./fakes.ts";

function node(name: string, log: string[], clock: FakeClock): PingNode {
  return { pingDue: 0, pingPrev: null, pingNext: null, pingQueued: false, pingDueNow: () => log.push(`${name}@${clock.mono()}`) };
}

test("every node is pinged at its own deadline, in order; re-adding moves it, removing drops it", () => {
  const clock = new FakeClock(0, 0);
  const log: string[] = [];
  const sched = new PingSchedule(clock, 100);
  const [a, b, c] = [node("a", log, clock), node("b", log, clock), node("c", log, clock)];
  sched.add(a);
  clock.advance(30);
  sched.add(b);
  clock.advance(30);
  sched.add(c);
  sched.add(a); // a pong: a's next ping is now 100 from here (t=60), after b's and c's
  clock.advance(200);
  expect(log).toEqual(["b@130", "c@160", "a@160"]);
  expect(clock.pending).toBe(0);
  sched.add(a);
  sched.add(b);
  sched.remove(a);
  clock.advance(100);
  expect(log.slice(3)).toEqual(["b@360"]);
  sched.add(c);
  sched.remove(c);
  expect(clock.pending).toBe(0);
});

test("a node re-added from its own callback is scheduled one interval later", () => {
  const clock = new FakeClock(0, 0);
  const sched = new PingSchedule(clock, 50);
  const times: number[] = [];
  const n: PingNode = { pingDue: 0, pingPrev: null, pingNext: null, pingQueued: false, pingDueNow: () => (times.push(clock.mono()), times.length < 3 && sched.add(n)) };
  sched.add(n);
  clock.advance(500);
  expect(times).toEqual([50, 100, 150]);
  expect(clock.pending).toBe(0);
});
