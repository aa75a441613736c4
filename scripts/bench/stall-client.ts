// S1's stalled subscriber: its own process, so the runner can freeze it with SIGSTOP (a phone
// that stopped reading: the kernel buffers fill, then the server's per-socket queue grows).
// Prints "ready" once joined; after SIGCONT it drains what was queued and, when the connection
// ends, prints {"frames","closeCode"} (closeCode null: the server cut TCP without a close frame).
//   bun scripts/bench/stall-client.ts PORT PATH '["setup frame", …]'
import { connectRaw, type Tally } from "./lib/rawws.ts";

const [port, path, setup] = process.argv.slice(2);
const tally: Tally = { frames: 0, bytes: 0 };
const c = await connectRaw(Number(port), path!, { tally, setup: JSON.parse(setup ?? "[]") as string[] });
console.log("ready");
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ frames: tally.frames, bytes: tally.bytes, closeCode: c.closeCode, ended: false }));
  process.exit(0);
}, 120_000);
await c.done;
clearTimeout(timeout);
console.log(JSON.stringify({ frames: tally.frames, bytes: tally.bytes, closeCode: c.closeCode, ended: true }));
process.exit(0);
