// The scoreboard's tiles (docs/pages.md#scoreboard-scores): one per clicker id, `[data-id]`, with
// its latest score in large type and its state word; a grid in the order the ids were given, or
// a ranking (highest score first, top N).
import { h } from "../lib/dom.ts";

/** waiting: no answer yet since (re)connecting; live: the clicker is connected; offline: it is not. */
export type TileState = "waiting" | "live" | "offline";
export type View = "grid" | "ranked";

const WORDS: Record<TileState, string> = { waiting: "…", live: "live", offline: "offline" };

interface Tile {
  id: string;
  el: HTMLElement;
  rank: HTMLElement;
  state: HTMLElement;
  score: HTMLElement;
  missing: HTMLElement;
  when: HTMLElement;
  value: bigint | null;
  /** Position in the chosen ids: the grid's order and the ranking's tie-break. */
  order: number;
}

const clock = (d: Date) => d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export class Board {
  private readonly tiles = new Map<string, Tile>();
  private view: View = "grid";
  /** Tiles shown in the ranking (0: all). */
  private top = 0;

  constructor(private readonly root: HTMLElement) {}

  /** Follow these ids: tiles of ids kept keep their scores, new ids get a tile, others go. */
  setIds(ids: readonly string[]): void {
    const keep = new Set(ids);
    for (const [id, t] of this.tiles) {
      if (keep.has(id)) continue;
      t.el.remove();
      this.tiles.delete(id);
    }
    ids.forEach((id, order) => {
      const t = this.tiles.get(id) ?? this.make(id);
      t.order = order;
    });
    this.arrange();
  }

  ids(): string[] {
    return [...this.tiles.values()].sort((a, b) => a.order - b.order).map((t) => t.id);
  }

  setView(view: View, top: number): void {
    this.view = view;
    this.top = top;
    this.root.dataset.view = view;
    this.arrange();
  }

  /** The scoreboard's own link: while it is down the tiles show what was last known, dimmed. */
  setLinkUp(up: boolean): void {
    this.root.dataset.link = up ? "up" : "down";
    if (!up) for (const t of this.tiles.values()) if (t.el.dataset.state === "waiting") this.setState(t, "offline");
  }

  /** LISTEN was sent: every tile waits for the reply. */
  listening(): void {
    for (const t of this.tiles.values()) this.setState(t, "waiting");
  }

  /** The reply to LISTEN: these ids are connected, every other one is not. */
  online(ids: readonly string[]): void {
    const on = new Set(ids);
    for (const t of this.tiles.values()) this.setState(t, on.has(t.id) ? "live" : "offline");
  }

  /** A clicker registered (CONNECT) or went away (DISCONNECT). */
  presence(id: string, live: boolean): void {
    const t = this.tiles.get(id);
    if (t) this.setState(t, live ? "live" : "offline");
  }

  /** A score stored for this id (the catch-up after LISTEN, or a new one). */
  score(id: string, score: string): void {
    const t = this.tiles.get(id);
    if (!t) return;
    t.value = BigInt(score);
    t.score.textContent = score;
    delete t.score.dataset.empty;
    // Long numbers get smaller type so they stay inside the tile (style.css reads --len).
    t.score.style.setProperty("--len", String(Math.max(2, score.length)));
    t.when.textContent = `at ${clock(new Date())}`;
    this.setState(t, "live");
    t.el.classList.remove("bump");
    void t.el.offsetWidth; // restart the animation
    t.el.classList.add("bump");
    if (this.view === "ranked") this.arrange();
  }

  /**
   * How many of this id's scores the server knows are missing (clicker draft-2 records gaps in a
   * sender's message numbers; the page polls /api/clicker/gaps). 0 hides the marker.
   */
  setMissing(id: string, missing: number): void {
    const t = this.tiles.get(id);
    if (!t) return;
    t.missing.hidden = missing <= 0;
    t.missing.textContent = missing === 1 ? "1 score missing" : `${missing} scores missing`;
    t.el.dataset.missing = String(Math.max(0, missing));
  }

  private make(id: string): Tile {
    const t: Tile = {
      id,
      rank: h("span", { class: "tile-rank", "aria-label": "rank" }),
      state: h("span", { class: "tile-state" }, WORDS.waiting),
      score: h("div", { class: "tile-score", "aria-label": `score of ${id}`, "data-empty": "" }, "–"),
      missing: h("span", { class: "tile-missing", hidden: true }),
      when: h("span", { class: "tile-when" }),
      el: h("article", { class: "tile", "data-id": id, "data-state": "waiting" }),
      value: null,
      order: 0,
    };
    t.el.append(
      t.rank,
      h("header", { class: "tile-head" }, h("span", { class: "tile-id" }, id), t.state),
      t.score,
      h("footer", { class: "tile-foot" }, t.missing, t.when),
    );
    this.tiles.set(id, t);
    return t;
  }

  private setState(t: Tile, s: TileState): void {
    t.el.dataset.state = s;
    t.state.textContent = WORDS[s];
  }

  /** Puts the tiles in the view's order; in the ranking, numbers them and hides those past the top N. */
  private arrange(): void {
    const all = [...this.tiles.values()].sort((a, b) => a.order - b.order);
    if (this.view === "ranked") {
      all.sort((a, b) => {
        if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? a.order - b.order : 1) : -1;
        return a.value === b.value ? a.order - b.order : a.value > b.value ? -1 : 1;
      });
    }
    // Ranks as in sport: equal scores share a rank, the next rank skips (1, 2, 2, 4).
    let rank = 0;
    all.forEach((t, i) => {
      if (i === 0 || t.value !== all[i - 1]!.value) rank = i + 1;
      const ranked = this.view === "ranked";
      t.rank.textContent = ranked && t.value !== null ? String(rank) : "";
      t.el.dataset.rank = ranked && t.value !== null ? String(rank) : "";
      t.el.hidden = ranked && this.top > 0 && i >= this.top;
    });
    // Only move what is out of place: a tile that moves restarts its animation.
    all.forEach((t, i) => {
      if (this.root.children[i] !== t.el) this.root.insertBefore(t.el, this.root.children[i] ?? null);
    });
  }
}
