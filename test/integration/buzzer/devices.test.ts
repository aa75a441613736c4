// Device vetting and discovery against this host's real /dev and /proc/devices.
import { describe, expect, test } from "bun:test";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { discoverDevices, vetDevice } from "../../../src/protocols/buzzer/devices.ts";
import { parsePoolSpec } from "../../../src/protocols/buzzer/state.ts";

const vet = (path: string) => vetDevice(parsePoolSpec(path));

describe("connect vetting", () => {
  test("a pty (a terminal) may be opened", async () => {
    const m = await PtyMaster.open();
    try {
      expect(vet(m.path)).toBeNull();
    } finally {
      m.close();
    }
  });

  test("missing devices get the original's connect message", () => {
    expect(vet("/dev/ttyACM-none")).toBe("Couldn't open serial port '/dev/ttyACM-none'");
    expect(vet("/dev/input/event-none")).toBe("Couldn't open input device '/dev/input/event-none'");
  });

  test("files, other character devices and consoles are refused", () => {
    expect(vet("/etc/hostname")).toBe("'/etc/hostname' is not a serial port or input device");
    expect(vet("/dev/null")).toBe("'/dev/null' is not a serial port or input device");
    expect(vet("/dev/tty")).toBe("'/dev/tty' is not a serial port or input device");
    expect(vet("/dev/ptmx")).toBe("'/dev/ptmx' is not a serial port or input device");
  });

  test("discovery lists only device paths and never throws on a bare /dev", () => {
    const found = discoverDevices();
    expect(Array.isArray(found)).toBe(true);
    for (const p of found) expect(p).toMatch(/^\/dev\/(serial\/by-id\/|ttyACM|ttyUSB|input\/by-id\/)/);
  });
});
