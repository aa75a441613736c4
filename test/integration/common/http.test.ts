// HTTP (docs/common.md#health, #metrics): GET /healthz (exact JSON shape, every protocol from the start) and
// GET /metrics (valid Prometheus text exposition format 0.0.4, the families the contract names).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { open, openSocketIO } from "./endpoints.ts";

const PROTOCOLS = ["metronome", "syncparty", "clicker", "socketio", "buzzer"];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text format: throws on anything a Prometheus scraper would reject. */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const closedFamilies = new Set<string>();
  let current = "";
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const value = "[-+]?(?:\\d+(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?|NaN|Inf)";
  const sampleRe = new RegExp(`^(${name})(?:\\{(.*)\\})? (${value})(?: -?\\d+)?$`);
  const labelRe = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
  const family = (n: string) => {
    if (n !== current) {
      if (closedFamilies.has(n)) throw new Error(`family ${n} is not contiguous`);
      if (current) closedFamilies.add(current);
      current = n;
    }
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") throw new Error("empty line");
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, n, rest] = meta as unknown as [string, string, string, string];
      if (!new RegExp(`^${name}$`).test(n)) throw new Error(`bad metric name ${n}`);
      family(n);
      const map = kind === "HELP" ? help : types;
      if (map.has(n)) throw new Error(`second ${kind} for ${n}`);
      if (kind === "TYPE" && !["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`bad type ${rest}`);
      if (kind === "TYPE" && samples.some((s) => s.name === n)) throw new Error(`TYPE after samples for ${n}`);
      map.set(n, rest);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, n, rawLabels = "", v] = m as unknown as [string, string, string | undefined, string];
    family(n);
    const labels: Record<string, string> = {};
    let rest = rawLabels;
    while (rest.length) {
      const l = labelRe.exec(rest);
      if (!l) throw new Error(`bad labels in: ${line}`);
      if (l[1]! in labels) throw new Error(`duplicate label in: ${line}`);
      labels[l[1]!] = l[2]!;
      rest = rest.slice(l[0].length);
    }
    const key = n + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`duplicate series ${line}`);
    seen.add(key);
    samples.push({ name: n, labels, value: Number(v) });
  }
  for (const s of samples) {
    if (!types.has(s.name)) throw new Error(`sample ${s.name} has no TYPE`);
    if (!help.has(s.name)) throw new Error(`sample ${s.name} has no HELP`);
  }
  return { samples, types, help };
}

