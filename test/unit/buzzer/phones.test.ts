// Phones as buzzers (docs/buzzer.md#phones-as-buzzers): the registry, the clock offset estimate,
// the press conversion. Simulated races against the game: phones-race.test.ts.
import { describe, expect, test } from "bun:test";
import { PHONE_ID } from "../../../src/protocols/buzzer/codec.ts";
import { EXCHANGES_KEPT, MAX_PHONES, PhoneClock, Phones, randomPhoneId, type JoinResult, type PhonePress } from "../../../src/protocols/buzzer/phones.ts";
import { FakeClock } from "../../helpers/fakes.ts";

function setup(opts: { keepMs?: number; maxPressAgeMs?: number } = {}) {
  const clock = new FakeClock(1_700_000_000_000, 1000);
  let n = 0;
  const phones = new Phones({ clock, ...opts, newPhoneId: () => `phone-id-${String(++n).padStart(8, "0")}` });
  const join = (conn: number, name: string, id: string | null = null) => phones.join(conn, name, id) as JoinResult;
  return { clock, phones, join };
}

describe("phones: registry", () => {
  test("joining gives the lowest free buzzer id and a phone id; a reload with that id gets the same buzzer", () => {
    const { phones, join, clock } = setup();
    const a = join(1, "Ann");
    expect(a).toEqual({ buzzer: 1, phoneId: "phone-id-00000001", name: "Ann", nameChanged: true, connected: true, replaced: null, left: null });
    expect(join(2, "Bob").buzzer).toBe(2);
    expect(phones.connected()).toEqual([1, 2]);
    expect(phones.forget(1)).toBe(1);
    expect(phones.connected()).toEqual([2]);
    expect(phones.buzzerOf(1)).toBeNull();
    clock.advance(10 * 60 * 1000);
    // The same name again: nothing to rename (an operator's set_name stays in force).
    expect(join(3, "Ann", a.phoneId)).toEqual({ ...a, nameChanged: false });
    // Another name: the player renamed themselves.
    expect(join(3, "Annie", a.phoneId)).toMatchObject({ buzzer: 1, nameChanged: true, connected: false });
    expect(phones.buzzerOf(3)).toBe(1);
  });

  test("a second connection with the same phone id takes the buzzer over; the old one can no longer press", () => {
    const { phones, join } = setup();
    const a = join(1, "Ann");
    expect(join(2, "Ann", a.phoneId)).toMatchObject({ buzzer: 1, connected: false, replaced: 1, left: null });
    expect(phones.press(1, 5)).toEqual({ error: "phone", message: "join first: send phone_join", cause: null });
    expect(phones.forget(1)).toBeNull(); // the old socket closing does not take the buzzer away
    expect(phones.connected()).toEqual([1]);
  });

  test("a connection that joins as another phone leaves the first one", () => {
    const { phones, join } = setup();
    join(1, "Ann");
    const b = join(2, "Bob");
    phones.forget(2);
    expect(join(1, "Bob", b.phoneId)).toMatchObject({ buzzer: 2, connected: true, left: 1 });
    expect(phones.connected()).toEqual([2]);
  });

  test("an unknown phone id (the server restarted) is registered as given", () => {
    const { join } = setup();
    expect(join(1, "Ann", "kept-from-before-0001")).toMatchObject({ buzzer: 1, phoneId: "kept-from-before-0001", nameChanged: true });
  });

  test("an absent phone keeps its id for keepMs; then the id is free again", () => {
    const { phones, join, clock } = setup({ keepMs: 60_000 });
    const a = join(1, "Ann");
    join(2, "Bob");
    phones.forget(1);
    clock.advance(59_999);
    expect(join(3, "Cid").buzzer).toBe(3); // 1 is still Ann's
    clock.advance(1);
    expect(join(4, "Dee").buzzer).toBe(1); // exactly keepMs: released
    expect(join(5, "Ann", a.phoneId)).toMatchObject({ buzzer: 4, nameChanged: true }); // a new registration
  });

  test("all ids registered: the phone absent longest gives its id up; all connected: phone error", () => {
    const { phones, join, clock } = setup();
    for (let c = 1; c <= MAX_PHONES; c++) join(c, `P${c}`);
    expect(phones.join(999, "Late", null)).toEqual({ error: "phone", message: "all 255 phone buzzers are taken", cause: null });
    phones.forget(10);
    clock.advance(1);
    phones.forget(20);
    expect(join(999, "Late").buzzer).toBe(10);
    expect(join(1000, "Later").buzzer).toBe(20);
    expect(phones.join(1001, "Too late", null)).toMatchObject({ error: "phone" });
  });

  test("random phone ids are well-formed and differ", () => {
    const ids = new Set(Array.from({ length: 50 }, randomPhoneId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(PHONE_ID);
  });
});

describe("phones: clock offset and press conversion", () => {
  test("sync_time answers with the server's monotonic receive and send instants, rounded to µs", () => {
    const { phones, clock } = setup();
    clock.advance(0.0004);
    expect(phones.sync(1, 123.4, null)).toEqual({ client_ts: 123.4, server_recv_ts: 1000, server_send_ts: 1000 });
    // Only the one-way bound is known: offset ≥ client_ts − server_recv.
    expect(phones.offsetOf(1)).toBeCloseTo(123.4 - 1000.0004, 9);
  });

  test("the exchange with the smallest round trip gives the offset: exact with symmetric delays", () => {
    const c = new PhoneClock();
    // phone clock = server + 5000; 20 ms each way: offset exactly 5000, rtt 40.
    c.exchange({ client_ts: 5100, server_recv_ts: 120, server_send_ts: 121, client_recv_ts: 5141 });
    expect([c.offset, c.rtt]).toEqual([5000, 40]);
    // A slower exchange, 30 ms up and 10 down, would say 5000 + (10 − 30)/2 = 4990: not used.
    c.exchange({ client_ts: 5200, server_recv_ts: 230, server_send_ts: 230, client_recv_ts: 5240 });
    expect(c.offset).toBe(5000);
    // A faster one is, off by half its imbalance: 1 up, 3 down → 5001.
    c.exchange({ client_ts: 5300, server_recv_ts: 301, server_send_ts: 301, client_recv_ts: 5304 });
    expect([c.offset, c.rtt]).toEqual([5001, 4]);
    // Inconsistent (negative round trip) or not finite: ignored.
    c.exchange({ client_ts: 5400, server_recv_ts: 400, server_send_ts: 450, client_recv_ts: 5410 });
    c.exchange({ client_ts: NaN, server_recv_ts: 400, server_send_ts: 400, client_recv_ts: 5410 });
    expect(c.offset).toBe(5001);
  });

  test("only recent exchanges count: the best of the last EXCHANGES_KEPT (the phone's clock drifts)", () => {
    const c = new PhoneClock();
    c.exchange({ client_ts: 0, server_recv_ts: 1, server_send_ts: 1, client_recv_ts: 2 }); // rtt 2, offset 0
    for (let i = 1; i < EXCHANGES_KEPT; i++) c.exchange({ client_ts: 10 * i, server_recv_ts: 10 * i + 3, server_send_ts: 10 * i + 3, client_recv_ts: 10 * i + 8 });
    expect(c.offset).toBe(0);
    c.exchange({ client_ts: 1000, server_recv_ts: 1003, server_send_ts: 1003, client_recv_ts: 1008 }); // pushes the first out
    expect([c.offset, c.rtt]).toEqual([1, 8]);
  });

  test("a reported exchange whose server half lies in the future is ignored", () => {
    const { phones } = setup();
    phones.sync(1, 0, { client_ts: 0, server_recv_ts: 5000, server_send_ts: 5000, client_recv_ts: 2 });
    expect(phones.offsetOf(1)).toBe(-1000); // the one-way bound of this call only
  });

  test("a press before phone_join is refused", () => {
    const { phones } = setup();
    expect(phones.press(1, 0)).toEqual({ error: "phone", message: "join first: send phone_join", cause: null });
  });

  test("without any sync a press is placed at its arrival", () => {
    const { phones, join, clock } = setup();
    join(1, "Ann");
    clock.advance(50);
    expect(phones.press(1, 987_654)).toEqual({ buzzer: 1, at: 1050, recv: 1050 });
  });

  test("with an exchange the press is placed at the instant the phone measured", () => {
    const { phones, join, clock } = setup();
    join(1, "Ann");
    // phone clock = server + 250.25; 40 ms each way.
    const ph = (t: number) => t + 250.25;
    const sent = ph(clock.mono());
    clock.advance(40);
    const r = phones.sync(1, sent, null);
    clock.advance(40);
    const recvd = ph(clock.mono());
    clock.advance(500);
    phones.sync(1, ph(clock.mono() - 40), { client_ts: sent, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: recvd });
    expect(phones.offsetOf(1)).toBe(250.25);
    // Pressed at server 1700, arriving 40 ms later.
    clock.advance(1740 - clock.mono());
    expect(phones.press(1, ph(1700))).toEqual({ buzzer: 1, at: 1700, recv: 1740 });
  });

  test("a press is placed no earlier than maxPressAgeMs before its arrival, and never after it", () => {
    const { phones, join, clock } = setup({ maxPressAgeMs: 500 });
    join(1, "Ann");
    phones.sync(1, 0, null);
    phones.sync(1, 10, { client_ts: 0, server_recv_ts: 1000, server_send_ts: 1000, client_recv_ts: 0 }); // offset −1000, rtt 0
    clock.advance(1000); // 2000
    expect((phones.press(1, 400) as PhonePress).at).toBe(1500); // claims 1400: 600 ms before arrival
    expect((phones.press(1, 1500) as PhonePress).at).toBe(2000); // claims 2500: in the future
    expect((phones.press(1, 900) as PhonePress).at).toBe(1900);
  });

  test("a closed connection's estimate is dropped (a new page has a new clock)", () => {
    const { phones } = setup();
    phones.sync(1, 500, null);
    phones.forget(1);
    expect(phones.offsetOf(1)).toBeNull();
  });
});
