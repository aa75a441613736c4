// A live link to the server (a WebSocket, a polled URL) and its state, shown by the status
// badge (status.ts) that every page carries (docs/pages.md#connection-state).

/**
 * connecting: first attempt or a retry under way; open: working; waiting: the last attempt
 * failed, the next one is at `retryAt`; offline: the browser has no network, retried as soon as
 * it has; closed: given up for good (`reason` says why).
 */
export type LiveState = "connecting" | "open" | "waiting" | "offline" | "closed";

export interface Live {
  /** What the link is for, in the badge when a page has several ("Buzzers"). */
  readonly name: string;
  readonly state: LiveState;
  /** When the next attempt starts (Date.now() ms), while waiting. */
  readonly retryAt: number | null;
  /** Why the link is closed for good, while closed. */
  readonly reason: string;
  /** Called on every change of state; returns a function that unsubscribes. */
  onChange(fn: () => void): () => void;
}

export interface BackoffOptions {
  /** First retry delay (ms); doubles per failed attempt up to maxDelayMs, ±25% jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Shared machinery: state, listeners, the backoff timer, and retrying at once when the browser
 * comes back online or the tab becomes visible again (a phone that slept).
 */
export abstract class LiveLink implements Live {
  state: LiveState = "connecting";
  retryAt: number | null = null;
  reason = "";
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private stopped = false;

  constructor(readonly name: string, opts: BackoffOptions = {}) {
    this.minDelay = opts.minDelayMs ?? 500;
    this.maxDelay = opts.maxDelayMs ?? 10_000;
    addEventListener("online", this.wake);
    addEventListener("pageshow", this.wake);
    document.addEventListener("visibilitychange", this.wake);
  }

  /** Start one attempt. Subclasses call opened() / failed() when it settles. */
  protected abstract attempt(): void;
  /** Abort whatever attempt or connection is in progress (closing for good). */
  protected abstract abort(): void;

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Try again now (also cancels a pending wait). */
  retry(): void {
    if (this.stopped) return;
    this.clearTimer();
    this.set("connecting");
    this.attempt();
  }

  /** Stop for good: no more attempts, state closed. */
  close(reason = "closed"): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    removeEventListener("online", this.wake);
    removeEventListener("pageshow", this.wake);
    document.removeEventListener("visibilitychange", this.wake);
    this.reason = reason;
    this.abort();
    this.set("closed");
  }

  protected opened(): void {
    this.set("open");
  }

  /** Reset the backoff: call once a connection has proved itself (stayed up, answered). */
  protected healthy(): void {
    this.failures = 0;
  }

  /** The attempt or connection failed: wait (with backoff) and try again. */
  protected failed(): void {
    if (this.stopped) return;
    this.clearTimer();
    if (!navigator.onLine) {
      this.set("offline"); // retried by the "online" event
      return;
    }
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.failures);
    this.failures++;
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.retry(), delay);
    this.set("waiting");
  }

  private wake = () => {
    if (document.visibilityState === "hidden") return;
    if (this.state === "waiting" || this.state === "offline") this.retry();
  };

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
  }

  private set(state: LiveState): void {
    if (state !== "waiting") this.retryAt = null;
    this.state = state;
    for (const fn of this.listeners) fn();
  }
}
