// What the buzzer mediator (state.ts) is given, and how it shows a pool (docs/buzzer.md#pools).
import type { Clock, Topics } from "../../transport/types.ts";
import type { NameStore } from "./game.ts";
import type { OpenPool, PoolSpec } from "./pool.ts";
import type { QuizDeps, QuizPort } from "./quiz.ts";

export interface MediatorDeps {
  clock: Clock;
  /** Called for each error reply (the protocol's error counter). */
  onError?(): void;
  topics: Topics;
  openPool: OpenPool;
  /** Devices present now that a client may connect (the allow-list, expanded). */
  discover(): string[];
  /**
   * Why a client may not open this pool (a connect error message), or null when it may: only
   * --pool entries and devices the allow-list names (docs/buzzer.md#which-devices-a-client-may-connect).
   */
  vet(spec: PoolSpec): string | null;
  /** How long a connect command waits for the handshake before answering with a connect error. */
  connectTimeoutMs: number;
  /** The game (docs/buzzer.md#the-game): names by pool and buzzer (default: in memory), --buzz-settle-ms, --false-start-ms. */
  names?: NameStore;
  settleMs?: number;
  falseStartMs?: number;
  /** New phone ids (tests inject a sequence). */
  newPhoneId?: () => string;
  /** Several nodes (docs/cluster.md#buzzer): the game across nodes instead of this node's own. */
  quiz?: (deps: QuizDeps) => QuizPort;
  /** Several nodes: a pool was opened, changed or removed; called before its event is published. */
  changed?(pool: string): void;
}

/** A pool as the status feed shows it (docs/pages.md#the-status-feed). */
export interface PoolView {
  id: string;
  kind: PoolSpec["kind"];
  up: boolean;
  kept: boolean;
  configured: boolean;
  colors: boolean | null;
  buzzers: number[];
}
