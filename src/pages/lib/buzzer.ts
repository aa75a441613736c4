// What the quiz pages share about /mediator (docs/buzzer.md#the-game): the message shapes they
// read, each buzzer's colour (the board, the receivers' lights and a phone's button agree on it),
// labels, and places ("first!", "2nd +34 ms").

export const PHONES = "phones";

export interface OrderEntry {
  pool: string;
  buzzer: number;
  name: string | null;
  ts: number;
  gap_ms: number;
}
export interface Winner {
  pool: string;
  buzzer: number;
  name: string | null;
  ts: number;
}

/** Every frame the quiz pages read from /mediator (the fields they use). */
export type MediatorFrame =
  | { event: "buzz" | "connected" | "disconnected"; pool: string; buzzer: number | null; ts: number }
  | { event: "armed" | "reset"; round: number; ts: number }
  | { event: "order"; round: number; order: OrderEntry[] }
  | ({ event: "first"; round: number } & Winner)
  | { event: "named"; pool: string; buzzer: number; name: string | null }
  | { response: "buzzers"; pools: { pool: string; buzzers: number[] }[] }
  | { response: "names"; names: { pool: string; buzzer: number; name: string | null }[] }
  | { response: "round"; round: number; armed: boolean; order: OrderEntry[]; first: Winner | null }
  | {
      result: string;
      round?: number;
      buzzer?: number;
      phone_id?: string;
      name?: string | null;
      outcome?: "joined" | "repeat" | "locked_out" | "false_start" | "round_over";
      client_ts?: number;
      server_recv_ts?: number;
      server_send_ts?: number;
    }
  | { error: string; message: string | null; cause: string | null };

export function parseFrame(data: string | ArrayBuffer): MediatorFrame | null {
  try {
    const f = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data)) as unknown;
    return typeof f === "object" && f !== null ? (f as MediatorFrame) : null;
  } catch {
    return null;
  }
}

export const key = (pool: string, buzzer: number) => `${buzzer}:${pool}`;

/**
 * Twelve colours that stay apart on a projector and on a receiver's RGB light, in an order where
 * neighbours differ most (buzzers 1, 2, 3 of one receiver get clearly different lights).
 */
const PALETTE: [number, number, number][] = [
  [255, 82, 82], // red
  [64, 196, 255], // sky
  [255, 214, 0], // yellow
  [178, 102, 255], // violet
  [0, 230, 118], // green
  [255, 145, 0], // orange
  [255, 64, 200], // pink
  [29, 233, 182], // teal
  [140, 158, 255], // periwinkle
  [198, 255, 0], // lime
  [255, 171, 145], // peach
  [0, 176, 255], // blue
];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

/** The buzzer's colour: the same on every board and phone, consecutive buzzers of a pool different. */
export function colorOf(pool: string, buzzer: number): [number, number, number] {
  return PALETTE[(hash(pool) + buzzer) % PALETTE.length]!;
}
export const cssColor = ([r, g, b]: [number, number, number]) => `rgb(${r} ${g} ${b})`;

/** A buzzer's label: its name, else "pool buzzer" (a phone always has a name). */
export const label = (pool: string, buzzer: number, name: string | null) => name ?? `${pool} ${buzzer}`;

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st … */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/** "+34 ms", "+1.25 s" (a gap behind the first). */
export function gapText(ms: number): string {
  if (ms < 9_999.5) return `+${Math.round(ms)} ms`;
  return `+${(ms / 1000).toFixed(2)} s`;
}

/**
 * Places as a person reads them: the winner (once `first` made it final) is 1st; everyone else
 * follows in press-time order, with the gap behind the winner. Until the winner is final the
 * order itself decides.
 */
export function places(order: OrderEntry[], first: Winner | null): { entry: OrderEntry; place: number; gap: number; winner: boolean }[] {
  if (!first) return order.map((entry, i) => ({ entry, place: i + 1, gap: entry.gap_ms, winner: false }));
  const isWinner = (e: OrderEntry) => e.pool === first.pool && e.buzzer === first.buzzer;
  const win = order.find(isWinner);
  const rest = order.filter((e) => !isWinner(e));
  const out = rest.map((entry, i) => ({ entry, place: i + 2, gap: Math.max(0, entry.ts - first.ts), winner: false }));
  return win ? [{ entry: win, place: 1, gap: 0, winner: true }, ...out] : out;
}
