// The receiver link state machine (PROTOCOLS.md §5), pure: bytes in, bytes and events out,
// time from an injected Clock. The port itself (open/close/reopen) belongs to the driver; the
// link only asks for a reset through LinkIo.reset().
//
//   closed ──opened()──▶ booting ──00 42 VV / send 13 37──▶ handshake ──N ids──▶ up
//   up ──00 42 VV──▶ handshake (the receiver rebooted: re-handshake without reopening)
//   handshake/up: ping after `pingAfterMs` without a byte, reset after `resetAfterMs`
//   unknown opcode or 01 reset from the receiver: reset (close, reopen, handshake)
import type { Clock } from "../../transport/types.ts";
import { Decoder, encode, type Msg, type Numbering, type Rgb } from "./codec.ts";

export interface LinkIo {
  write(bytes: Uint8Array): void;
  /** Close and reopen the port; the driver calls opened() again once it is back. */
  reset(reason: string): void;
}

export interface LinkEvents {
  /** Handshake complete: these buzzers are connected now. */
  up(ids: number[], version: number): void;
  /** The link was up and is not any more (reset, reboot, port lost). */
  down(reason: string): void;
  buzz(id: number): void;
  connected(id: number): void;
  disconnected(id: number): void;
}

export interface LinkTimings {
  /** Silence after which the mediator pings (§5: 100 ms). */
  pingAfterMs: number;
  /** Silence after which the link is reset (§5: 250 ms). */
  resetAfterMs: number;
  /**
   * How long to wait for `00 42 VV` after the port opens. An Arduino's bootloader runs for up to
   * ~2 s after the DTR reset, so the 250 ms watchdog only starts with the handshake. After one
   * timeout the mediator sends the reset opcode (for boards that do not reset on open); after a
   * second one it reopens the port.
   */
  helloTimeoutMs: number;
}

export const defaultTimings: LinkTimings = { pingAfterMs: 100, resetAfterMs: 250, helloTimeoutMs: 2000 };

export type LinkState = "closed" | "booting" | "handshake" | "up";

export class Link {
  state: LinkState = "closed";
  readonly buzzers = new Set<number>();
  private readonly decoder: Decoder;
  private version = 0;
  private timers: Array<() => void> = [];
  private helloTries = 0;

  constructor(
    readonly numbering: Numbering,
    private readonly clock: Clock,
    private readonly io: LinkIo,
    private readonly events: LinkEvents,
    private readonly timings: LinkTimings = defaultTimings,
  ) {
    this.decoder = new Decoder(numbering, "receiver");
  }

  /** The port has just been opened: wait for the receiver's ready. */
  opened(): void {
    this.goDown("port reopened");
    this.state = "booting";
    this.helloTries = 0;
    this.armHello();
  }

  /** The port went away; the driver reopens it by itself. */
  closed(reason: string): void {
    this.goDown(reason);
  }

  data(bytes: Uint8Array): void {
    if (this.state === "closed") return;
    if (this.state !== "booting") this.armWatchdog();
    for (const m of this.decoder.push(bytes)) {
      this.handle(m);
      if ((this.state as LinkState) === "closed") return; // a reset: the rest of this read is stale
    }
  }

  /** Send a colour to a buzzer; false when the link is not up. */
  setColor(id: number, rgb: Rgb): boolean {
    if (this.state !== "up") return false;
    this.send({ type: "color", id, rgb });
    return true;
  }

  /** Stop every timer (the pool is being closed). */
  stop(): void {
    this.goDown("closed");
  }

  private handle(m: Msg): void {
    switch (m.type) {
      case "ready":
        // §5: 00 = the receiver rebooted; answer 13 37 and expect the buzzer list.
        this.goDown("receiver rebooted", "handshake");
        this.version = m.version;
        this.send({ type: "ack" });
        this.armWatchdog();
        return;
      case "list":
        if (this.state !== "handshake") return;
        this.state = "up";
        for (const id of m.ids) this.buzzers.add(id);
        this.events.up([...this.buzzers], this.version);
        return;
      case "ping":
        this.send({ type: "pong" });
        return;
      case "pong":
        return; // any byte already fed the watchdog
      case "reset":
        return this.resetLink("receiver sent reset");
      case "unknown":
        // Boot noise before the handshake is ignored; afterwards an unknown opcode resets (§5).
        if (this.state === "booting") return;
        return this.resetLink(`unknown opcode 0x${m.byte.toString(16).padStart(2, "0")}`);
      case "buzz":
        if (this.state === "up") this.events.buzz(m.id);
        return;
      case "connected":
        if (this.state === "up" && !this.buzzers.has(m.id)) {
          this.buzzers.add(m.id);
          this.events.connected(m.id);
        }
        return;
      case "disconnected":
        if (this.state === "up" && this.buzzers.delete(m.id)) this.events.disconnected(m.id);
        return;
      default:
        return; // ack/color are never decoded from the receiver side
    }
  }

  private send(m: Parameters<typeof encode>[0]): void {
    const bytes = encode(m, this.numbering);
    if (bytes) this.io.write(bytes);
  }

  /** §5: reset = tell the receiver (when the numbering has a reset opcode), close, reopen. */
  private resetLink(reason: string): void {
    this.send({ type: "reset" });
    this.goDown(reason);
    this.io.reset(reason);
  }

  private goDown(reason: string, next: LinkState = "closed"): void {
    this.clearTimers();
    // A ready message leaves the decoder expecting the buzzer list, so only a closed link forgets partial input.
    if (next === "closed") this.decoder.reset();
    const wasUp = this.state === "up";
    this.state = next;
    this.buzzers.clear();
    if (wasUp) this.events.down(reason);
  }

  private clearTimers(): void {
    for (const cancel of this.timers) cancel();
    this.timers = [];
  }

  private armWatchdog(): void {
    this.clearTimers();
    const { pingAfterMs, resetAfterMs } = this.timings;
    this.timers.push(this.clock.setTimer(pingAfterMs, () => this.send({ type: "ping" })));
    this.timers.push(this.clock.setTimer(resetAfterMs, () => this.resetLink(`no answer for ${resetAfterMs} ms`)));
  }

  private armHello(): void {
    this.clearTimers();
    this.timers.push(
      this.clock.setTimer(this.timings.helloTimeoutMs, () => {
        if (this.state !== "booting") return;
        if (++this.helloTries === 1) {
          this.send({ type: "reset" }); // a board that does not reset on open reboots on 01
          this.armHello();
        } else this.resetLink("no handshake from the receiver");
      }),
    );
  }
}
