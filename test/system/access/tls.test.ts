// TLS on the one port (docs/access.md#tls): https and wss for everything with a self-signed
// certificate, real clients (Bun's WebSocket, socket.io-client, python-socketio), the Secure
// operator cookie, and the certificate reloaded while connections stay up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { io } from "socket.io-client";
import { bootServer, TEST_OPERATOR_TOKEN, tempDir, type TestServer } from "../../helpers/server.ts";
import { ensureCommand } from "../../helpers/tools.ts";
import { waitFor, within } from "../../helpers/wait.ts";
import { ensurePythonSocketio } from "../../helpers/clients/python-socketio.ts";

const dir = tempDir("tls-");
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
let srv: TestServer;
let https: string;
let wss: string;

/** A self-signed certificate for 127.0.0.1, as the README shows how to make for a LAN. */
function makeCert(name: string): [string, string] {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", k, "-out", c]);
  if (r.exitCode !== 0) throw new Error("openssl failed: " + r.stderr.toString());
  return [c, k];
}
const install = ([c, k]: [string, string]) => (copyFileSync(c, cert), copyFileSync(k, key));

/** A child process's output; async, so the in-process server keeps answering it. */
async function run(cmd: string[]): Promise<{ out: string; err: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err };
}

/** The subject CN of the certificate a new TLS connection is served. */
async function servedName(): Promise<string> {
  const { out } = await run(["sh", "-c", `openssl s_client -connect 127.0.0.1:${srv.port} </dev/null 2>/dev/null | openssl x509 -noout -subject`]);
  return out.trim().replace(/^subject=\s*CN\s*=\s*/, "");
}

beforeAll(async () => {
  ensureCommand("openssl");
  ensurePythonSocketio();
  install(makeCert("first"));
  srv = await bootServer({ tlsCert: cert, tlsKey: key });
  https = `https://127.0.0.1:${srv.port}`;
  wss = `wss://127.0.0.1:${srv.port}`;
}, 180_000);
afterAll(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

const insecure = { tls: { rejectUnauthorized: false } };

describe("TLS on the one port", () => {
  test("https for HTTP, the console URL is https and its cookie is Secure", async () => {
    const r = await fetch(`${https}/healthz`, insecure as RequestInit);
    expect(r.status).toBe(200);
    expect(srv.server.consoleUrl).toStartWith("https://");
    const login = await fetch(`${https}/?token=${TEST_OPERATOR_TOKEN}`, { ...(insecure as RequestInit), redirect: "manual" });
    expect(login.status).toBe(303);
    expect(login.headers.get("set-cookie")).toContain("; Secure");
    // Paths are read right over https too, for a short Host with its port (a board named pi).
    for (const host of ["pi:8443", "abc", `127.0.0.1:${srv.port}`]) {
      const poll = await fetch(`${https}/socket.io/?EIO=4&transport=polling`, { ...(insecure as RequestInit), headers: { host } });
      expect((await poll.text()).startsWith("0{")).toBe(true);
    }
    // Plain http on the TLS port is not served.
    await expect(fetch(`http://127.0.0.1:${srv.port}/healthz`)).rejects.toThrow();
  });

  test("wss on the protocol endpoints", async () => {
    const ws = new WebSocket(`${wss}/ws`, insecure as unknown as string[]);
    const got = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("REGISTER");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("wss failed"));
    });
    ws.close();
    expect(got).toMatch(/^REGISTERED \d{6} [0-9a-f]{32}$/);
  });

  test("socket.io-client over polling then wss, and python-socketio over wss", async () => {
    const sock = io(https, { transports: ["polling", "websocket"], rejectUnauthorized: false, reconnection: false, forceNew: true });
    const upgraded = new Promise<string>((resolve) => sock.io.engine?.on("upgrade", (t: { name: string }) => resolve(t.name)));
    await new Promise<void>((resolve, reject) => (sock.once("connect", () => resolve()), sock.once("connect_error", reject)));
    sock.io.engine.on("upgrade", () => {});
    const reply = await sock.timeout(3000).emitWithAck("query", { monitor_id: "tls-door" });
    expect(reply).toEqual({ reason: "ok", online: false });
    expect(await within(upgraded, 3000, "the upgrade to WebSocket")).toBe("websocket");
    sock.close();

    const script = [
      "import socketio, json",
      "sio = socketio.Client(reconnection=False, ssl_verify=False)",
      `sio.connect(${JSON.stringify(https)}, transports=['websocket'])`,
      "print(json.dumps(sio.call('query', {'monitor_id': 'tls-door'}, timeout=5)))",
      "sio.disconnect()",
    ].join("\n");
    const py = await run(["timeout", "20", "/usr/bin/python3", "-c", script]);
    expect(py.err).not.toContain("Traceback");
    expect(JSON.parse(py.out)).toEqual({ reason: "ok", online: false });
  }, 30_000);

  test("a reload serves the new certificate to new connections while open ones keep working", async () => {
    expect(await servedName()).toBe("first");
    const open = (path: string) => {
      const ws = new WebSocket(`${wss}${path}`, insecure as unknown as string[]);
      const inbox: string[] = [];
      ws.onmessage = (e) => inbox.push(String(e.data));
      return new Promise<{ ws: WebSocket; inbox: string[] }>((resolve, reject) => ((ws.onopen = () => resolve({ ws, inbox })), (ws.onerror = reject)));
    };
    const until = async (inbox: string[], pred: (m: string) => boolean) => {
      await waitFor(() => inbox.some(pred)).catch(() => {});
      return inbox.find(pred);
    };
    // A scoreboard connected before the reload, a clicker after it: fan-out reaches across.
    const clicker0 = await open("/ws");
    clicker0.ws.send("REGISTER");
    const [, id, secret] = (await until(clicker0.inbox, (m) => m.startsWith("REGISTERED")))!.split(" ");
    clicker0.ws.close();
    const board = await open("/ws");

    install(makeCert("second"));
    srv.server.reloadTls();
    expect(await servedName()).toBe("second");

    board.ws.send(`LISTEN ${id}`);
    expect(await until(board.inbox, (m) => m.startsWith("CONNECT"))).toBe("CONNECT");
    const clicker = await open("/ws");
    clicker.ws.send(`REGISTER ${secret}`);
    await until(clicker.inbox, (m) => m.startsWith("REGISTERED"));
    clicker.ws.send("SCORE 5 42");
    expect(await until(clicker.inbox, (m) => m.startsWith("SCORED"))).toBe("SCORED 5");
    expect(await until(board.inbox, (m) => m.startsWith("SCORE "))).toBe(`SCORE 5 ${id} 42`);
    expect(board.inbox).toContain(`CONNECT ${id}`);
    clicker.ws.close();
    board.ws.close();

    // A pair that does not match is refused and the running certificate stays.
    const [, otherKey] = makeCert("third");
    copyFileSync(otherKey, key);
    expect(() => srv.server.reloadTls()).toThrow(/refused/);
    expect(await servedName()).toBe("second");
    expect((await fetch(`${https}/healthz`, insecure as RequestInit)).status).toBe(200);
  }, 30_000);
});
