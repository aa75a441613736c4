// The serial driver against a real pseudo-terminal (no hardware, no socat): configure, read,
// write, peer close, reopen, exclusivity.
import { afterEach, describe, expect, test } from "bun:test";
import { Device } from "../../../src/drivers/serial/device.ts";
import { FdPort, readTermiosBytes } from "../../../src/drivers/serial/port.ts";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { BOTHER, CBAUD, isRaw8N1, makeRaw, readTermios2, TERMIOS2_SIZE } from "../../../src/drivers/serial/termios.ts";
import { systemClock } from "../../../src/transport/clock.ts";
import { waitFor } from "../../helpers/wait.ts";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The pty's side has no events to wait on: the condition is polled, with a deadline. */
const until = (pred: () => boolean, ms = 3000) => waitFor(pred, { timeoutMs: ms, everyMs: 5 });

/** Everything the master reads until `n` bytes arrived. */
async function readMaster(m: PtyMaster, n: number): Promise<number[]> {
  const got: number[] = [];
  await until(() => {
    const r = m.poll();
    if (r.open) got.push(...r.bytes);
    return got.length >= n;
  });
  return got;
}

describe("termios2 (pure)", () => {
  test("makeRaw: 8N1, no echo/canonical/flow control; a standard speed as its Bxxx code, others with BOTHER", () => {
    const t = new Uint8Array(TERMIOS2_SIZE);
    const v = new DataView(t.buffer);
    v.setUint32(0, 0o2400 | 0o400, true); // ICRNL | IXON
    v.setUint32(4, 0o5, true); // OPOST | ONLCR
    v.setUint32(8, 0o277 | 0o400, true); // B38400 | CS8 | CREAD | PARENB
    v.setUint32(12, 0o105073, true); // ISIG ICANON ECHO … IEXTEN
    expect(isRaw8N1(readTermios2(t))).toBe(false);
    makeRaw(t, 9600);
    const r = readTermios2(t);
    expect(isRaw8N1(r)).toBe(true);
    expect(r.cflag & CBAUD).toBe(0o15); // B9600: what stty and tcgetattr() read back
    expect([r.ispeed, r.ospeed]).toEqual([9600, 9600]);
    expect([r.vmin, r.vtime]).toEqual([1, 0]);
    makeRaw(t, 115200);
    expect(readTermios2(t).cflag & CBAUD).toBe(0o10002); // B115200
    makeRaw(t, 250000); // no Bxxx code: BOTHER and the number
    const odd = readTermios2(t);
    expect(odd.cflag & CBAUD).toBe(BOTHER);
    expect([odd.ispeed, odd.ospeed]).toEqual([250000, 250000]);
  });
});

describe("serial port on a pty", () => {
  test("open configures raw 8N1 at the baud; read and write both ways", async () => {
    const m = await PtyMaster.open();
    cleanup.push(() => m.close());
    const got: number[] = [];
    const port = await FdPort.open(m.path, { kind: "serial", baud: 57600 }, { data: (b) => got.push(...b), end: () => {} });
    cleanup.push(() => port.close());

    const t = readTermios2(await readTermiosBytes(port.fd));
    expect(isRaw8N1(t)).toBe(true);
    expect(t.ospeed).toBe(57600);
    expect(t.ispeed).toBe(57600);

    // Bytes a cooked tty would mangle (CR, NUL, ^C, ^D, 0xff) arrive unchanged.
    const sent = [0x00, 0x42, 0x00, 0x0d, 0x0a, 0x03, 0x04, 0x13, 0x11, 0xff];
    expect(m.write(new Uint8Array(sent))).toBe(true);
    await until(() => got.length >= sent.length);
    expect(got).toEqual(sent);

    expect(port.write(new Uint8Array([0x13, 0x37, 0x0a]))).toBe(true);
    expect(await readMaster(m, 3)).toEqual([0x13, 0x37, 0x0a]); // no echo, no NL → CRNL
  });

  test("the peer closing is detected, and close() really releases the port", async () => {
    const m = await PtyMaster.open();
    let ended = "";
    const port = await FdPort.open(m.path, { kind: "serial", baud: 9600 }, { data: () => {}, end: (r) => (ended = r) });
    cleanup.push(() => port.close());
    expect(m.poll().open).toBe(true);
    m.close(); // the "cable" is pulled
    await until(() => ended !== "");
    expect(ended).toMatch(/end of file|read failed/);
    expect(port.write(new Uint8Array([1]))).toBe(false);

    // close() cancels the reader before close(fd): the master then sees nobody on the slave.
    const m2 = await PtyMaster.open();
    cleanup.push(() => m2.close());
    const p2 = await FdPort.open(m2.path, { kind: "serial", baud: 9600 }, { data: () => {}, end: () => {} });
    expect(m2.poll().open).toBe(true);
    await p2.close();
    await until(() => !m2.poll().open);
  });

  test("a port is exclusive: a second open fails while the first holds it", async () => {
    const m = await PtyMaster.open();
    cleanup.push(() => m.close());
    const p = await FdPort.open(m.path, { kind: "serial", baud: 9600 }, { data: () => {}, end: () => {} });
    cleanup.push(() => p.close());
    await expect(FdPort.open(m.path, { kind: "serial", baud: 9600 }, { data: () => {}, end: () => {} })).rejects.toThrow(/in use/);
  });

  test("opening a missing device fails with the OS reason", async () => {
    await expect(FdPort.open("/dev/ttyACM-missing-42", { kind: "serial", baud: 9600 }, { data: () => {}, end: () => {} })).rejects.toThrow(
      /No such file or directory/,
    );
  });

  test("Device reopens by itself after the device comes back", async () => {
    const dir = (await import("../../helpers/server.ts")).tempDir("buzzer-dev-");
    const link = `${dir}/ttyBUZZ`;
    const { symlinkSync, rmSync } = await import("node:fs");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    let m = await PtyMaster.open();
    symlinkSync(m.path, link);
    const log: string[] = [];
    const data: number[] = [];
    const dev = new Device(
      { path: link, kind: { kind: "serial", baud: 9600 }, clock: systemClock, minBackoffMs: 20, maxBackoffMs: 80 },
      {
        opened: () => log.push("opened"),
        data: (b) => data.push(...b),
        lost: () => log.push("lost"),
        openFailed: () => log.push("failed"),
      },
    );
    cleanup.push(() => dev.stop());
    dev.start();
    await until(() => log.includes("opened"));

    m.close(); // unplug: the device and its by-id link disappear
    rmSync(link);
    await until(() => log.includes("lost") && log.includes("failed"));

    m = await PtyMaster.open(); // plug in again (a different /dev/pts/N)
    const m2 = m;
    cleanup.push(() => m2.close());
    symlinkSync(m.path, link);
    await until(() => log.filter((x) => x === "opened").length === 2);
    expect(m.write(new Uint8Array([7, 8]))).toBe(true);
    await until(() => data.length >= 2);
    expect(data).toEqual([7, 8]);
    expect(dev.write(new Uint8Array([9]))).toBe(true);
    expect(await readMaster(m, 1)).toEqual([9]);

    // reset(): close and reopen right away (a link reset)
    dev.reset("test");
    await until(() => log.filter((x) => x === "opened").length === 3);
    await dev.stop();
    await until(() => !m.poll().open);
  });
});
