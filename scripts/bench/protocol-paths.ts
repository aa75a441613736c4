// The broadcast paths of Switchboard's protocols (docs/bench.md#scenarios), registered into
// paths.ts as each protocol lands on main, plus the endpoints M1 spreads its idle connections over.
import { join } from "node:path";
import { readUntil } from "../lib/spawn.ts";
import { Ws } from "./lib/wsclient.ts";
import { registerPath, type FanoutPath } from "./paths.ts";

/** Endpoints an idle connection may open on Switchboard (M1 spreads its connections over them). */
export const idlePaths: { path: string; setup?: string[] }[] = [];

const token = (t: string, i: number) => t.split(" ")[i];

// The clicker (docs/clicker.md#broadcasts): one registered clicker scores; its listeners get
// `SCORE <timestamp> <id> <score>`. Each SCORE is stored durably (group commit) before it is
// broadcast: that cost is part of the path.
registerPath({
  name: "clicker",
  what: "clicker SCORE → listeners",
  protocol: "clicker",
  async room(port) {
    const pub = await Ws.open(`ws://127.0.0.1:${port}/ws`);
    const reg = await pub.call("REGISTER", (t) => t.startsWith("REGISTERED "));
    const id = token(reg, 1)!;
    return {
      subPath: "/ws",
      subSetup: () => [`LISTEN ${id}`],
      publish: (seq) => pub.send(`SCORE ${seq} ${seq % 1000}`),
      seqOf: (t) => (t.startsWith("SCORE ") ? Number(token(t, 1)) : null),
      close: () => pub.close(),
    };
  },
});
idlePaths.push({ path: "/ws" });

// The watch party (docs/syncparty.md#playback-control): the host's player_event is relayed to every
// other participant. Rooms are capped (--room-max-participants, 100 by default; the bench raises it
// to 101 so the host plus 100 viewers fit). Every join sends the whole participant list to the
// room, so joins cost O(N²) bytes: N = 1000 (≈ 20 GB of participants_update) and M2's churn are
// left out.
const watchMax = 100;
registerPath({
  name: "syncparty",
  what: "watch-party player_event → room",
  protocol: "syncparty",
  maxN: watchMax,
  noChurn: "every join broadcasts the full participant list to the room (O(N) bytes per member per join)",
  async room(port, id) {
    const url = `ws://127.0.0.1:${port}/OpenSyncParty/ws`;
    const host = await Ws.open(url);
    const env = (type: string, client: string, payload: object) => JSON.stringify({ type, room: id, client, payload, ts: 0 });
    const st = await host.call(env("create_room", "host", { media_url: "https://example.org/bench.mp4", name: "host" }), (t) => t.includes('"room_state"') || t.includes('"error"'));
    if (!st.includes('"room_state"')) throw new Error("create_room failed: " + st);
    return {
      subPath: "/OpenSyncParty/ws",
      subSetup: (i) => [env("join_room", `v${i}`, { name: `viewer ${i}` })],
      publish: (seq) => host.send(env("player_event", "host", { action: "seek", position: seq })),
      seqOf: (t) => {
        if (!t.includes('"player_event"')) return null;
        const m = /"position":(\d+)/.exec(t);
        return m ? Number(m[1]) : null;
      },
      close: () => host.close(),
    };
  },
});
export const watchFlags = ["--room-max-participants", String(watchMax + 1)];
idlePaths.push({ path: "/OpenSyncParty/ws" });

