// Keyboard pools (docs/buzzer.md#keyboard-pools): a /dev/input/event* device read as a stream of Linux
// `struct input_event` records. On 64-bit Linux (x86_64, aarch64) a record is 24 bytes:
// struct timeval (16) · type u16 · code u16 · value s32, little endian. Pure: bytes in, key
// codes out; reads may end mid-record, so the remainder is kept for the next push().

export const INPUT_EVENT_SIZE = 24;
export const EV_KEY = 1;
/** value of an EV_KEY event: 0 release, 1 press, 2 autorepeat. */
export const KEY_DOWN = 1;

export class EvdevDecoder {
  private rest = new Uint8Array(0);

  /** The buzzer ids (key code & 0xff) of every key-down completed by these bytes. */
  push(bytes: Uint8Array): number[] {
    let buf = bytes;
    if (this.rest.byteLength) {
      buf = new Uint8Array(this.rest.byteLength + bytes.byteLength);
      buf.set(this.rest);
      buf.set(bytes, this.rest.byteLength);
    }
    const whole = buf.byteLength - (buf.byteLength % INPUT_EVENT_SIZE);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: number[] = [];
    for (let off = 0; off < whole; off += INPUT_EVENT_SIZE) {
      const type = v.getUint16(off + 16, true);
      const code = v.getUint16(off + 18, true);
      const value = v.getInt32(off + 20, true);
      // Autorepeat (2) is not a new press: a held button buzzes once.
      if (type === EV_KEY && value === KEY_DOWN) out.push(code & 0xff);
    }
    this.rest = buf.slice(whole);
    return out;
  }
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
