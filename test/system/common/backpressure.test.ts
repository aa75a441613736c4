// Slow readers (docs/common.md#slow-readers): a subscriber that stops reading is disconnected once
// --backpressure-bytes are queued for it, and nobody else is held up or loses a frame.
// What the stalled client sees: the frames that fit in the socket buffers, then the TCP stream
// ends without a close frame (a browser reports 1006), because a close frame could not get past
// the queue that caused the disconnect in the first place.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let s: TestServer;
beforeAll(async () => {
  // The rate limit is lifted so the flood is only about the slow reader, not the sender.
  s = await bootServer({ rateLimit: 1_000_000, rateBurst: 1_000_000 });
});
afterAll(() => s.stop());

const env = (type: string, client: string, payload: object) => JSON.stringify({ type, room: "bp", client, payload, ts: 1 });
const health = async () => ((await (await fetch(s.http + "/healthz")).json()) as any).connections;

test("a watch-party member that stops reading is dropped; the others get every frame and see it leave", async () => {
  const host = await TestClient.open(s.ws("/OpenSyncParty/ws"));
  host.send(env("create_room", "host", { name: "H", options: {} }));
  expect(JSON.parse(await host.next()).type).toBe("room_state");

  const py = Bun.spawn(["python3", `${import.meta.dir}/nonreader.py`, String(s.port), "/OpenSyncParty/ws", JSON.stringify([env("join_room", "slow", { name: "S" })])], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const out = (py.stdout as ReadableStream<Uint8Array>).getReader();
    let pending = "";
    // One whole line of the script's output; its exit status and stderr if it ends without one.
    const line = async (): Promise<string> => {
      for (;;) {
        const nl = pending.indexOf("\n");
        if (nl >= 0) {
          const l = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          return l;
        }
        const { value, done } = await out.read();
        if (done) throw new Error(`nonreader.py ended (exit ${await py.exited}) without a line: ${await new Response(py.stderr as ReadableStream).text()}`);
        pending += new TextDecoder().decode(value);
      }
    };
    expect(await line()).toBe("ready");
    await host.until((f) => JSON.parse(f).type === "participants_update");

    const fast = await TestClient.open(s.ws("/OpenSyncParty/ws"));
    fast.send(env("join_room", "fast", { name: "F" }));
    expect(JSON.parse(await fast.next()).type).toBe("room_state");
    await host.until((f) => JSON.parse(f).type === "participants_update");
    expect((await health()).syncparty).toBe(3);

    // 400 relays of ~60 KB (24 MB) to each member: far past the 1 MiB limit plus kernel buffers.
    const pad = "x".repeat(60_000);
    for (let i = 0; i < 400; i++) {
      host.send(env("player_event", "host", { action: "seek", position: i, pad }));
      if (i % 20 === 0) await Bun.sleep(5); // paces the host: the flood must not trip the host's own limits
    }
    const positions: number[] = [];
    let left = false;
    while (positions.length < 400 || !left) {
      const m = JSON.parse(await fast.next(10_000));
      if (m.type === "player_event") positions.push(m.payload.position);
      if (m.type === "client_left" && m.client === "slow") left = true;
    }
    expect(positions).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect((await health()).syncparty).toBe(2);
    expect(host.closed).toBeNull();

    py.stdin.write("read\n");
    py.stdin.flush();
    const seen = JSON.parse(await line());
    expect(seen.frames).toBeGreaterThan(0);
    expect(seen.frames).toBeLessThan(400);
    expect(seen.close).toBeNull(); // no close frame: the client reports 1006
    fast.close();
    host.close();
  } finally {
    py.kill();
  }
}, 30_000);
