// Keeps the benchmark harness from rotting: the cheap counting client against the real server
// (every frame-length encoding, pings answered), and one tiny run of each scenario end to end through the
// runner's own child processes. No timings are asserted: only that every frame was counted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { FanoutArgs } from "../../../scripts/bench/loadgen-fanout.ts";
import type { IdleArgs, IdleResult } from "../../../scripts/bench/loadgen-idle.ts";
import type { RelayArgs } from "../../../scripts/bench/loadgen-relay.ts";
import type { ShapeResult } from "../../../scripts/bench/lib/phase.ts";
import { connectRaw, type Tally } from "../../../scripts/bench/lib/rawws.ts";
import { startServer } from "../../../scripts/bench/lib/servers.ts";
import { runJson } from "../../../scripts/lib/spawn.ts";
import { Ws } from "../../../scripts/bench/lib/wsclient.ts";
import { benchFanout } from "../../../scripts/bench/servers/fanout-protocol.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";

/** The counting client reports by fields, not events: its tally is polled, with a deadline. */
const until = (cond: () => boolean, timeoutMs = 5000) => waitFor(cond, { timeoutMs, what: "the tally" });

describe("cheap counting client", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({ maxFrameBytes: 200_000, pingIntervalMs: 100, idleTimeoutMs: 400 }, { protocols: [benchFanout] });
  });
  afterAll(() => s.stop());

  test("counts frames with 7-bit, 16-bit and 64-bit lengths, split across reads", async () => {
    const tally: Tally = { frames: 0, bytes: 0 };
    const subs = [await connectRaw(s.port, "/bench?room=t", { tally, capture: 3 }), await connectRaw(s.port, "/bench?room=t", { tally })];
    const pub = await Ws.open(`${s.ws("/bench")}?room=t&role=pub`);
    const sizes = [5, 300, 150_000];
    for (const n of sizes) pub.send("x".repeat(n));
    await until(() => tally.frames === 2 * sizes.length);
    expect(subs[0]!.texts.map((t) => t.length)).toEqual(sizes);
    expect(subs[0]!.frames).toBe(3);
    pub.close();
    for (const c of subs) c.close();
  });

  test("answers server pings, so an idle client outlives the idle timeout", async () => {
    const tally: Tally = { frames: 0, bytes: 0 };
    const c = await connectRaw(s.port, "/bench?room=idle", { tally });
    await Bun.sleep(1200); // a negative check: three idle timeouts pass and the client is still there
    expect(c.ended).toBe(false);
    c.close();
    await c.done;
  });
});

describe("fan-out, one room, end to end", () => {
  for (const [kind, path] of [
    ["b0", "b0"],
    ["switchboard", "raw"],
  ] as const) {
    test(`${path}: every broadcast reaches every subscriber in both load shapes`, async () => {
      const srv = await startServer(kind);
      try {
        const args: FanoutArgs = { port: srv.port, pid: srv.pid, path, ns: [20], probes: 2, warmMs: 50, closedMs: 200, openMs: 200, openRate: 2000, inflight: 200 };
        const { results } = await runJson<{ results: ShapeResult[] }>([process.execPath, join(import.meta.dir, "../../../scripts/bench/loadgen-fanout.ts"), JSON.stringify(args)], 30_000);
        expect(results.map((r) => r.shape)).toEqual(["closed", "open"]);
        expect(results[0]!.serverCpu).toBeGreaterThan(0); // a saturated server used CPU, read from /proc
        for (const r of results) {
          expect(r.deliveries).toBeGreaterThan(0);
          expect(r.complete).toBe(1);
          expect(r.stalled).toBe(false);
          expect(r.lat.n).toBeGreaterThan(0);
        }
      } finally {
        await srv.stop();
      }
    });
  }
});

describe("Socket.IO relay end to end", () => {
  // The raw clients speak Socket.IO themselves (WebSocket on a raw TCP socket; polling over
  // fetch): every command sent must come back finished, against both servers.
  for (const kind of ["switchboard", "b2"] as const)
    for (const transport of ["websocket", "polling"] as const)
      test(`${kind}, raw ${transport} client: every command finishes in both load shapes`, async () => {
        const srv = await startServer(kind);
        try {
          const args: RelayArgs = { port: srv.port, pid: srv.pid, pairs: 3, outstanding: 2, transport, client: "raw", warmMs: 50, closedMs: 300, openMs: 300, openRate: 100 };
          const r = await runJson<{ results: ShapeResult[]; failed: number }>([process.execPath, join(import.meta.dir, "../../../scripts/bench/loadgen-relay.ts"), JSON.stringify(args)], 30_000);
          expect(r.failed).toBe(0);
          expect(r.results.map((x) => x.shape)).toEqual(["closed", "open"]);
          for (const x of r.results) {
            expect(x.deliveries).toBeGreaterThan(0);
            expect(x.complete).toBe(1);
            expect(x.stalled).toBe(false);
          }
        } finally {
          await srv.stop();
        }
      });
});

describe("idle memory end to end", () => {
  test("a warm run holds idle connections on every endpoint through its steps (it fails if the server closes one) and leaves none behind", async () => {
    const srv = await startServer("switchboard");
    try {
      const { idlePaths } = await import("../../../scripts/bench/protocol-paths.ts");
      const health = async () => (await (await fetch(`http://127.0.0.1:${srv.port}/healthz`)).json()) as { connections: Record<string, number> };
      const args: IdleArgs = { port: srv.port, pid: srv.pid, paths: idlePaths, steps: [20, 40], settleMs: 100, warm: 10 };
      const r = await runJson<IdleResult>([process.execPath, join(import.meta.dir, "../../../scripts/bench/loadgen-idle.ts"), JSON.stringify(args)], 30_000);
      expect(r.rss0).toBeGreaterThan(0);
      expect(r.steps.map((s) => s.n)).toEqual([20, 40]);
      for (const s of r.steps) expect(s.rss).toBeGreaterThan(0);
      // The load generator has exited: its connections are gone, warm-up ones included.
      await waitFor(async () => Object.values((await health()).connections).every((n) => n === 0), { timeoutMs: 2500, everyMs: 50 }).catch(() => {});
      expect(Object.values((await health()).connections).every((n) => n === 0)).toBe(true);
    } finally {
      await srv.stop();
    }
  });
});
