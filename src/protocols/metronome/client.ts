// One connection's metronome state (docs/metronome.md): its id, the group it joined, its clock
// estimate, what it is hearing, and, for the later dialect, its get_time probe. Pure.
import type { Conn } from "../../transport/types.ts";
import { ClockSync } from "./clock-sync.ts";
import type { Grid } from "./grid.ts";
import type { Group } from "./registry.ts";
import type { TimeProbe } from "./time-probe.ts";

/** A grid a client is hearing, and the clock offset its start_ts were computed with. */
interface Heard {
  readonly group: Group<MetronomeClient>;
  grid: Grid;
  offset: number;
}

export class MetronomeClient {
  clientId: number | null = null;
  /** The one group this client belongs to besides its own (docs/metronome.md#subscribe_to_group). */
  joined: Group<MetronomeClient> | null = null;
  readonly clock = new ClockSync();
  /** Its get_time probe, from its first frame of the later dialect on (docs/metronome.md#get_time). */
  probe: TimeProbe | null = null;
  /**
   * Groups whose play_sound waits for the probe's first burst (at most two, as for `heard`): sent
   * when it settles, for the grid running then.
   */
  waiting: Group<MetronomeClient>[] | null = null;
  /**
   * The grids this client is hearing, at most two (its own group's and the joined one's): the grid
   * it was last sent play_sound for and the clock offset that start_ts used. update_temp reuses that
   * offset, so its start_ts lands exactly on the grid the phone is playing
   * (docs/metronome.md#the-beat-grid: phase continuous), even if the estimate moved meanwhile. Two
   * slots, not a map: this is read for every member on every broadcast.
   */
  private heard: [Heard | null, Heard | null] = [null, null];
  /** Server request ids K are unique per connection (docs/metronome.md#server-requests): a counter per connection. */
  private lastRequestId = 0;
  /** Scratch for one fan-out: this member's value (start_ts) and K, so no arrays are built per broadcast. */
  outValue: number | string = 0;
  outK = 0;
  /**
   * Frames that came while an earlier one waits for shared state (several nodes,
   * docs/cluster.md#metronome), handled in order once it is answered; null when none waits.
   */
  backlog: Array<string | Uint8Array> | null = null;
  /** Its connection closed: a call that waited must not make it a member or an id holder again. */
  closed = false;

  constructor(readonly conn: Conn<MetronomeClient>) {}

  /** The id K of the next server → client request to this connection. */
  nextRequestId(): number {
    return ++this.lastRequestId;
  }

  /** Its clock is being measured for the first time: a play_sound now would use a guess. */
  get measuring(): boolean {
    return this.probe !== null && this.probe.measuring;
  }

  /**
   * This client's start_ts for a server-time beat of `grid`, and remember it as what the phone now
   * plays. `from`: the grid that `grid` continues (update_temp); if this client was playing it, its
   * offset is kept, else (start, join, resync) the current estimate is taken.
   */
  startTs(g: Group<MetronomeClient>, beat: number, grid: Grid, from?: Grid): number {
    const [a, b] = this.heard;
    let h = a?.group === g ? a : b?.group === g ? b : null;
    if (!h) {
      h = { group: g, grid, offset: this.clock.offset };
      this.heard[a ? 1 : 0] = h;
    } else if (!from || h.grid !== from) h.offset = this.clock.offset;
    h.grid = grid;
    return this.clock.toClient(beat, h.offset);
  }

  /** g's play_sound waits until the probe settles. */
  wait(g: Group<MetronomeClient>): void {
    if (!this.waiting) this.waiting = [g];
    else if (!this.waiting.includes(g)) this.waiting.push(g);
  }

  /** No longer hearing g (stopped, or moved away from it), nor waiting for it. */
  leave(g: Group<MetronomeClient>): void {
    const [a, b] = this.heard;
    if (a?.group === g) this.heard = [b, null];
    else if (b?.group === g) this.heard = [a, null];
    if (this.waiting) this.waiting = this.waiting.filter((w) => w !== g);
  }
}
