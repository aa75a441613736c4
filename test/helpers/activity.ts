// Activity on every protocol of a test server, for the operator status feed and the console
// (docs/pages.md#the-status-feed): a playing metronome group with a member, a watch-party room with
// a guest, a clicker that scored and one that went away, a relay monitor with an unfinished
// command and its user, and a buzzer pool on the receiver emulator's pty (the server needs
// testPoolAllow for it). Everything opened here is closed by close().
import { ReceiverEmulator } from "../../scripts/buzzer-emulator.ts";
import { openMediator, untilJson } from "./clients/buzzer.ts";
import { register } from "./clients/clicker.ts";
import { MetronomeClient } from "./clients/metronome.ts";
import { SioTestClient } from "./clients/socketio.ts";
import { Peer } from "./clients/syncparty.ts";
import type { TestServer } from "./server.ts";
import { TestClient } from "./ws-client.ts";

export interface Activity {
  /** The metronome group's id (its owner's client id) and its member's id. */
  group: number;
  member: number;
  room: string;
  /** The clicker that stays online, and the one that scored and left. */
  clicker: string;
  gone: string;
  monitor: string;
  /** The id of the relay command left unfinished. */
  command: string;
  pool: string;
  emulator: ReceiverEmulator;
  close(): Promise<void>;
}

let seq = 0;

export async function startActivity(srv: TestServer, opts: { pool?: boolean } = {}): Promise<Activity> {
  const closers: Array<() => unknown> = [];
  const n = ++seq;
  try {
    // Metronome: an owner playing at 120 bpm and one member.
    const owner = await MetronomeClient.open(srv.ws("/connect"));
    closers.push(() => owner.ws.close());
    const group = (await owner.result("get_id", { time_utc: Date.now() })).client_id as number;
    await owner.result("create_group", { time_utc: Date.now() });
    await owner.result("start_metronome", { group_id: group, current_client_ts: Date.now(), bpm: 120 });
    const m = await MetronomeClient.open(srv.ws("/connect"));
    closers.push(() => m.ws.close());
    const member = (await m.result("get_id", { time_utc: Date.now() })).client_id as number;
    await m.result("subscribe_to_group", { group_id: group });

    // Watch party: a host and a guest in a playing room.
    const room = `movie-${n}`;
    const host = new Peer(await TestClient.open(srv.ws("/OpenSyncParty/ws")), "alice");
    closers.push(() => host.close());
    await host.create(room, { name: "Alice", start_pos: 30, media_url: "https://example.test/film.mp4" });
    const guest = new Peer(await TestClient.open(srv.ws("/OpenSyncParty/ws")), "bob");
    closers.push(() => guest.close());
    await guest.join(room, { name: "Bob" });
    host.send("player_event", room, { action: "play", position: 31 });
    await guest.until("player_event");

    // Clicker: one stays with two scores, one scores once and leaves.
    const c1 = await TestClient.open(srv.ws("/ws"));
    closers.push(() => c1.close());
    const clicker = (await register(c1)).id;
    c1.send("SCORE 100 7");
    await c1.until((l) => l === "SCORED 100");
    c1.send("SCORE 200 9");
    await c1.until((l) => l === "SCORED 200");
    const c2 = await TestClient.open(srv.ws("/ws"));
    const gone = (await register(c2)).id;
    c2.send("SCORE 5 3");
    await c2.until((l) => l === "SCORED 5");
    c2.close();

    // Socket.IO relay: a monitor, its user, and a command the monitor has not finished.
    const monitor = `kitchen-${n}`;
    const mon = await SioTestClient.connect(srv.http, "websocket");
    closers.push(() => mon.close());
    mon.emit("con", { monitor_id: monitor });
    await mon.next("con ok");
    const user = await SioTestClient.connect(srv.http, "websocket");
    closers.push(() => user.close());
    await user.emitWithAck("query", { monitor_id: monitor });
    const command = (await user.emitWithAck("command send", { command: "lights on" })).id as string;
    await mon.next("command do");

    // Buzzers: the receiver emulator on a pty, connected by an operator.
    const emulator = await ReceiverEmulator.start({ buzzers: [1, 2, 3], bootDelayMs: 20 });
    closers.push(() => emulator.stop());
    if (opts.pool !== false) {
      const med = await openMediator(srv.ws(""));
      closers.push(() => med.close());
      med.send({ command: "connect", pool: emulator.path });
      await untilJson(med, (x) => x.result === "connect", 8000);
    }
    return {
      group,
      member,
      room,
      clicker,
      gone,
      monitor,
      command,
      pool: emulator.path,
      emulator,
      close: async () => {
        for (const c of closers.reverse()) await c();
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}
