// A device that keeps itself open: the first open, and after an unplug, a peer close or a link
// reset, reopen attempts with exponential backoff until stop() (docs/buzzer.md#the-driver: the
// driver detects an unplug and reconnects on its own). Timers come from the injected Clock.
import type { Clock } from "../../transport/types.ts";
import { FdPort, type PortEvents, type PortKind } from "./port.ts";

export interface DeviceEvents {
  /** The device is open and configured. */
  opened(): void;
  data(bytes: Uint8Array): void;
  /** An open device went away (or was reset); a reopen is scheduled. */
  lost(reason: string): void;
  /** An open attempt failed; another is scheduled. `attempt` counts from 1 since the last success. */
  openFailed(reason: string, attempt: number): void;
}

export interface DeviceOptions {
  path: string;
  kind: PortKind;
  clock: Clock;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Replaceable for tests of the retry logic. */
  open?: (path: string, kind: PortKind, events: PortEvents) => Promise<{ write(b: Uint8Array): boolean; close(): Promise<void> }>;
}

export class Device {
  private port: { write(b: Uint8Array): boolean; close(): Promise<void> } | null = null;
  private stopped = false;
  private attempt = 0;
  private cancelRetry: (() => void) | null = null;
  private generation = 0;
  private readonly min: number;
  private readonly max: number;

  constructor(private readonly opts: DeviceOptions, private readonly events: DeviceEvents) {
    this.min = opts.minBackoffMs ?? 100;
    this.max = opts.maxBackoffMs ?? 1000;
  }

  get isOpen(): boolean {
    return this.port !== null;
  }

  start(): void {
    void this.tryOpen();
  }

  private async tryOpen(): Promise<void> {
    this.cancelRetry = null;
    if (this.stopped || this.port) return;
    const gen = ++this.generation;
    const open = this.opts.open ?? FdPort.open;
    try {
      const port = await open(this.opts.path, this.opts.kind, {
        data: (b) => {
          if (gen === this.generation) this.events.data(b);
        },
        end: (reason) => {
          if (gen === this.generation) this.drop(reason);
        },
      });
      if (this.stopped || gen !== this.generation) {
        await port.close();
        return;
      }
      this.port = port;
      this.attempt = 0;
      this.events.opened();
    } catch (err) {
      if (this.stopped || gen !== this.generation) return;
      this.attempt++;
      this.events.openFailed((err as Error).message, this.attempt);
      this.schedule(Math.min(this.max, this.min * 2 ** (this.attempt - 1)));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped || this.cancelRetry) return;
    this.cancelRetry = this.opts.clock.setTimer(ms, () => void this.tryOpen());
  }

  private drop(reason: string): void {
    const port = this.port;
    this.port = null;
    this.generation++;
    void port?.close();
    this.events.lost(reason);
    this.schedule(this.min);
  }

  /** Close and reopen (a link reset: closing drops DTR, so a receiver reboots on the reopen). */
  reset(reason: string): void {
    if (this.port) this.drop(reason);
  }

  write(bytes: Uint8Array): boolean {
    return this.port?.write(bytes) ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.cancelRetry?.();
    const port = this.port;
    this.port = null;
    await port?.close();
  }
}
