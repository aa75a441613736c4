// A pseudo-terminal pair for the receiver emulator and the driver tests: the emulator holds the
// master, the mediator opens the slave path as if it were /dev/ttyACM0. Linux reports on the
// master whether any process has the slave open (read → EIO when none does), which is how the
// emulator notices "the port was opened" and plays the Arduino's reset-on-open.
import { loadSys, type Sys } from "./sys.ts";
import { EAGAIN, EIO, makeRaw, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR, TCGETS2, TCSETS2, TERMIOS2_SIZE } from "./termios.ts";

export type PtyRead = { open: false } | { open: true; bytes: Uint8Array };

export class PtyMaster {
  private readonly buf = new Uint8Array(4096);
  private closed = false;
  private constructor(private readonly sys: Sys, readonly fd: number, readonly path: string) {}

  static async open(): Promise<PtyMaster> {
    const sys = await loadSys();
    const { master, path } = sys.openPty();
    // Until the slave has been opened once, the master reads EAGAIN rather than EIO; open and
    // close it here so "nobody has it open" is observable from the start.
    sys.close(sys.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    return new PtyMaster(sys, master, path);
  }

  /** Non-blocking: whether the slave side is open now, and what it wrote since the last poll. */
  poll(): PtyRead {
    if (this.closed) return { open: false };
    const n = this.sys.read(this.fd, this.buf);
    if (n > 0) return { open: true, bytes: this.buf.slice(0, n) };
    if (n === -EAGAIN) return { open: true, bytes: new Uint8Array(0) };
    if (n === -EIO || n === 0) return { open: false };
    throw new Error(`pty read failed (errno ${-n})`);
  }

  /** Write to the slave's reader; false when nobody has the slave open or the buffer is full. */
  write(bytes: Uint8Array): boolean {
    return !this.closed && this.sys.write(this.fd, bytes) === bytes.byteLength;
  }

  /**
   * Put the pair in raw mode from the master side (a pty pair shares one termios). The mediator
   * does this itself for serial pools; a keyboard pool on a pty (tests) needs it done here.
   */
  raw(): void {
    const t = new Uint8Array(TERMIOS2_SIZE);
    this.sys.ioctl(this.fd, TCGETS2, t, "TCGETS2 pty");
    makeRaw(t, 38400);
    this.sys.ioctl(this.fd, TCSETS2, t, "TCSETS2 pty");
  }

  /** Closing the master hangs up the slave: its reader sees end of file / EIO (an unplug). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sys.close(this.fd);
  }
}
