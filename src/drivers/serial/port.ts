// One open device file: configure it, read it event-driven, write to it, notice when it goes
// away, close it properly. Used for serial ports (termios) and evdev keyboards alike.
//
// docs/architecture.md#serial-driver-notes: Bun.file(fd).stream() reads a tty without a polling loop,
// but only on an O_NONBLOCK fd, and it keeps its own hold on the fd: closing = cancel the
// reader first, then close(fd), or the port never really closes and never drops DTR.
import { isSysError, loadSys, type Sys } from "./sys.ts";
import {
  EAGAIN, EBUSY, EINTR, makeRaw, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDONLY, O_RDWR, TCGETS2, TCSETS2, TERMIOS2_SIZE, TIOCEXCL, TIOCNXCL,
} from "./termios.ts";

export interface PortEvents {
  data(bytes: Uint8Array): void;
  /** The device went away (unplug, peer closed, read error). Not called after close(). */
  end(reason: string): void;
}

export type PortKind = { kind: "serial"; baud: number } | { kind: "evdev" };

/** EVIOCGRAB = _IOW('E', 0x90, int): keys of a grabbed keyboard reach only us, not the desktop. */
const EVIOCGRAB = 0x40044590;

export class FdPort {
  private reader: { cancel(): Promise<void> } | null = null;
  private closed = false;
  private pending: Uint8Array[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(private readonly sys: Sys, readonly fd: number, readonly path: string, private readonly events: PortEvents, private readonly serial: boolean) {}

  /** Open and configure `path`; throws (SysError or a libc load Error) when it cannot. */
  static async open(path: string, kind: PortKind, events: PortEvents): Promise<FdPort> {
    const sys = await loadSys();
    // O_NOCTTY: a terminal must never become the server's controlling tty (its hangup would signal us).
    const flags = (kind.kind === "serial" ? O_RDWR : O_RDONLY) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
    const fd = await openSoon(sys, path, flags);
    try {
      await lockSoon(sys, fd, path);
      if (kind.kind === "serial") configureSerial(sys, fd, path, kind.baud);
      else grabKeyboard(sys, fd, path);
    } catch (err) {
      sys.close(fd);
      throw err;
    }
    const port = new FdPort(sys, fd, path, events, kind.kind === "serial");
    port.startReading();
    return port;
  }

  private startReading(): void {
    const reader = Bun.file(this.fd).stream().getReader();
    this.reader = reader;
    (async () => {
      let reason = "device closed (end of file)";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (this.closed) return;
          if (value && value.byteLength) this.events.data(value);
        }
      } catch (err) {
        reason = `read failed: ${(err as Error).message}`;
      }
      this.lost(reason);
    })();
  }

  private lost(reason: string): void {
    if (this.closed) return;
    void this.close();
    this.events.end(reason);
  }

  /** Queue bytes for the device; false once the port is closed. Short writes are retried. */
  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.pending.push(bytes);
    this.flush();
    return true;
  }

  private flush(): void {
    this.flushTimer = null;
    while (!this.closed && this.pending.length) {
      const head = this.pending[0]!;
      const n = this.sys.write(this.fd, head);
      if (n === -EAGAIN || n === -EINTR) break; // kernel buffer full: try again shortly
      if (n < 0) return this.lost(`write failed (errno ${-n})`);
      if (n < head.byteLength) {
        this.pending[0] = head.subarray(n);
        break;
      }
      this.pending.shift();
    }
    if (!this.closed && this.pending.length && !this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 5);
  }

  /** Cancel the reader, then close the fd (in that order; see the file comment). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pending = [];
    try {
      await this.reader?.cancel();
    } catch {
      // the stream already failed: nothing holds the fd any more
    }
    // TIOCEXCL is a flag of the tty, and a pty slave's tty outlives its last close while the master
    // is open: left set, it would refuse every later open by a non-root server with EBUSY.
    if (this.serial) {
      try {
        this.sys.ioctl(this.fd, TIOCNXCL, null, `TIOCNXCL ${this.path}`);
      } catch {
        // the device is gone already: nothing is left to be exclusive
      }
    }
    this.sys.close(this.fd);
  }
}

/** How long an open waits for a busy exclusive lock before it reports the device in use. */
const LOCK_WAIT_MS = 500;

/**
 * Take the exclusive lock, waiting a little while it is busy. A port this process has just closed
 * stays locked for a moment after close(): the read stream lets go of its own reference to the
 * fd a little later (docs/architecture.md#serial-driver-notes), so an open right after a close
 * (disconnect then connect) would fail. Another program's lock is reported once the wait is over.
 */
async function lockSoon(sys: Sys, fd: number, path: string): Promise<void> {
  const end = performance.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return sys.lockExclusive(fd, path);
    } catch (err) {
      if (!isSysError(err) || err.errno !== EAGAIN || performance.now() >= end) throw err;
    }
    await Bun.sleep(10);
  }
}

/**
 * open(2), waiting a little while the terminal is busy. A port with TIOCEXCL set refuses every
 * other open with EBUSY unless the caller is root; the fd this process just closed holds it for
 * the same moment as the lock above, so a reopen by a server running as an ordinary user (a
 * service account) waits for it the same way.
 */
async function openSoon(sys: Sys, path: string, flags: number): Promise<number> {
  const end = performance.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return sys.open(path, flags);
    } catch (err) {
      if (!isSysError(err) || err.errno !== EBUSY || performance.now() >= end) throw err;
    }
    await Bun.sleep(10);
  }
}

/**
 * Raw 8N1 at `baud` via TCGETS2/TCSETS2 (see makeRaw), exclusive. Input already waiting is
 * kept, not flushed: a receiver (or an emulator on a pty) may have sent its `00 42 VV` just
 * before the open, and the link ignores anything else that arrives before the handshake.
 */
function configureSerial(sys: Sys, fd: number, path: string, baud: number): void {
  sys.ioctl(fd, TIOCEXCL, null, `TIOCEXCL ${path}`);
  const t = new Uint8Array(TERMIOS2_SIZE);
  sys.ioctl(fd, TCGETS2, t, `TCGETS2 ${path} (not a serial port?)`);
  makeRaw(t, baud);
  sys.ioctl(fd, TCSETS2, t, `TCSETS2 ${path}`);
}

function grabKeyboard(sys: Sys, fd: number, path: string): void {
  try {
    sys.ioctl(fd, EVIOCGRAB, 1, `EVIOCGRAB ${path}`); // the int argument is passed by value
  } catch {
    // Not every input device can be grabbed; buzzes still arrive, they just also reach the desktop.
  }
}

/** Read the termios2 of an open fd (tests and diagnostics). */
export async function readTermiosBytes(fd: number): Promise<Uint8Array> {
  const sys = await loadSys();
  const t = new Uint8Array(TERMIOS2_SIZE);
  sys.ioctl(fd, TCGETS2, t, "TCGETS2");
  return t;
}
