// A clicker that talks to /ws the way the RopeScore clicker's Espruino firmware does, on a bare
// TCP socket: the Espruino ws module's handshake (Origin: Espruino), masked frames, every
// server ping answered with a pong whose payload is "pong" (not an echo), its own pings with the
// payload "ping"; and the firmware's draft-2 scoring: REGISTER without a secret, then per press
// `SCORE <msgId> <Date.now()|0> <count>`, msgId +1 per press, each kept until the SCORED whose
// first token is its msgId. Written from those wire facts; it shares no code with the server.
import type { Socket } from "bun";

export class EspruinoClicker {
  readonly texts: string[] = [];
  /** Payloads of the pings the server sent (each answered with "pong"). */
  readonly serverPings: string[] = [];
  /** Payloads of the pongs the server sent (answers to our pings). */
  readonly pongs: string[] = [];
  /** Whether server pings get their "pong" (false: a device that went quiet). */
  answerPings = true;
  closed = false;
  /** Close code from the server's close frame, if one came. */
  closeCode: number | null = null;
  /** Presses not yet acknowledged: [msgId, frame], as the firmware's send queue holds them. */
  readonly sendQ: Array<[number, string]> = [];
  id: string | null = null;
  count = 0;
  private msgId = 0;
  private buf = Buffer.alloc(0);
  private upgraded = false;
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {}

  static async open(port: number, path = "/ws"): Promise<EspruinoClicker> {
    let self!: EspruinoClicker;
    let ready!: () => void;
    const upgraded = new Promise<void>((r) => (ready = r));
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, data) => self.onData(data, ready),
        close: () => self.onClose(),
        error: () => self.onClose(),
      },
    });
    self = new EspruinoClicker(socket);
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    socket.write(
      [`GET ${path} HTTP/1.1`, "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Key: ${key}`, "Sec-WebSocket-Version: 13", "Origin: Espruino"].join("\r\n") + "\r\n\r\n",
    );
    await Promise.race([upgraded, Bun.sleep(3000).then(() => Promise.reject(new Error("no 101 from the server")))]);
    return self;
  }

  /** The firmware's register(): `REGISTER`, then the id from REGISTERED. */
  async register(): Promise<string> {
    this.send("REGISTER");
    const m = /^REGISTERED (\d{6}) [0-9a-f]{32}$/.exec(await this.until((t) => t.startsWith("REGISTERED ")));
    if (!m) throw new Error("bad REGISTERED");
    return (this.id = m[1]!);
  }

  /** One press of the button: the count goes up, msgId goes up, the SCORE is queued and sent. */
  press(): string {
    this.count++;
    this.msgId++;
    const frame = `SCORE ${this.msgId} ${Date.now() | 0} ${this.count}`;
    this.sendQ.push([this.msgId, frame]);
    this.send(frame);
    return frame;
  }

  /** A press whose frame never reaches the server (the radio dropped it): it stays queued. */
  pressLost(): string {
    this.count++;
    this.msgId++;
    const frame = `SCORE ${this.msgId} ${Date.now() | 0} ${this.count}`;
    this.sendQ.push([this.msgId, frame]);
    return frame;
  }

  /** Sends a queued frame again, as the firmware must for a score without its SCORED. */
  retry(frame: string): void {
    this.send(frame);
  }

  /** A masked frame (opcode 1 text by default, 9 ping, 10 pong), as every client frame is. */
  send(text: string, opcode = 0x1): void {
    const payload = Buffer.from(text, "latin1");
    if (payload.length > 125) throw new Error("short frames only");
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const head = Buffer.from([0x80 | opcode, 0x80 | payload.length, ...mask]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
    this.socket.write(Buffer.concat([head, body]));
  }

  ping(): void {
    this.send("ping", 0x9);
  }

  /** Waits for a text frame matching pred (bounded), and removes it and everything before it. */
  async until(pred: (t: string) => boolean, ms = 3000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.texts.findIndex(pred);
      if (i >= 0) return this.texts.splice(0, i + 1).at(-1)!;
      if (this.closed) throw new Error(`closed (${this.closeCode}) while waiting; got ${JSON.stringify(this.texts)}`);
      if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(this.texts)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits (bounded) until cond holds, re-checking whenever something arrives. */
  async wait(cond: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error("condition not met in time");
      await Bun.sleep(5);
    }
  }

  drop(): void {
    this.socket.end();
  }

  private onData(data: Buffer, ready: () => void): void {
    this.buf = Buffer.concat([this.buf, data]);
    if (!this.upgraded) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!this.buf.subarray(0, end).toString("latin1").startsWith("HTTP/1.1 101")) return this.onClose();
      this.upgraded = true;
      this.buf = this.buf.subarray(end + 4);
      ready();
    }
    while (this.buf.length >= 2) {
      const op = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) throw new Error("frames over 65535 bytes are not expected");
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (op === 0x9) {
        this.serverPings.push(payload.toString("latin1"));
        if (this.answerPings) this.send("pong", 0xa); // the module answers every ping with "pong"
      } else if (op === 0xa) this.pongs.push(payload.toString("latin1"));
      else if (op === 0x8) {
        this.closeCode = len >= 2 ? payload.readUInt16BE(0) : 1005;
        this.socket.end();
      } else if (op === 0x1) this.onText(payload.toString("utf8"));
    }
    this.wake();
  }

  /** The firmware's handleMsg: SCORED drops the queued press whose msgId is its first argument. */
  private onText(text: string): void {
    this.texts.push(text);
    const args = text.split(" ");
    if (args[0] === "SCORED") {
      const i = this.sendQ.findIndex(([m]) => String(m) === args[1]);
      if (i >= 0) this.sendQ.splice(i, 1);
    }
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
