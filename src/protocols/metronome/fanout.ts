// Fan-out of one server request (play_sound, stop_sound) to members of a group
// (docs/metronome.md#fan-out): one frame published to the group's topic when every member's frame
// is the same, else one frame per phone. Pure: Topics and Conn are interfaces.
import type { Topics } from "../../transport/types.ts";
import type { MetronomeClient } from "./client.ts";
import { requestHead } from "./codec.ts";
import type { Group } from "./registry.ts";

/** How a fan-out reaches its receivers: see fanOut. */
export type Via = "topic" | "post" | "send";

/**
 * One server request to each of `to`. Each phone's frame is its own in principle: start_ts on its
 * own clock, K from its own counter. In a band they usually agree (phones that joined together,
 * clocks that agree with the server's or with each other), and then the one frame is published to
 * the group's topic instead of written to each socket; otherwise each phone gets the frame for its
 * (value, K). `via`: "topic" when `to` is every member (so a shared frame may be published),
 * "post" for some members from the owner's handler, "send" for one client from its own handler or a timer.
 * On several nodes the topic reaches this node's members only: the members on other nodes hear
 * the change from their own node, in their own clocks (docs/cluster.md#metronome).
 */
export function fanOut(topics: Topics, g: Group<MetronomeClient>, to: Iterable<MetronomeClient>, via: Via, valueOf: (m: MetronomeClient) => number | string, method: string, params: (v: number | string) => string = String): void {
  let first: MetronomeClient | null = null;
  let same = true;
  for (const m of to) {
    m.outValue = valueOf(m);
    m.outK = m.nextRequestId();
    if (!first) first = m;
    else if (m.outValue !== first.outValue || m.outK !== first.outK) same = false;
  }
  if (!first) return;
  const head = requestHead(method);
  if (same && via === "topic") {
    topics.publish(g.topic, `${head}${params(first.outValue)},"id":${first.outK}}`);
    return;
  }
  // One frame per phone; phones next to each other in the set with the same (start_ts, K) share
  // one. To the group (from the owner's handler) each is posted: one write per phone and loop
  // turn. A late joiner is answered from its own handler: sent.
  let v: number | string | null = null;
  let k = 0;
  let f = "";
  const toGroup = via !== "send";
  for (const m of to) {
    if (m.outValue !== v || m.outK !== k) f = `${head}${params((v = m.outValue))},"id":${(k = m.outK)}}`;
    if (toGroup) m.conn.post(f);
    else m.conn.send(f);
  }
}

