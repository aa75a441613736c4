// A buzzer receiver emulator for tests and demos (docs/buzzer.md#receiver-emulator). It opens a
// pseudo-terminal pair, prints the device path for the mediator to open, and speaks the receiver's
// side of the byte protocol (docs/buzzer.md#byte-protocol): `00 42 VV` when the port is opened (an
// Arduino resets on open) or after a reset, the buzzer list after `13 37`, pongs,
// buzz/connected/disconnected.
//
//   bun scripts/buzzer-emulator.ts [--v2 | --head] [--buzzers 1,2,3] [--press "1@500,2@800"] [--link PATH]
//
// --press times are ms after the first handshake. --link keeps a stable path (a symlink, like
// /dev/serial/by-id) that survives `unplug`/`plug`. Commands on stdin, one per line:
//   buzz N · connect N · disconnect N · quiet [ms] · resume · reboot · unplug · plug · quit
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { Decoder, encode, type Msg, type Numbering } from "../src/drivers/jeoparty/codec.ts";
import { PtyMaster } from "../src/drivers/serial/pty.ts";

export interface EmulatorOptions {
  numbering?: Numbering;
  buzzers?: number[];
  /** VV of the ready message. */
  version?: number;
  /** Delay between the port opening and `00 42 VV` (an Arduino's boot; keep small in tests). */
  bootDelayMs?: number;
  /** How often the master side is polled for open/close and data. */
  pollMs?: number;
  /** A symlink to create for the device (stable across unplug/plug). */
  link?: string;
  log?: (line: string) => void;
}

type Phase = "off" | "booting" | "await-ack" | "linked";

export class ReceiverEmulator {
  readonly buzzers: Set<number>;
  /** Everything the mediator sent, decoded (tests inspect colours, resets, pings). */
  readonly received: Msg[] = [];
  phase: Phase = "off";
  /** How many handshakes completed (each `13 37` answered with the list). */
  handshakes = 0;
  private pty: PtyMaster | null = null;
  private open = false;
  private quietUntil = 0;
  private decoder: Decoder;
  private poller: ReturnType<typeof setInterval> | null = null;
  private bootTimer: ReturnType<typeof setTimeout> | null = null;
  private linkedWaiters: Array<() => void> = [];
  private readonly numbering: Numbering;

