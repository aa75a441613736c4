// Several nodes (docs/cluster.md#buzzer): the one `phones` pool of every node. Phone ids and
// buzzer ids are the cluster's, whichever node a phone's socket is on: the registry's rules are
// those of one node (phonebook.ts), kept in Redis. A connection is named by its node and its id
// there; times are wall-clock ms (the nodes' monotonic clocks differ). Two versions behind one
// interface, run through the same tests: in memory, and in Redis.
import type { ErrorReply } from "./errors.ts";
import { MAX_PHONES, PhoneBook, phonesFull, type HeldPhone, type JoinResult } from "./phonebook.ts";
import type { RedisCommands } from "../syncparty/directory.ts";

export interface ConnRef {
  node: string;
  conn: number;
}

export interface PhoneRegistry {
  join(at: ConnRef, name: string, phoneId: string | null, now: number): Promise<JoinResult<ConnRef> | ErrorReply>;
  /** The connection closed: its phone is absent from now. Returns its buzzer (null: it held none, or was replaced). */
  leave(at: ConnRef, now: number): Promise<number | null>;
  /** Buzzer ids of the phones connected now, on every node, ascending. */
  connected(): Promise<number[]>;
  /** Those of one node's connections. */
  heldBy(node: string): Promise<number[]>;
  /** A node is gone: its phones are absent. Returns their buzzers, ascending. */
  reap(node: string, now: number): Promise<number[]>;
  /** Put a node's phones back (see PhoneBook.restore); returns the connections that lost their buzzer. */
  restore(node: string, phones: HeldPhone<number>[], now: number): Promise<number[]>;
}

const keyOf = (r: ConnRef) => `${r.conn}@${r.node}`;
const refOf = (k: string): ConnRef => {
  const at = k.indexOf("@");
  return { conn: Number(k.slice(0, at)), node: k.slice(at + 1) };
};

export class MemoryPhoneRegistry implements PhoneRegistry {
  private readonly book: PhoneBook<string>;

  constructor(keepMs: number, newPhoneId: () => string) {
    this.book = new PhoneBook(keepMs, newPhoneId);
  }

  async join(at: ConnRef, name: string, phoneId: string | null, now: number): Promise<JoinResult<ConnRef> | ErrorReply> {
    const r = this.book.join(keyOf(at), name, phoneId, now);
    return "error" in r ? r : { ...r, replaced: r.replaced === null ? null : refOf(r.replaced) };
  }
  async leave(at: ConnRef, now: number): Promise<number | null> {
    return this.book.leave(keyOf(at), now);
  }
  async connected(): Promise<number[]> {
    return this.book.connected();
  }
  async heldBy(node: string): Promise<number[]> {
    return this.book.connectedOf((k) => refOf(k).node === node);
  }
  async reap(node: string, now: number): Promise<number[]> {
    return this.book.leaveAll((k) => refOf(k).node === node, now);
  }
  async restore(node: string, phones: HeldPhone<number>[], now: number): Promise<number[]> {
    const lost = this.book.restore(phones.map((p) => ({ ...p, conn: keyOf({ node, conn: p.conn }) })), (k) => refOf(k).node === node, now);
    return lost.map((k) => refOf(k).conn);
  }
}

/** One hash: field = phone id, value = {b: buzzer, n: name, d: node ("" while absent), c: conn, a: absent since}. */
const PHONES = "sb:buzzer:phones";

