// Every built-in page: one entry each (docs/pages.md#adding-a-page). The folder holds the page's
// index.html, TypeScript and CSS; the build bundles every folder named here, the server routes
// every path, and the start page links every listed entry.

/** Where every bundled file is served: /assets/<name>-<content hash>.<ext>. */
export const ASSET_PREFIX = "/assets/";

export interface PageEntry {
  /** URL path the page is served at ("/quiz"). */
  path: string;
  /** Its folder: a name under src/pages/ ("quiz"), or an absolute path (test pages). */
  dir: string;
  /** Name on the start page and in /api/info. */
  title: string;
  /** One line on the start page: what it is for. */
  summary: string;
  /** Listed on the start page and in /api/info (default true; the start page itself is not). */
  listed?: boolean;
  /**
   * A folder served at this path instead of `dir` to a request with operator rights (the
   * server's isOperator decision). Both variants are then sent with `Vary: Cookie, Authorization`.
   * This is how the operator console takes over "/" for operators.
   */
  operatorDir?: string;
}

export const pages: PageEntry[] = [
  {
    path: "/",
    dir: "start",
    title: "Start",
    summary: "What this server is, its pages and their phone links, and its endpoints.",
    listed: false,
  },
  { path: "/scores", dir: "scores", title: "Scoreboard", summary: "Clicker judging: live scores per clicker, ranking, event timer and CSV export." },
  { path: "/relay", dir: "relay", title: "Relay console", summary: "Send a command to a Socket.IO monitor and follow it to its end." },
  {
    path: "/metronome",
    dir: "metronome",
    title: "Metronome",
    summary: "A band's phones click on the same beat: one leads, the others join.",
  },
  {
    path: "/watch",
    dir: "watch",
    title: "Watch together",
    summary: "Screens that play the same film at the same moment: one hosts, the others follow.",
  },
];
