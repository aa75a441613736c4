import { describe, expect, test } from "bun:test";
import { EV_KEY, EvdevDecoder, INPUT_EVENT_SIZE, inputEvent } from "../../../src/drivers/keyboard/evdev.ts";

const EV_SYN = 0, EV_MSC = 4;
const cat = (parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

describe("evdev decoder", () => {
  // What a keyboard really sends for one press and release: MSC_SCAN, KEY, SYN_REPORT each time.
  const stream = cat([
    inputEvent(EV_MSC, 4, 0x70004, 1700000000, 10),
    inputEvent(EV_KEY, 30, 1, 1700000000, 10), // KEY_A down
    inputEvent(EV_SYN, 0, 0),
    inputEvent(EV_KEY, 30, 2), // autorepeat: not a new buzz
    inputEvent(EV_KEY, 30, 0), // release
    inputEvent(EV_SYN, 0, 0),
    inputEvent(EV_KEY, 0x2c0, 1), // BTN_TRIGGER_HAPPY1: code & 0xff = 0xc0
    inputEvent(EV_KEY, 2, 1), // KEY_1
  ]);

  test("records are 24 bytes on 64-bit Linux", () => {
    expect(INPUT_EVENT_SIZE).toBe(24);
    expect(inputEvent(EV_KEY, 1, 1).byteLength).toBe(24);
  });

  test("key-downs become buzzer ids (code & 0xff); releases, repeats and other events do not", () => {
    expect(new EvdevDecoder().push(stream)).toEqual([30, 0xc0, 2]);
  });

  test("reads split at every position give the same buzzes", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new EvdevDecoder();
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]).toEqual([30, 0xc0, 2]);
    }
    const d = new EvdevDecoder();
    expect([...stream].flatMap((b) => d.push(new Uint8Array([b])))).toEqual([30, 0xc0, 2]);
  });
});
