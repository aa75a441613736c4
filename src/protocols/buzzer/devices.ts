// Wiring from pool ids to real drivers: a serial receiver (Device + jeoparty Link) or an evdev
// keyboard (Device + EvdevDecoder), reported to the mediator through its PoolSink. Also the
// discovery of available devices. The only buzzer file besides plugin.ts that touches devices.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { Link, defaultTimings, type LinkTimings } from "../../drivers/jeoparty/link.ts";
import { EvdevDecoder, keyPressTime } from "../../drivers/keyboard/evdev.ts";
import { Device } from "../../drivers/serial/device.ts";
import type { Logger } from "../../log.ts";
import type { Clock } from "../../transport/types.ts";
import { ConnectError } from "./errors.ts";
import type { OpenPool, PoolHandle, PoolSink, PoolSpec } from "./state.ts";

export interface DeviceOptions {
  clock: Clock;
  log: Logger;
  baud: number;
  timings?: LinkTimings;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export function deviceOpener(o: DeviceOptions): OpenPool {
  return (spec, sink) => (spec.kind === "keyboard" ? openKeyboard(spec, sink, o) : openSerial(spec, sink, o));
}

/** The original protocol's connect error message for a device that cannot be opened (docs/buzzer.md#errors). */
export const cannotOpen = (spec: PoolSpec) => ConnectError.cannotOpen(spec.id, spec.kind === "keyboard");

/**
 * What a client's connect command may open: only terminals (serial ports, ptys) and input
 * devices. Any client can send connect, and merely opening some device files has effects
 * (opening /dev/watchdog arms a reboot; /dev/tty1 is a console), so the device number is
 * checked against the driver names in /proc/devices first. Pools from --pool are trusted.
 */
export function vetDevice(spec: PoolSpec): string | null {
  let rdev: number;
  try {
    const st = statSync(spec.id); // follows /dev/serial/by-id symlinks
    if (!st.isCharacterDevice()) return ConnectError.notADevice(spec.id);
    rdev = st.rdev;
  } catch {
    return cannotOpen(spec);
  }
  const major = (rdev >>> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  const names = charDrivers().get(major);
  if (!names) return null; // no /proc/devices on this host: a character device is all we can check
  // Major 4 is shared: minors 0-63 are virtual consoles (tty), 64+ the ttyS serial ports.
  const ok = names.some((n) => (n === "input" || n === "pts" || n === "rfcomm" || /^tty\w+$/.test(n)) && !(major === 4 && minor < 64));
  return ok ? null : ConnectError.notADevice(spec.id);
}

/** Character device majors → driver names, from /proc/devices. */
function charDrivers(): Map<number, string[]> {
  const map = new Map<number, string[]>();
  let text = "";
  try {
    text = readFileSync("/proc/devices", "utf8");
  } catch {
    return map;
  }
  for (const line of text.split("Block devices:")[0]!.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m) map.set(Number(m[1]), [...(map.get(Number(m[1])) ?? []), m[2]!]);
  }
  return map;
}

/** Per-kind reactions to the device; opening failures and losses are handled alike for both kinds. */
interface DeviceHooks {
  opened(): void;
  data(bytes: Uint8Array): void;
  lost(reason: string): void;
}

function startDevice(spec: PoolSpec, sink: PoolSink, o: DeviceOptions, log: Logger, hooks: DeviceHooks): Device {
  const what = spec.kind === "keyboard" ? "input device" : "serial port";
  const kind = spec.kind === "keyboard" ? ({ kind: "evdev" } as const) : ({ kind: "serial", baud: o.baud } as const);
  const device = new Device(
    { path: spec.id, kind, clock: o.clock, minBackoffMs: o.minBackoffMs, maxBackoffMs: o.maxBackoffMs },
    {
      opened: () => {
        log.info(`${what} open`);
        hooks.opened();
      },
      data: (b) => hooks.data(b),
      lost: (reason) => {
        log.info(`${what} lost`, { reason });
        hooks.lost(reason);
      },
      openFailed: (reason, attempt) => {
        if (attempt === 1) log.warn(`cannot open ${what}; retrying`, { reason });
        sink.failed(cannotOpen(spec));
      },
    },
  );
  device.start();
  return device;
}

function openSerial(spec: PoolSpec, sink: PoolSink, o: DeviceOptions): PoolHandle {
  const log = o.log.child({ pool: spec.id });
  const link: Link = new Link(
    spec.numbering,
    o.clock,
    {
      write: (b) => void device.write(b),
      reset: (reason) => {
        log.info("buzzer link reset", { reason });
        device.reset(reason);
      },
    },
    {
      up: (ids, version) => {
        log.info("buzzer receiver linked", { buzzers: ids, version });
        sink.up(ids);
      },
      down: (reason) => sink.down(reason),
      buzz: (b) => sink.buzz(b),
      connected: (b) => sink.connected(b),
      disconnected: (b) => sink.disconnected(b),
    },
    o.timings ?? defaultTimings,
  );
  const device = startDevice(spec, sink, o, log, {
    opened: () => link.opened(),
    data: (b) => link.data(b),
    lost: (reason) => link.closed(reason),
  });
  return {
    colors: true,
    setColor: (b, rgb) => link.setColor(b, rgb),
    async close() {
      link.stop();
      await device.stop();
    },
  };
}

function openKeyboard(spec: PoolSpec, sink: PoolSink, o: DeviceOptions): PoolHandle {
  let decoder = new EvdevDecoder();
  // A keyboard cannot say which buttons exist: a key is announced as a connected buzzer on its first press.
  const seen = new Set<number>();
  const device = startDevice(spec, sink, o, o.log.child({ pool: spec.id }), {
    opened: () => {
      decoder = new EvdevDecoder();
      seen.clear();
      sink.up([]);
    },
    data: (bytes) => {
      const arrival = o.clock.mono();
      const wallNow = o.clock.now();
      for (const k of decoder.pushTimed(bytes)) {
        if (!seen.has(k.id)) {
          seen.add(k.id);
          sink.connected(k.id);
        }
        // The press time is the kernel's stamp of the key-down, not when the read woke up
        // (docs/buzzer.md#the-game): two players pressing within one read keep their order.
        sink.buzz(k.id, keyPressTime(k.wallMs, arrival, wallNow));
      }
    },
    lost: (reason) => sink.down(reason),
  });
  return { colors: false, setColor: () => false, close: () => device.stop() };
}

/**
 * Available devices (docs/buzzer.md#listing-pools): serial ports under /dev/serial/by-id (stable
 * across replugs, so preferred: docs/architecture.md#serial-driver-notes), /dev/ttyACM*,
 * /dev/ttyUSB*, plus keyboards under /dev/input/by-id (*-event-kbd: USB "big button" buzzers are
 * keyboards).
 */
export function discoverDevices(): string[] {
  const list = (dir: string, keep: (name: string) => boolean) => {
    try {
      return readdirSync(dir).filter(keep).sort().map((n) => `${dir}/${n}`);
    } catch {
      return []; // the folder does not exist on this host
    }
  };
  return [
    ...list("/dev/serial/by-id", () => true),
    ...list("/dev", (n) => /^tty(ACM|USB)\d+$/.test(n)),
    ...list("/dev/input/by-id", (n) => n.endsWith("-event-kbd")),
  ];
}
