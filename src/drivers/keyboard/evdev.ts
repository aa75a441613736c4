// Keyboard pools (docs/buzzer.md#keyboard-pools): a /dev/input/event* device read as a stream of
// Linux `struct input_event` records. On 64-bit Linux (x86_64, aarch64) a record is 24 bytes:
// struct timeval (16: seconds, microseconds) · type u16 · code u16 · value s32, little endian.
// Pure: bytes in, key-downs out; reads may end mid-record, so the remainder is kept for the next push().

export const INPUT_EVENT_SIZE = 24;
export const EV_KEY = 1;
/** value of an EV_KEY event: 0 release, 1 press, 2 autorepeat. */
export const KEY_DOWN = 1;

/** A key-down: its buzzer id and the kernel's time stamp of the event (ms since the epoch, µs precision). */
export interface KeyDown {
  id: number;
  wallMs: number;
}

export class EvdevDecoder {
  private rest = new Uint8Array(0);

  /** The buzzer ids (key code & 0xff) of every key-down completed by these bytes. */
  push(bytes: Uint8Array): number[] {
    return this.pushTimed(bytes).map((k) => k.id);
  }

  /** The key-downs completed by these bytes, with the kernel's time of each. */
  pushTimed(bytes: Uint8Array): KeyDown[] {
    let buf = bytes;
    if (this.rest.byteLength) {
      buf = new Uint8Array(this.rest.byteLength + bytes.byteLength);
      buf.set(this.rest);
      buf.set(bytes, this.rest.byteLength);
    }
    const whole = buf.byteLength - (buf.byteLength % INPUT_EVENT_SIZE);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: KeyDown[] = [];
    for (let off = 0; off < whole; off += INPUT_EVENT_SIZE) {
      const type = v.getUint16(off + 16, true);
      const code = v.getUint16(off + 18, true);
      const value = v.getInt32(off + 20, true);
      // Autorepeat (2) is not a new press: a held button buzzes once.
      if (type !== EV_KEY || value !== KEY_DOWN) continue;
      const sec = Number(v.getBigInt64(off, true));
      const usec = Number(v.getBigInt64(off + 8, true));
      out.push({ id: code & 0xff, wallMs: sec * 1000 + usec / 1000 });
    }
    this.rest = buf.slice(whole);
    return out;
  }
}

/** How far before its arrival a key-down's kernel time may place it (a reader held up that long is a stall, not a press time). */
export const MAX_KEY_AGE_MS = 1000;

/**
 * A key-down's press time in server monotonic ms. The kernel stamps events with CLOCK_REALTIME
 * (wall time) unless a reader asks otherwise, so the event's age is measured on the wall clock
 * and taken off the monotonic arrival time: press = arrival − (wall now − event wall time). The
 * result is kept within [arrival − MAX_KEY_AGE_MS, arrival], so a wall clock stepped between the
 * stamp and the read cannot place a press in the future or far in the past.
 */
export function keyPressTime(wallMs: number, arrivalMono: number, wallNow: number): number {
  const age = wallNow - wallMs;
  if (!Number.isFinite(age)) return arrivalMono;
  return arrivalMono - Math.min(MAX_KEY_AGE_MS, Math.max(0, age));
}

/** One input_event record (tests and the emulator's synthetic input). */
export function inputEvent(type: number, code: number, value: number, sec = 0, usec = 0): Uint8Array {
  const b = new Uint8Array(INPUT_EVENT_SIZE);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, BigInt(sec), true);
  v.setBigInt64(8, BigInt(usec), true);
  v.setUint16(16, type, true);
  v.setUint16(18, code, true);
  v.setInt32(20, value, true);
  return b;
}

/** An input_event record stamped with a wall time in ms (tests of press times). */
export function inputEventAt(type: number, code: number, value: number, wallMs: number): Uint8Array {
  const sec = Math.floor(wallMs / 1000);
  return inputEvent(type, code, value, sec, Math.round((wallMs - sec * 1000) * 1000));
}
