// The receiver link state machine (docs/buzzer.md#serial-receivers), pure: bytes in, bytes and
// events out, time from an injected Clock. The port itself (open/close/reopen) belongs to the
// driver; the link only asks for a reset through LinkIo.reset().
//
//   closed ──opened()──▶ booting ──00 42 VV / send 13 37──▶ handshake ──N ids──▶ up
//   up ──00 42 VV──▶ handshake (the receiver rebooted: re-handshake without reopening)
//   up: ping after `pingAfterMs` without a byte; handshake/up: reset after `resetAfterMs`
//   unknown opcode: reset (close, reopen, handshake)
//   01 from the receiver: it is resetting itself ──▶ booting (its 00 42 VV comes on the open port)
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
  /** Silence after which the mediator pings (docs/buzzer.md#watchdog: 100 ms). */
  pingAfterMs: number;
  /** Silence after which the link is reset (docs/buzzer.md#watchdog: 250 ms). */
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

/**
 * How long a buzzer count of 0 waits for a following byte: `00 42` there is a repeated hello,
 * not an empty list (see Decoder). Bytes sent together arrive well within this.
 */
const ZERO_COUNT_WAIT_MS = 20;

/** A reset timer this late means the server was stalled, not the receiver silent. */
const LATE_MS = 50;

export type LinkState = "closed" | "booting" | "handshake" | "up";

export class Link {
  state: LinkState = "closed";
  readonly buzzers = new Set<number>();
  private readonly decoder: Decoder;
  private version = 0;
  private timers: Array<() => void> = [];
  private helloTries = 0;
  /** When the watchdog's ping went out (null: not yet, since the last byte). */
  private pingSentAt: number | null = null;

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
    this.handleAll(this.decoder.push(bytes));
    if (this.decoder.holdingZero && (this.state as LinkState) !== "closed") {
      this.timers.push(this.clock.setTimer(ZERO_COUNT_WAIT_MS, () => this.handleAll(this.decoder.flush())));
    }
  }

  private handleAll(msgs: Msg[]): void {
    for (const m of msgs) {
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
        // A hello while the list is awaited is a repeat of the one just answered (a receiver
        // greeting until answered): a second 13 37 would bring a second list, read as opcodes.
        // Had it really rebooted, the missing list resets the link after 250 ms.
        if (this.state === "handshake") return;
        // 00 = the receiver rebooted (docs/buzzer.md#byte-protocol); answer 13 37 and expect the
        // buzzer list.
        this.goDown("receiver rebooted", "handshake");
        this.version = m.version;
        this.send({ type: "ack" });
        this.armWatchdog();
        return;
      case "list":
        if (this.state !== "handshake") return;
        this.state = "up";
        this.armWatchdog(); // now with the ping
        for (const id of m.ids) this.buzzers.add(id);
        this.events.up([...this.buzzers], this.version);
        return;
      case "ping":
        this.send({ type: "pong" });
        return;
      case "pong":
        return; // any byte already fed the watchdog
      case "reset":
        // 01 is reset from either side (docs/buzzer.md#link-choices): the receiver says it is
        // resetting, and its 00 42 VV follows on the open port. No 01 back (that would reset it
        // once more, and its second hello would arrive where the buzzer count is expected); no
        // hello in time: the hello timeout path.
        this.goDown("receiver sent reset", "booting");
        this.helloTries = 0;
        this.armHello();
        return;
      case "unknown":
        // Boot noise before the handshake is ignored; afterwards an unknown opcode resets
        // (docs/buzzer.md#watchdog).
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

  /** A link reset (docs/buzzer.md#watchdog): tell the receiver (if its numbering has a reset opcode), close, reopen. */
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

  /**
   * docs/buzzer.md#watchdog: ping after 100 ms of silence, reset after 250 ms. No ping while the
   * buzzer list is awaited: a receiver answering it would have its pong (03) read as the buzzer
   * count.
   */
  private armWatchdog(): void {
    this.clearTimers();
    const { pingAfterMs, resetAfterMs } = this.timings;
    this.pingSentAt = null;
    if (this.state === "up") {
      this.timers.push(
        this.clock.setTimer(pingAfterMs, () => {
          this.pingSentAt = this.clock.mono();
          this.send({ type: "ping" });
        }),
      );
    }
    const due = this.clock.mono() + resetAfterMs;
    this.timers.push(this.clock.setTimer(resetAfterMs, () => this.silent(due)));
  }

  /**
   * The reset timer fired. The receiver is blamed only for silence while the server was running
   * (docs/buzzer.md#watchdog): a server held up (a long GC, a blocked event loop, no CPU) may not
   * have read bytes that wait for it, or sent its ping only just now. So the receiver always gets
   * what a ping normally gets to be answered (reset − ping: 150 ms) from the moment the ping
   * really went out, and as long again when this timer itself fired late. A server that runs on
   * time resets at 250 ms, as before.
   */
  private silent(due: number): void {
    const { resetAfterMs, pingAfterMs } = this.timings;
    const window = resetAfterMs - pingAfterMs;
    const now = this.clock.mono();
    const late = now - due;
    let deadline = late > LATE_MS ? now + window : now;
    if (this.pingSentAt !== null) deadline = Math.max(deadline, this.pingSentAt + window);
    const reason = `no answer for ${resetAfterMs} ms`;
    if (deadline <= now) return this.resetLink(reason);
    const stall = Math.round(Math.max(late, (this.pingSentAt ?? 0) - (due - window)));
    this.timers.push(this.clock.setTimer(deadline - now, () => this.resetLink(`${reason} (after a ${stall} ms stall here)`)));
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
