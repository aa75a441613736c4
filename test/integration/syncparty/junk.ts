// Seeded generator of malformed watch-party frames for the robustness test. Every frame it
// makes must earn an error reply from a seated non-host guest: it never makes a valid ping
// or a leave_room (the only messages such a guest may send successfully).

/** mulberry32: small, fast, reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function junkFrames(seed: number, count: number, room: string, client: string): (string | Uint8Array)[] {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const weird = (): unknown =>
    pick([() => null, () => true, () => int(1e9), () => "x".repeat(int(50)), () => [1, [2, [3]]], () => ({ a: { b: { c: [] } } }), () => -1e308, () => 1e308])();
  const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
  const types = ["create_room", "join_room", "player_event", "state_update", "ping", "create_invite"] as const;

  const makers: (() => string | Uint8Array)[] = [
    // random bytes, as a binary frame
    () => Uint8Array.from({ length: int(200) }, () => int(256)),
    // random printable text
    () => Array.from({ length: 1 + int(80) }, () => String.fromCharCode(32 + int(95))).join(""),
    // a valid-looking message cut short
    () => {
      const full = JSON.stringify({ type: pick(types), room, client, payload: { action: "play", position: r() * 100 }, ts: Date.now() });
      return full.slice(0, int(full.length));
    },
    // JSON that is not an object
    () => pick(["007", '"x"', "3", "null", "[]", "true", "-0", '"{}"', nested(1 + int(3000))]),
    // envelope fields of the wrong type
    () => JSON.stringify({ type: pick([5, null, [], {}, true]), room, client, payload: {} }),
    () => JSON.stringify({ type: "ping", room: weird(), client, payload: [1, 2] }),
    () => JSON.stringify({ type: "ping", room, client, payload: { client_ts: pick(["now", null, {}, [], true]) } }),
    () => JSON.stringify({ type: pick(types), room, client, payload: { position: 1 }, ts: pick(["t", {}, [1]]) }),
    // payload fields of the wrong type or out of range; huge numbers (1e400 parses as Infinity)
    () => JSON.stringify({ type: "player_event", room, client, payload: { action: pick(["rewind", 1, null, "PLAY"]), position: weird() } }),
    () => `{"type":"player_event","room":${JSON.stringify(room)},"payload":{"action":"seek","position":${pick(["1e400", "-1e400", "-5", "1e308"])}}}`,
    () => `{"type":"ping","payload":{"client_ts":${pick(["1e400", "-1e999"])}}}`,
    () => JSON.stringify({ type: "state_update", room, client, payload: { position: r() * 10, play_state: pick(["stopped", 1, null, "playing"]) } }),
    // unknown types
    () => JSON.stringify({ type: "x_" + int(1e6).toString(36), room, client, payload: {} }),
    () => JSON.stringify({ type: pick(["room_state", "pong", "error", "client_left", "PING", ""]), room, client, payload: {} }),
    // nested junk where objects are expected
    () => JSON.stringify({ type: "ping", payload: { client_ts: { deep: JSON.parse(nested(1 + int(50))) } } }),
    // speaking for someone else, or entering rooms while seated
    () => JSON.stringify({ type: "ping", room, client: "someone-else", payload: { client_ts: 1 } }),
    () => JSON.stringify({ type: pick(["create_room", "join_room"]), room: pick([room, "elsewhere", null]), client: "other", payload: { name: "n" } }),
    () => JSON.stringify({ type: pick(["create_room", "join_room"]), room, client, payload: { name: pick([1, {}, [], true]) } }),
    () => JSON.stringify({ type: "create_invite", room, client, payload: pick([{}, { expires_in: -1 }, { expires_in: "soon" }]) }),
  ];
  return Array.from({ length: count }, () => pick(makers)());
}
