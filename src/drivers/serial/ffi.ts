// The project's only bun:ffi import (docs/architecture.md#dependencies,
// docs/architecture.md#serial-driver-notes). Nothing imports this module statically: sys.ts loads
// it with a dynamic import the first time a device is opened, so the binary starts on hosts that
// never touch a serial port, and a libc that cannot be loaded becomes a clear error on that open
// instead of a crash at start (see sys.ts for what the compiled binary does with the bun:ffi import
// itself).
import { dlopen, FFIType, toArrayBuffer, type Pointer } from "bun:ffi";
import { EAGAIN, EBUSY, LOCK_EX, LOCK_NB, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR } from "./termios.ts";

const { i32, i64, u64, ptr, cstring } = FFIType;
const symbols = {
  open: { args: [ptr, i32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  write: { args: [i32, ptr, u64], returns: i64 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  posix_openpt: { args: [i32], returns: i32 },
  grantpt: { args: [i32], returns: i32 },
  unlockpt: { args: [i32], returns: i32 },
  ptsname_r: { args: [i32, ptr, u64], returns: i32 },
  strerror: { args: [i32], returns: cstring },
  // glibc and musl both expose errno through this function.
  __errno_location: { args: [], returns: ptr },
} as const;

/** A failed system call, with errno and the OS's own words for it. */
export class SysError extends Error {
  constructor(readonly call: string, readonly errno: number, detail: string) {
    super(`${call}: ${detail} (errno ${errno})`);
  }
}

/**
 * "libc.so.6" is glibc's soname and musl's dynamic linker also answers to it; the musl
 * names are fallbacks for hosts where it does not (docs/architecture.md#serial-driver-notes).
 */
function libcNames(): string[] {
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  return ["libc.so.6", "libc.so", `libc.musl-${arch}.so.1`, `/lib/ld-musl-${arch}.so.1`];
}

function load() {
  const tried: string[] = [];
  for (const name of libcNames()) {
    try {
      return dlopen(name, symbols).symbols;
    } catch (err) {
      tried.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`cannot load the C library for serial ports (tried ${tried.join("; ")})`);
}

export type Sys = ReturnType<typeof makeSys>;

function makeSys() {
  const c = load();
  const errno = (): number => {
    const p = c.__errno_location();
    return p ? (new Int32Array(toArrayBuffer(p, 0, 4))[0] ?? 0) : 0;
  };
  const fail = (call: string): never => {
    const e = errno();
    throw new SysError(call, e, String(c.strerror(e)));
  };
  const cpath = (path: string) => Buffer.from(path + "\0", "utf8");
  return {
    /** open(2); throws SysError. */
    open(path: string, flags: number): number {
      const fd = c.open(cpath(path), flags, 0);
      if (fd >= 0) return fd;
      const e = errno();
      // EBUSY: a terminal another fd holds with TIOCEXCL (only root may open it anyway).
      throw new SysError(`open ${path}`, e, e === EBUSY ? "already in use by another program" : String(c.strerror(e)));
    },
    close(fd: number): void {
      c.close(fd);
    },
    /** Bytes read, 0 at end of file, or -errno (EAGAIN: nothing to read now). */
    read(fd: number, buf: Uint8Array): number {
      const n = Number(c.read(fd, buf, buf.byteLength));
      return n < 0 ? -errno() : n;
    },
    /** Bytes written or -errno; never throws (a hot path). */
    write(fd: number, bytes: Uint8Array): number {
      if (bytes.byteLength === 0) return 0;
      const n = Number(c.write(fd, bytes, bytes.byteLength));
      return n < 0 ? -errno() : n;
    },
    /** ioctl(2) with a struct pointer, or an int passed by value (EVIOCGRAB); throws SysError. */
    ioctl(fd: number, request: number, arg: Uint8Array | number | null, what: string): void {
      if (c.ioctl(fd, request, typeof arg === "number" ? (arg as Pointer) : arg) < 0) fail(what);
    },
    /** An exclusive advisory lock, so two programs never share one receiver; throws SysError. */
    lockExclusive(fd: number, path: string): void {
      if (c.flock(fd, LOCK_EX | LOCK_NB) < 0) {
        const e = errno();
        throw new SysError(`lock ${path}`, e, e === EAGAIN ? "already in use by another program" : String(c.strerror(e)));
      }
    },
    /** A pseudo-terminal pair for the receiver emulator: the master fd and the slave's path. */
    openPty(): { master: number; path: string } {
      const master = c.posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
      if (master < 0) fail("posix_openpt");
      const buf = new Uint8Array(256);
      if (c.grantpt(master) < 0 || c.unlockpt(master) < 0 || c.ptsname_r(master, buf, buf.byteLength) !== 0) {
        const e = errno();
        c.close(master);
        throw new SysError("pty setup", e, String(c.strerror(e)));
      }
      return { master, path: new TextDecoder().decode(buf.subarray(0, buf.indexOf(0))) };
    },
  };
}

let sys: Sys | null = null;
/** The libc calls, loaded on first use; throws a clear Error when no libc can be loaded. */
export function getSys(): Sys {
  return (sys ??= makeSys());
}
