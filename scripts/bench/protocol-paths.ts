// The broadcast paths of Switchboard's protocols (PROTOCOLS.md), registered into paths.ts as each
// protocol lands on main, plus the endpoints M1 spreads its idle connections over.
import { Ws } from "./lib/wsclient.ts";
import { registerPath } from "./paths.ts";

/** Endpoints an idle connection may open on Switchboard (M1 spreads its connections over them). */
export const idlePaths: string[] = [];

const token = (t: string, i: number) => t.split(" ")[i];

// §3 clicker: one registered clicker scores; its listeners get `SCORE <timestamp> <id> <score>`.
// Each SCORE is stored durably (group commit) before it is broadcast: that cost is part of the path.
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
idlePaths.push("/ws");
