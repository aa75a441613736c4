// How a watch page follows its host (src/pages/watch/sync.ts, docs/pages.md#the-watch-page). Pure.
import { expect, test } from "bun:test";
import { clock, correction, playableUrl, ServerClock, targetPosition } from "../../../src/pages/watch/sync.ts";

test("the host's position is extrapolated while playing, held while paused, kept within the film", () => {
  const ref = { position: 10, playing: true, serverTs: 1_000_000 };
  expect(targetPosition(ref, 1_002_500)).toBeCloseTo(12.5, 9);
  expect(targetPosition(ref, 999_000)).toBe(10); // a reading from before the report: not backwards
  expect(targetPosition({ ...ref, playing: false }, 1_060_000)).toBe(10);
  expect(targetPosition(ref, 1_100_000, 60)).toBe(60);
});

test("small drift is closed by speed, at most 10% off; past 0.5 s the follower seeks; paused, it seeks to the frame", () => {
  expect(correction(10.005, 10, true)).toEqual({ kind: "rate", rate: 1 });
  expect((correction(10.05, 10, true) as { rate: number }).rate).toBeCloseTo(0.95, 9);
  expect(correction(9.97, 10, true).kind).toBe("rate");
  expect((correction(9.97, 10, true) as { rate: number }).rate).toBeCloseTo(1.03, 9);
  expect(correction(10.4, 10, true)).toEqual({ kind: "rate", rate: 0.9 });
  expect(correction(9.6, 10, true)).toEqual({ kind: "rate", rate: 1.1 });
  expect(correction(10.51, 10, true)).toEqual({ kind: "seek", to: 10 });
  expect(correction(2, 10, true)).toEqual({ kind: "seek", to: 10 });
  expect(correction(10.03, 10, false)).toEqual({ kind: "rate", rate: 1 });
  expect(correction(10.2, 10, false)).toEqual({ kind: "seek", to: 10 });
});

test("the server clock comes from the pong with the shortest round trip", () => {
  const c = new ServerClock();
  expect(c.offset).toBe(0);
  c.add(1000, 6010, 1020); // rtt 20: offset 5000
  c.add(2000, 7003, 2004); // rtt 4: offset 5001
  c.add(3000, 8100, 3050); // rtt 50
  expect(c.offset).toBe(5001);
  expect(c.rtt).toBe(4);
  c.add(4000, 9000, 3990); // negative round trip: ignored
  expect(c.rtt).toBe(4);
});

test("times as people read them, and which media URLs the page plays", () => {
  expect(clock(83.4)).toBe("1:23");
  expect(clock(3725)).toBe("1:02:05");
  expect(clock(NaN)).toBe("0:00");
  expect(playableUrl("/media/film.webm", "http://pi:8080/watch")).toBe("http://pi:8080/media/film.webm");
  expect(playableUrl("https://example.org/a.mp4", "http://pi:8080/watch")).toBe("https://example.org/a.mp4");
  expect(playableUrl("javascript:alert(1)", "http://pi:8080/watch")).toBeNull();
  expect(playableUrl("", "http://pi:8080/watch")).toBeNull();
});