// The buzzer (docs/buzzer.md#events): a receiver emulator (scripts/buzzer-emulator.ts, its own
// process so its serial link keeps answering pings while the load generator is busy) presses
// buzzers on command; the mediator reads the serial bytes and sends {"event":"buzz",…} to every
// client of /mediator. The broadcast reaches the whole endpoint, so one room per server and no F2.
registerPath({
  name: "buzzer",
  what: "buzzer serial buzz → every client",
  protocol: "buzzer",
  noRooms: "buzzer events go to every client of /mediator: there are no rooms",
  noCallgrind: "under valgrind the mediator misses its 250 ms serial watchdog and resets the link, dropping buzzes",
  async room(port) {
    // The receiver announces its buzzers with a one-byte count: at most 255 of them.
    const ids = Array.from({ length: 255 }, (_, i) => i).join(",");
    const emu = Bun.spawn([process.execPath, join(import.meta.dir, "..", "buzzer-emulator.ts"), "--buzzers", ids], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    const reader = emu.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const dev = await readUntil(reader, (t) => t.includes("\n"), "the buzzer emulator");
    const pub = await Ws.open(`ws://127.0.0.1:${port}/mediator`);
    const r = await pub.call(JSON.stringify({ command: "connect", pool: dev.trim() }), (t) => t.includes('"connect"') || t.includes('"error"'));
    if (!r.includes('"result"')) throw new Error("buzzer connect failed: " + r);
    let pending = "";
    const flush = setInterval(() => {
      if (pending) emu.stdin.write(pending), emu.stdin.flush(), (pending = "");
    }, 1);
    return {
      subPath: "/mediator",
      subSetup: () => [],
      modulo: 255,
      publish: (seq) => void (pending += `buzz ${seq % 255}\n`),
      seqOf: (t) => {
        if (!t.includes('"buzz"')) return null;
        const m = /"buzzer":(\d+)/.exec(t);
        return m ? Number(m[1]) : null;
      },
      close: () => {
        clearInterval(flush);
        pub.close();
        emu.kill();
      },
    };
  },
});
idlePaths.push({ path: "/mediator" });

// The metronome (docs/metronome.md#owner-controls): the owner's update_temp makes every member
// receive a play_sound request. A member's frame is its own in principle (start_ts on that phone's
// clock, K from its own counter); members whose frames agree get it as one publish to the group's
// topic. Two rooms: phones on the server's clock (they all agree: one publish per broadcast), and
// every phone on its own clock (skewed by a different number of seconds each: one frame per phone).
// The broadcast can only carry a bpm (20..400): seq is matched modulo 381.
function metronomePath(name: string, what: string, skewMs: (i: number) => number, extra: Partial<FanoutPath>): FanoutPath {
  return {
    name,
    what,
    protocol: "metronome",
    ...extra,
    async room(port) {
      const owner = await Ws.open(`ws://127.0.0.1:${port}/connect`);
      let id = 0;
      const rpc = (method: string, params: object) => JSON.stringify({ jsonrpc: "2.0", method, params, id: ++id });
      const call = async (method: string, params: object) => {
        const want = id + 1;
        return JSON.parse(await owner.call(rpc(method, params), (t) => t.includes(`"id":${want}`) && t.includes('"result"'))) as { result: { client_id?: number; status: string } };
      };
      const me = (await call("get_id", { time_utc: Date.now() })).result.client_id;
      await call("create_group", { time_utc: Date.now() });
      await call("start_metronome", { group_id: me, current_client_ts: Date.now(), bpm: 100 });
      return {
        subPath: "/connect",
        subSetup: (i) => [
          JSON.stringify({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() + skewMs(i) }, id: 1 }),
          JSON.stringify({ jsonrpc: "2.0", method: "subscribe_to_group", params: { group_id: me }, id: 2 }),
        ],
        modulo: 381,
        publish: (seq) => owner.send(rpc("update_temp", { group_id: me, current_client_ts: Date.now(), bpm: 20 + (seq % 381) })),
        seqOf: (t) => {
          if (!t.includes('"play_sound"')) return null;
          const m = /"bpm":(\d+)/.exec(t);
          return m ? Number(m[1]) - 20 : null;
        },
        close: () => owner.close(),
      };
    },
  };
}
registerPath(metronomePath("metronome", "metronome update_temp → play_sound to members", () => 0, {}));
const skewNote = "F1 prices per-phone frames; the other scenarios use the metronome path";
registerPath(
  metronomePath("metronome-skew", "the same, every phone on its own clock", (i) => 1000 * (i + 1), {
    maxN: 100,
    noChurn: skewNote,
    noRooms: skewNote,
    noCallgrind: skewNote,
  }),
);
idlePaths.push({ path: "/connect" });
// Socket.IO (docs/socketio.md#engineio-and-socketio-layer): an idle client is an Engine.IO
// WebSocket session connected to the "/" namespace.
idlePaths.push({ path: "/socket.io/?EIO=4&transport=websocket", setup: ["40"] });
