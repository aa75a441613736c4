// Pure termios2 layout and raw-mode flags (Linux asm-generic values, the same on x86_64 and
// aarch64, glibc and musl). No FFI here: ffi.ts passes these bytes to ioctl().
//
// Why termios2 and not cfsetispeed(): glibc >= 2.42 made cfset*speed take numeric bauds and
// silently accepts the old B-constants as numbers (B9600 = 0x000d would mean 13 baud), while
// older glibc and musl want B-constants. TCGETS2/TCSETS2 bypass libc: the kernel's own Bxxx
// code in c_cflag (a fixed ABI value) plus the numeric c_ispeed/c_ospeed, or BOTHER for a
// non-standard rate, mean the same on every libc (docs/architecture.md#serial-driver-notes).

/** sizeof(struct termios2): 4 flag words, c_line, c_cc[19], c_ispeed, c_ospeed. */
export const TERMIOS2_SIZE = 44;
const OFF = { iflag: 0, oflag: 4, cflag: 8, lflag: 12, line: 16, cc: 17, ispeed: 36, ospeed: 40 } as const;

// ioctl requests: _IOR/_IOW('T', 0x2A/0x2B, struct termios2) and the plain tty ones.
export const TCGETS2 = 0x802c542a;
export const TCSETS2 = 0x402c542b;
export const TIOCEXCL = 0x540c;
/** Leave exclusive mode: the flag lives on the tty, not the fd, and can outlast our close (ptys). */
export const TIOCNXCL = 0x540d;

// open(2) flags and flock(2) operations (asm-generic).
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const LOCK_EX = 2;
export const LOCK_NB = 4;

// errno values we act on.
export const EAGAIN = 11;
export const EBUSY = 16;
export const EIO = 5;
export const EINTR = 4;

// c_iflag
const IGNBRK = 0o1, BRKINT = 0o2, PARMRK = 0o10, INPCK = 0o20, ISTRIP = 0o40, INLCR = 0o100, IGNCR = 0o200;
const ICRNL = 0o400, IUCLC = 0o1000, IXON = 0o2000, IXANY = 0o4000, IXOFF = 0o10000, IMAXBEL = 0o20000;
// c_oflag
const OPOST = 0o1;
// c_cflag
export const CBAUD = 0o10017;
export const BOTHER = 0o10000;
const CIBAUD = 0o2003600000;
const CSIZE = 0o60, CS8 = 0o60, CSTOPB = 0o100, CREAD = 0o200, PARENB = 0o400, PARODD = 0o1000;
const HUPCL = 0o2000, CLOCAL = 0o4000, CRTSCTS = 0o20000000000;
// c_lflag
const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100, IEXTEN = 0o100000;
// c_cc indices
const VTIME = 5, VMIN = 6;

export interface Termios2 {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  ispeed: number;
  ospeed: number;
  vmin: number;
  vtime: number;
}

export function readTermios2(buf: Uint8Array): Termios2 {
  const v = new DataView(buf.buffer, buf.byteOffset, TERMIOS2_SIZE);
  return {
    iflag: v.getUint32(OFF.iflag, true),
    oflag: v.getUint32(OFF.oflag, true),
    cflag: v.getUint32(OFF.cflag, true),
    lflag: v.getUint32(OFF.lflag, true),
    ispeed: v.getUint32(OFF.ispeed, true),
    ospeed: v.getUint32(OFF.ospeed, true),
    vmin: buf[OFF.cc + VMIN] ?? 0,
    vtime: buf[OFF.cc + VTIME] ?? 0,
  };
}

/**
 * The kernel's speed codes for the standard rates (asm-generic termbits: Bxxx, fixed ABI values,
 * unlike the libc cfset*speed() arguments). A standard rate is written with its code so that
 * every reader of the old termios (stty, tcgetattr, a pty peer) sees the speed; other rates need
 * BOTHER and the numeric c_ospeed, which only termios2 readers understand.
 */
const SPEED_CODES: Record<number, number> = {
  50: 0o1, 75: 0o2, 110: 0o3, 134: 0o4, 150: 0o5, 200: 0o6, 300: 0o7, 600: 0o10, 1200: 0o11, 1800: 0o12,
  2400: 0o13, 4800: 0o14, 9600: 0o15, 19200: 0o16, 38400: 0o17, 57600: 0o10001, 115200: 0o10002,
  230400: 0o10003, 460800: 0o10004, 500000: 0o10005, 576000: 0o10006, 921600: 0o10007, 1000000: 0o10010,
  1152000: 0o10011, 1500000: 0o10012, 2000000: 0o10013, 2500000: 0o10014, 3000000: 0o10015,
  3500000: 0o10016, 4000000: 0o10017,
};

/**
 * Turn a termios2 read with TCGETS2 into raw 8N1 at `baud` (what cfmakeraw does, plus the
 * speed: its Bxxx code when it has one, else BOTHER; c_ispeed/c_ospeed numeric either way):
 * no echo, no line editing, no signals, no CR/NL mapping, no flow control; receiver on, modem
 * lines ignored; HUPCL so closing drops DTR and an Arduino-class receiver resets
 * on the next open (docs/buzzer.md#byte-protocol: the board resets when the port is opened).
 */
export function makeRaw(buf: Uint8Array, baud: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, TERMIOS2_SIZE);
  const t = readTermios2(buf);
  const iflag = t.iflag & ~(IGNBRK | BRKINT | PARMRK | INPCK | ISTRIP | INLCR | IGNCR | ICRNL | IUCLC | IXON | IXANY | IXOFF | IMAXBEL);
  const oflag = t.oflag & ~OPOST;
  const lflag = t.lflag & ~(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
  let cflag = t.cflag & ~(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS | CBAUD | CIBAUD);
  cflag |= CS8 | CREAD | CLOCAL | HUPCL | (SPEED_CODES[baud] ?? BOTHER);
  v.setUint32(OFF.iflag, iflag >>> 0, true);
  v.setUint32(OFF.oflag, oflag >>> 0, true);
  v.setUint32(OFF.cflag, cflag >>> 0, true);
  v.setUint32(OFF.lflag, lflag >>> 0, true);
  v.setUint32(OFF.ispeed, baud, true);
  v.setUint32(OFF.ospeed, baud, true);
  buf[OFF.cc + VMIN] = 1;
  buf[OFF.cc + VTIME] = 0;
}

/** True when the flags read back describe raw 8N1 without flow control. */
export function isRaw8N1(t: Termios2): boolean {
  return (
    (t.cflag & CSIZE) === CS8 &&
    (t.cflag & (PARENB | CSTOPB | CRTSCTS)) === 0 &&
    (t.lflag & (ICANON | ECHO | ISIG | IEXTEN)) === 0 &&
    (t.iflag & (ICRNL | IXON | IXOFF | ISTRIP)) === 0 &&
    (t.oflag & OPOST) === 0
  );
}
