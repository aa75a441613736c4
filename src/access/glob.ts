// Device allow-list patterns (--pool-allow, docs/buzzer.md#which-devices-a-client-may-connect):
// shell-style globs over absolute paths. `*` and `?` never match '/', `[…]` is a character class.
// Pure, except expand(), which lists the folders a pattern names.
import { readdirSync } from "node:fs";
import { posix } from "node:path";

const special = /[.+^${}()|\\]/g;

/** A pattern as an anchored regular expression. */
export function globRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (body.startsWith("!")) body = "^" + body.slice(1);
        out += `(?!/)[${body}]`;
        i = end;
      }
    } else out += c.replace(special, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

const hasMagic = (segment: string) => /[*?[]/.test(segment);

/**
 * A path that can be matched at all: absolute and already normal, so `/dev/serial/by-id/../../pts/3`
 * never passes as a child of by-id.
 */
export const isPlainPath = (path: string) => path.startsWith("/") && posix.normalize(path) === path && !path.includes("\0");

export class Globs {
  private readonly res: RegExp[];
  constructor(readonly patterns: readonly string[]) {
    this.res = patterns.map(globRegExp);
  }

  matches(path: string): boolean {
    return isPlainPath(path) && this.res.some((re) => re.test(path));
  }

  /** Every existing path that a pattern names, sorted, without duplicates (for `list pools`). */
  expand(list: (dir: string) => string[] = safeReaddir): string[] {
    const found = new Set<string>();
    for (const p of this.patterns) {
      if (!p.startsWith("/")) continue;
      let paths = ["/"];
      for (const seg of p.split("/").filter(Boolean)) {
        const next: string[] = [];
        for (const base of paths) {
          if (!hasMagic(seg)) next.push(posix.join(base, seg));
          else {
            const re = globRegExp(seg);
            for (const name of list(base)) if (re.test(name)) next.push(posix.join(base, name));
          }
        }
        paths = next;
      }
      for (const path of paths) if (list(posix.dirname(path)).includes(posix.basename(path))) found.add(path);
    }
    return [...found].sort();
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // the folder does not exist on this host
  }
}
