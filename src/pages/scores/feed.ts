// What the scoreboard reads on /ws (docs/clicker.md#commands): the receiving half of the clicker
// protocol, draft-1. A scoreboard sends `LISTEN <ids>` and then only reads: `CONNECT <ids>` (the
// reply, then one per clicker that registers), `DISCONNECT <id>` and `SCORE <timestamp> <id> <score>`.

export type FeedLine =
  | { kind: "connect"; ids: string[] }
  | { kind: "disconnect"; id: string }
  | { kind: "score"; id: string; ts: string; score: string }
  | { kind: "error"; text: string };

/** Clicker ids are 6 digits (docs/clicker.md#register). */
export const ID = /^[0-9]{6}$/;
const INT = /^-?[0-9]+$/;
/** Ids one scoreboard follows at most: the export's cap too (docs/clicker.md#csv-export). */
export const MAX_IDS = 1000;

/** A server line as the scoreboard needs it; null for anything it does not use. */
export function parseLine(line: string): FeedLine | null {
  const t = line.replace(/\r?\n$/, "").split(" ");
  switch (t[0]) {
    case "CONNECT":
      return { kind: "connect", ids: t.slice(1).filter((id) => ID.test(id)) };
    case "DISCONNECT":
      return t.length === 2 && ID.test(t[1]!) ? { kind: "disconnect", id: t[1]! } : null;
    case "SCORE":
      // Draft-1 order after LISTEN: timestamp, id, score.
      return t.length === 4 && INT.test(t[1]!) && ID.test(t[2]!) && INT.test(t[3]!) ? { kind: "score", ts: t[1]!, id: t[2]!, score: t[3]! } : null;
    case "ERROR":
      return { kind: "error", text: t.slice(1).join(" ") };
    default:
      return null;
  }
}

/** The LISTEN line for these ids (at least one). */
export const listenLine = (ids: readonly string[]) => `LISTEN ${ids.join(",")}`;

/**
 * Ids typed by a person or given as ?ids=: split by commas and/or spaces (as LISTEN splits them),
 * repeats dropped. Returns the bad token instead when one is not 6 digits.
 */
export function parseIds(text: string): { ids: string[] } | { bad: string } | { tooMany: number } {
  const tokens = text.split(/[\s,;]+/).filter((s) => s !== "");
  const bad = tokens.find((s) => !ID.test(s));
  if (bad !== undefined) return { bad };
  const ids = [...new Set(tokens)];
  return ids.length > MAX_IDS ? { tooMany: ids.length } : { ids };
}
