// A minimal buzzer receiver for black-box tests, written from docs/buzzer.md#byte-protocol alone (it shares
// no code with the project's driver or emulator): a socat-made pty pair stands in for the USB
// cable, the test holds one end with plain node:fs calls, the server is given the other end.
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { ensureCommand } from "../../helpers/tools.ts";
import { waitForValue } from "../../helpers/wait.ts";

/**
 * The opcodes of the original firmware (v1), the renumbered one (v2, docs/buzzer.md#renumbered-firmware)
 * and the one as last committed (head: v2's control opcodes, v1's event bytes,
 * docs/buzzer.md#head-firmware); v2 and head have no reset.
 */
export const OPS = {
  v1: { reset: 0x01, ping: 0x02, pong: 0x03, buzz: 0x04, color: 0x05, connected: 0x06, disconnected: 0x07 },
  v2: { reset: null, ping: 0x01, pong: 0x02, buzz: 0x03, color: 0x04, connected: 0x05, disconnected: 0x06 },
  head: { reset: null, ping: 0x01, pong: 0x02, buzz: 0x04, color: 0x04, connected: 0x06, disconnected: 0x07 },
} as const;
export type Numbering = keyof typeof OPS;

/** `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: two linked pty slave paths. */
export class SocatPair {
  private constructor(private readonly proc: ReturnType<typeof Bun.spawn>, readonly ends: [string, string]) {}

  /** `links`: stable symlink names for the two ends (socat's link= option), like /dev/serial/by-id. */
  static async open(links?: [string, string]): Promise<SocatPair> {
    ensureCommand("socat");
    const end = (i: number) => "pty,raw,echo=0" + (links ? `,link=${links[i]}` : "");
    const proc = Bun.spawn(["socat", "-d", "-d", end(0), end(1)], { stdout: "ignore", stderr: "pipe" });
    const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const deadline = Date.now() + 5000;
    while (!text.includes("starting data transfer loop") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const paths = [...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
    if (paths.length !== 2) {
      proc.kill();
      throw new Error("socat did not report two ptys:\n" + text);
    }
    void (async () => {
      // keep draining socat's log so it never blocks on a full pipe
      while (!(await reader.read()).done);
    })().catch(() => {});
    return new SocatPair(proc, links ?? [paths[0]!, paths[1]!]);
  }

  async close(): Promise<void> {
    this.proc.kill();
    await this.proc.exited;
  }
}

/** A message the mediator wrote to the receiver, as the byte protocol frames it, with its arrival time. */
export interface FromMediator {
  kind: "ack" | "reset" | "ping" | "pong" | "color" | "unknown";
  bytes: number[];
  at: number;
}

/**
 * The receiver's end of the cable. Reads by polling a non-blocking fd; splits what the mediator
 * writes into messages (13 37 · reset · ping · pong · colour + 4 bytes). With `autoPong` it
 * answers every ping at once, like firmware that is alive, and still records it.
 */
export class Receiver {
  readonly raw: number[] = [];
  readonly msgs: FromMediator[] = [];
  autoPong = false;
  /** Firmware-like reactions: called when the mediator sends 13 37 / the reset opcode. */
  onAck: (() => void) | null = null;
  onReset: (() => void) | null = null;
  /** When the receiver last wrote a byte (performance.now()). */
  lastWrite = 0;
  private partial: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly fd: number;
  private readonly buf = Buffer.alloc(1024);

  constructor(readonly path: string, readonly numbering: Numbering = "v1") {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    this.timer = setInterval(() => this.poll(), 1);
  }

  get ops() {
    return OPS[this.numbering];
  }

  write(...bytes: number[]): void {
    writeSync(this.fd, new Uint8Array(bytes));
    this.lastWrite = performance.now();
  }

  /**
   * Behave like live firmware with these buzzers: answer pings, send the list after every 13 37,
   * greet again when told to reset (it cannot see the port reopen through socat).
   */
  firmware(buzzers: number[]): this {
    this.autoPong = true;
    this.onAck = () => this.write(buzzers.length, ...buzzers);
    this.onReset = () => this.hello();
    return this;
  }

  /** The reset-on-open greeting: ready, magic, version 00. */
  hello(version = 0): void {
    this.write(0x00, 0x42, version);
  }

  private poll(): void {
    for (;;) {
      let n = 0;
      try {
        n = readSync(this.fd, this.buf);
      } catch {
        return; // EAGAIN: nothing now
      }
      if (n <= 0) return;
      const at = performance.now();
      for (const b of this.buf.subarray(0, n)) this.take(b, at);
    }
  }

  private take(b: number, at: number): void {
    this.raw.push(b);
    const p = this.partial;
    p.push(b);
    const op = this.ops;
    let kind: FromMediator["kind"] | null = null;
    if (p[0] === 0x13) kind = p.length === 2 ? (p[1] === 0x37 ? "ack" : "unknown") : null;
    else if (p[0] === op.color) kind = p.length === 5 ? "color" : null;
    else if (p[0] === op.reset) kind = "reset";
    else if (p[0] === op.ping) kind = "ping";
    else if (p[0] === op.pong) kind = "pong";
    else kind = "unknown";
    if (!kind) return;
    this.partial = [];
    this.msgs.push({ kind, bytes: p, at });
    if (kind === "ping" && this.autoPong) this.write(op.pong);
    if (kind === "ack") this.onAck?.();
    if (kind === "reset") this.onReset?.();
  }

  /** Wait until a message of `kind` arrives after index `from` of msgs; returns it (bounded wait). */
  async next(kind: FromMediator["kind"], from = 0, ms = 3000): Promise<FromMediator & { index: number }> {
    const found = () => {
      const i = this.msgs.findIndex((m, j) => j >= from && m.kind === kind);
      return i >= 0 ? { ...this.msgs[i]!, index: i } : undefined;
    };
    // The fd is read by a 1 ms poll (no events on a pty end), so the messages are polled as often.
    return waitForValue(found, { timeoutMs: ms, everyMs: 1 }).catch(() => {
      throw new Error(`no ${kind} from the mediator within ${ms} ms; got ${JSON.stringify(this.msgs.slice(from))}`);
    });
  }

  close(): void {
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}

/**
 * A fresh socat pair with a Receiver on one end (pinging back like live firmware); `pool` is the
 * end the server is given. Both are handed to `track` for the test's cleanup.
 */
export async function receiverOnSocat(track: (close: () => unknown) => void, numbering: Numbering = "v1"): Promise<{ rx: Receiver; pool: string }> {
  const pair = await SocatPair.open();
  track(() => pair.close());
  const rx = new Receiver(pair.ends[0], numbering);
  track(() => rx.close());
  rx.autoPong = true;
  return { rx, pool: pair.ends[1] };
}