// The rules of PhoneBook, step by step (phonebook.ts is the reference; the shared tests hold both to them).
const LOAD = `local function load(h, now, keep)
  local all = redis.call('HGETALL', h)
  local list = {}
  for i = 1, #all, 2 do
    local p = cjson.decode(all[i + 1])
    p.id = all[i]
    if p.d == '' and now - p.a >= keep then redis.call('HDEL', h, p.id) else list[#list + 1] = p end
  end
  return list
end
local function save(h, p) redis.call('HSET', h, p.id, cjson.encode({b = p.b, n = p.n, d = p.d, c = p.c, a = p.a})) end
`;
// ARGV: node, conn, name, phone id ("" for none), a new id for a phone without one, now, keepMs, max.
const JOIN = `${LOAD}
local h, node, conn, name, pid, fresh = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local now, keep, max = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local list = load(h, now, keep)
local phone = nil
if pid ~= '' then for _, p in ipairs(list) do if p.id == pid then phone = p end end end
local isNew = phone == nil
if isNew then
  local id = pid
  if id == '' then
    id = fresh
    for _, p in ipairs(list) do if p.id == id then return {'taken'} end end
  end
  local used = {}
  for _, p in ipairs(list) do used[p.b] = true end
  local b = nil
  for i = 1, max do if not used[i] then b = i break end end
  if not b then
    local oldest = nil
    for _, p in ipairs(list) do if p.d == '' and (oldest == nil or p.a < oldest.a) then oldest = p end end
    if not oldest then return {'full'} end
    redis.call('HDEL', h, oldest.id)
    oldest.gone = true
    b = oldest.b
  end
  phone = {id = id, b = b, n = name, d = '', c = 0, a = now}
end
local left = 0
for _, p in ipairs(list) do
  if not p.gone and p.id ~= phone.id and p.d == node and p.c == conn then p.d = '' p.c = 0 p.a = now save(h, p) left = p.b end
end
local rnode, rconn = '', 0
if phone.d ~= '' and not (phone.d == node and phone.c == conn) then rnode, rconn = phone.d, phone.c end
local connected = phone.d == ''
local renamed = isNew or phone.n ~= name
phone.n = name phone.d = node phone.c = conn phone.a = 0
save(h, phone)
return {'ok', phone.id, phone.b, renamed and 1 or 0, connected and 1 or 0, rnode, rconn, left}`;
// ARGV: node, conn, now.
const LEAVE = `local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local p = cjson.decode(all[i + 1])
  if p.d == ARGV[1] and p.c == tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], all[i], cjson.encode({b = p.b, n = p.n, d = '', c = 0, a = tonumber(ARGV[3])}))
    return p.b
  end
end
return false`;
// ARGV: node, now. Returns the buzzers that left.
const REAP = `local all = redis.call('HGETALL', KEYS[1])
local left = {}
for i = 1, #all, 2 do
  local p = cjson.decode(all[i + 1])
  if p.d == ARGV[1] then
    redis.call('HSET', KEYS[1], all[i], cjson.encode({b = p.b, n = p.n, d = '', c = 0, a = tonumber(ARGV[2])}))
    left[#left + 1] = p.b
  end
end
return left`;
// ARGV: node, now, keepMs, then conn, phone id, buzzer, name for each phone. Returns the conns that lost theirs.
const RESTORE = `${LOAD}
local h, node, now, keep = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local list = load(h, now, keep)
local listed = {}
for i = 4, #ARGV, 4 do listed[tonumber(ARGV[i])] = true end
for _, p in ipairs(list) do
  if p.d == node and not listed[p.c] then p.d = '' p.c = 0 p.a = now save(h, p) end
end
local lost = {}
for i = 4, #ARGV, 4 do
  local conn, pid, b, name = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local known, holder = nil, nil
  for _, p in ipairs(list) do
    if not p.gone and p.id == pid then known = p end
    if not p.gone and p.b == b then holder = p end
  end
  local phone = nil
  if known then
    if (known.d ~= '' and not (known.d == node and known.c == conn)) or known.b ~= b then lost[#lost + 1] = conn else phone = known end
  elseif holder and holder.d ~= '' then lost[#lost + 1] = conn
  else
    if holder then redis.call('HDEL', h, holder.id) holder.gone = true end
    phone = {id = pid, b = b, n = name, d = '', c = 0, a = 0}
    list[#list + 1] = phone
  end
  if phone then
    for _, p in ipairs(list) do
      if not p.gone and p ~= phone and p.d == node and p.c == conn then p.d = '' p.c = 0 p.a = now save(h, p) end
    end
    phone.d = node phone.c = conn phone.a = 0
    save(h, phone)
  end
end
return lost`;

/** How many new ids are tried when one is taken (128 random bits: never in practice). */
const ID_TRIES = 100;

export class RedisPhoneRegistry implements PhoneRegistry {
  constructor(private readonly redis: RedisCommands, private readonly keepMs: number, private readonly newPhoneId: () => string) {}

  async join(at: ConnRef, name: string, phoneId: string | null, now: number): Promise<JoinResult<ConnRef> | ErrorReply> {
    for (let i = 0; i < ID_TRIES; i++) {
      const args = [at.node, String(at.conn), name, phoneId ?? "", this.newPhoneId(), String(Math.round(now)), String(this.keepMs), String(MAX_PHONES)];
      const r = (await this.redis.send("EVAL", [JOIN, "1", PHONES, ...args])) as unknown[];
      if (r[0] === "full") return phonesFull();
      if (r[0] === "taken") continue;
      const [, id, buzzer, renamed, connected, rnode, rconn, left] = r;
      return {
        buzzer: Number(buzzer),
        phoneId: String(id),
        name,
        nameChanged: Number(renamed) === 1,
        connected: Number(connected) === 1,
        replaced: rnode === "" ? null : { node: String(rnode), conn: Number(rconn) },
        left: Number(left) === 0 ? null : Number(left),
      };
    }
    throw new Error("newPhoneId keeps returning ids in use");
  }
  async leave(at: ConnRef, now: number): Promise<number | null> {
    const b = await this.redis.send("EVAL", [LEAVE, "1", PHONES, at.node, String(at.conn), String(Math.round(now))]);
    return b == null || b === false ? null : Number(b);
  }
  async connected(): Promise<number[]> {
    return this.buzzers((d) => d !== "");
  }
  async heldBy(node: string): Promise<number[]> {
    return this.buzzers((d) => d === node);
  }
  private async buzzers(on: (node: string) => boolean): Promise<number[]> {
    const values = ((await this.redis.send("HVALS", [PHONES])) as unknown[] | null) ?? [];
    return values
      .map((v) => JSON.parse(String(v)) as { b: number; d: string })
      .filter((p) => on(p.d))
      .map((p) => p.b)
      .sort((a, b) => a - b);
  }
  async reap(node: string, now: number): Promise<number[]> {
    const left = (await this.redis.send("EVAL", [REAP, "1", PHONES, node, String(Math.round(now))])) as unknown[] | null;
    return (left ?? []).map(Number).sort((a, b) => a - b);
  }
  async restore(node: string, phones: HeldPhone<number>[], now: number): Promise<number[]> {
    const args = phones.flatMap((p) => [String(p.conn), p.phoneId, String(p.buzzer), p.name]);
    const lost = (await this.redis.send("EVAL", [RESTORE, "1", PHONES, node, String(Math.round(now)), String(this.keepMs), ...args])) as unknown[] | null;
    return (lost ?? []).map(Number);
  }
}