describe("/healthz and /metrics", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer();
  });
  afterAll(() => s.stop());

  const health = async () => {
    const r = await fetch(s.http + "/healthz");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    return (await r.json()) as any;
  };
  const metrics = async () => {
    const r = await fetch(s.http + "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    return parsePrometheus(await r.text());
  };
  const value = (m: { samples: Sample[] }, name: string, protocol?: string) =>
    m.samples.find((x) => x.name === name && (protocol === undefined || x.labels.protocol === protocol))?.value;

  test("/healthz right after start: exactly status, uptime_s, and every protocol at 0", async () => {
    const h = await health();
    expect(Object.keys(h)).toEqual(["status", "uptime_s", "connections", "limits", "store"]);
    expect(h.status).toBe("ok");
    expect(typeof h.uptime_s).toBe("number");
    expect(h.uptime_s).toBeGreaterThanOrEqual(0);
    expect(h.connections).toEqual(Object.fromEntries(PROTOCOLS.map((p) => [p, 0])));
  });

  test("/healthz uptime grows", async () => {
    const a = (await health()).uptime_s;
    await Bun.sleep(250); // time must pass: the uptime growing is what is checked
    expect((await health()).uptime_s).toBeGreaterThan(a);
  });

  test("/healthz counts live connections per protocol, Socket.IO sessions on either transport", async () => {
    const clients = [
      await open(s.ws("/connect"), 1),
      await open(s.ws("/metronome"), 1),
      await open(s.ws("/OpenSyncParty/ws"), 0),
      await open(s.ws("/ws"), 0),
      await open(s.ws("/mediator"), 0),
      await openSocketIO(s.ws("")),
    ];
    const poll = await fetch(s.http + "/socket.io/?EIO=4&transport=polling");
    const sid = JSON.parse((await poll.text()).slice(1)).sid as string;
    expect((await health()).connections).toEqual({ metronome: 2, syncparty: 1, clicker: 1, socketio: 2, buzzer: 1 });
    for (const c of clients) {
      const closed = c.waitClose();
      c.close();
      await closed;
    }
    // Ending the polling session the Engine.IO way: a close packet.
    await fetch(`${s.http}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" });
    await waitFor(async () => Object.values((await health()).connections).every((n) => n === 0), { what: "every connection to be gone" }).catch(() => {});
    expect((await health()).connections).toEqual(Object.fromEntries(PROTOCOLS.map((p) => [p, 0])));
  });

  test("/metrics parses as Prometheus text and has the families the contract names", async () => {
    const m = await metrics();
    for (const p of PROTOCOLS) {
      expect(value(m, "switchboard_connections", p)).toBe(0);
      expect(value(m, "switchboard_messages_in_total", p)).toBeNumber();
      expect(value(m, "switchboard_messages_out_total", p)).toBeNumber();
      expect(value(m, "switchboard_errors_total", p)).toBeNumber();
    }
    expect(m.types.get("switchboard_connections")).toBe("gauge");
    for (const c of ["switchboard_messages_in_total", "switchboard_messages_out_total", "switchboard_errors_total"]) expect(m.types.get(c)).toBe("counter");
    // rooms/groups, buzzer pools, process memory
    for (const g of ["switchboard_metronome_groups", "switchboard_syncparty_rooms", "switchboard_buzzer_pools", "process_resident_memory_bytes"]) {
      expect(m.types.get(g)).toBe("gauge");
      expect(value(m, g)).toBeNumber();
    }
    expect(value(m, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
  });

  test("/metrics follows traffic: connections, messages in and out, errors, groups and rooms", async () => {
    const before = await metrics();
    const metro = await open(s.ws("/connect"), 1);
    metro.send({ jsonrpc: "2.0", method: "get_id", params: { time_utc: 1 }, id: 1 });
    await metro.next();
    metro.send({ jsonrpc: "2.0", method: "create_group", params: { time_utc: 1 }, id: 2 });
    await metro.next();
    const party = await open(s.ws("/OpenSyncParty/ws"), 0);
    party.send({ type: "create_room", room: "metrics-room", client: "a", payload: {}, ts: 1 });
    await party.next();
    party.send("007");
    await party.next();
    const clicker = await TestClient.open(s.ws("/ws"));
    clicker.send("BOGUS");
    await clicker.next();
    metro.send("007");
    await metro.next();
    const buzzer = await TestClient.open(s.ws("/mediator"));
    buzzer.send("{");
    await buzzer.next();

    const after = await metrics();
    expect(value(after, "switchboard_connections", "metronome")).toBe(1);
    expect(value(after, "switchboard_connections", "syncparty")).toBe(1);
    expect(value(after, "switchboard_connections", "clicker")).toBe(1);
    expect(value(after, "switchboard_metronome_groups")! - value(before, "switchboard_metronome_groups")!).toBe(1);
    expect(value(after, "switchboard_syncparty_rooms")! - value(before, "switchboard_syncparty_rooms")!).toBe(1);
    const delta = (name: string, p: string) => value(after, name, p)! - value(before, name, p)!;
    expect(delta("switchboard_messages_in_total", "metronome")).toBe(3);
    expect(delta("switchboard_messages_out_total", "metronome")).toBe(4); // greeting + three replies
    expect(delta("switchboard_messages_in_total", "syncparty")).toBe(2);
    expect(delta("switchboard_messages_out_total", "syncparty")).toBe(2);
    expect(delta("switchboard_errors_total", "syncparty")).toBe(1);
    expect(delta("switchboard_errors_total", "clicker")).toBe(1);
    expect(delta("switchboard_errors_total", "metronome")).toBe(1);
    expect(delta("switchboard_errors_total", "buzzer")).toBe(1);
    for (const c of [metro, party, clicker, buzzer]) c.close();
  });
});