  private constructor(private readonly opts: EmulatorOptions) {
    this.numbering = opts.numbering ?? "v1";
    this.buzzers = new Set(opts.buzzers ?? [1, 2, 3]);
    // The receiver announces its list as one count byte: 256 buzzers would wrap to 0 (docs/buzzer.md#byte-protocol).
    for (const id of this.buzzers) if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`buzzer id ${id} is not 0..255`);
    if (this.buzzers.size > 255) throw new RangeError("a receiver announces at most 255 buzzers (one count byte)");
    this.decoder = new Decoder(this.numbering, "mediator");
  }

  static async start(opts: EmulatorOptions = {}): Promise<ReceiverEmulator> {
    const e = new ReceiverEmulator(opts);
    await e.plug();
    return e;
  }

  /** The path the mediator should open. */
  get path(): string {
    return this.opts.link ?? this.pty?.path ?? "";
  }
  get portOpen(): boolean {
    return this.open;
  }

  /** Resolves at the next completed handshake (or now, if linked). */
  linked(timeoutMs = 5000): Promise<void> {
    if (this.phase === "linked") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("emulator: no handshake in time")), timeoutMs);
      this.linkedWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  // ---- actions (stdin commands and tests) ----
  press(id: number): boolean {
    return this.phase === "linked" && this.send({ type: "buzz", id });
  }
  connect(id: number): void {
    this.buzzers.add(id);
    if (this.phase === "linked") this.send({ type: "connected", id });
  }
  disconnect(id: number): void {
    this.buzzers.delete(id);
    if (this.phase === "linked") this.send({ type: "disconnected", id });
  }
  /** Stop answering anything for `ms` (default: until resume()), then boot again like after a hang. */
  quiet(ms = 1e9): void {
    this.quietUntil = performance.now() + ms;
    this.phase = "off";
  }
  resume(): void {
    this.quietUntil = 0;
    if (this.open) this.boot();
  }
  /** Reboot spontaneously: a fresh `00 42 VV` while the port stays open. */
  reboot(): void {
    if (this.open) this.boot(0);
  }
  /** Send raw bytes (tests: garbage, unknown opcodes). */
  raw(bytes: number[]): boolean {
    return this.pty?.write(new Uint8Array(bytes)) ?? false;
  }

  /** Pull the cable: close the master (the mediator's port hangs up) and remove the link. */
  unplug(): void {
    this.stopPolling();
    this.pty?.close();
    this.pty = null;
    this.open = false;
    this.phase = "off";
    if (this.opts.link) rmSync(this.opts.link, { force: true });
  }

  /** Plug in again: a fresh pty (a new /dev/pts/N), the link pointed at it. */
  async plug(): Promise<void> {
    if (this.pty) return;
    this.pty = await PtyMaster.open();
    if (this.opts.link) {
      if (existsSync(this.opts.link)) rmSync(this.opts.link, { force: true });
      symlinkSync(this.pty.path, this.opts.link);
    }
    this.poller = setInterval(() => this.poll(), this.opts.pollMs ?? 5);
  }

  stop(): void {
    this.unplug();
    if (this.bootTimer) clearTimeout(this.bootTimer);
  }

  // ---- protocol ----
  private poll(): void {
    const pty = this.pty;
    if (!pty) return;
    const quiet = this.quietUntil > performance.now();
    if (this.quietUntil && !quiet) {
      this.quietUntil = 0;
      if (this.open) this.boot();
    }
    for (;;) {
      const r = pty.poll();
      if (!r.open) {
        if (this.open) this.opts.log?.("port closed");
        this.open = false;
        this.phase = "off";
        return;
      }
      if (!this.open) {
        this.open = true;
        this.opts.log?.("port opened");
        if (!quiet) this.boot(); // the Arduino resets when the port opens
      }
      if (r.bytes.byteLength === 0) return;
      for (const m of this.decoder.push(r.bytes)) {
        this.received.push(m);
        if (!quiet) this.handle(m);
      }
    }
  }

  private handle(m: Msg): void {
    switch (m.type) {
      case "ack":
        if (this.phase !== "await-ack") return;
        this.phase = "linked";
        this.handshakes++;
        this.send({ type: "list", ids: [...this.buzzers] });
        for (const w of this.linkedWaiters.splice(0)) w();
        return;
      case "ping":
        this.send({ type: "pong" });
        return;
      case "reset":
        this.boot();
        return;
      case "color":
        this.opts.log?.(`buzzer ${m.id} colour ${m.rgb.join(",")}`);
        return;
      default:
        return;
    }
  }

  private boot(delay = this.opts.bootDelayMs ?? 20): void {
    this.phase = "booting";
    this.decoder.reset();
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = setTimeout(() => {
      this.bootTimer = null;
      if (!this.open || this.phase !== "booting") return;
      this.phase = "await-ack";
      this.send({ type: "ready", version: this.opts.version ?? 0 });
    }, delay);
  }

  private send(m: Exclude<Msg, { type: "unknown" }>): boolean {
    const bytes = encode(m, this.numbering);
    return !!bytes && !!this.pty?.write(bytes);
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }
}

function parseCli(argv: string[]) {
  const opts: EmulatorOptions & { press: Array<[number, number]> } = { press: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? "";
    if (a === "--v2") opts.numbering = "v2";
    else if (a === "--head") opts.numbering = "head";
    else if (a === "--buzzers") opts.buzzers = next().split(",").filter(Boolean).map(Number);
    else if (a === "--press")
      opts.press = next().split(",").filter(Boolean).map((p) => p.split("@").map(Number) as [number, number]);
    else if (a === "--link") opts.link = next();
    else if (a === "--boot-ms") opts.bootDelayMs = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

if (import.meta.main) {
  const opts = parseCli(process.argv.slice(2));
  const emu = await ReceiverEmulator.start({ ...opts, log: (l) => console.error(l) });
  console.log(emu.path);
  emu.linked(1e9).then(() => {
    for (const [id, at] of opts.press) setTimeout(() => emu.press(id), at);
  });
  const quit = () => {
    emu.stop();
    process.exit(0);
  };
  process.on("SIGINT", quit);
  process.on("SIGTERM", quit);
  for await (const line of console) {
    const [cmd, arg] = line.trim().split(/\s+/);
    const n = Number(arg);
    if (cmd === "buzz") console.error(emu.press(n) ? `buzz ${n}` : "not linked");
    else if (cmd === "connect") emu.connect(n);
    else if (cmd === "disconnect") emu.disconnect(n);
    else if (cmd === "quiet") emu.quiet(arg ? n : undefined);
    else if (cmd === "resume") emu.resume();
    else if (cmd === "reboot") emu.reboot();
    else if (cmd === "unplug") emu.unplug();
    else if (cmd === "plug") await emu.plug();
    else if (cmd === "quit") quit();
    else if (cmd) console.error(`unknown command: ${line}`);
  }
  quit();
}
