// Waiting for a condition instead of sleeping a fixed time: the condition is checked at once and
// then every few milliseconds until it holds or the deadline passes (which fails the test with
// what was being waited for). For conditions nothing can announce: a gauge in /metrics, a file
// appearing, a pty's other end, a field of a test double.

export interface WaitOptions {
  /** Give up after this long (default 3 s). */
  timeoutMs?: number;
  /** How often to look again (default 10 ms). */
  everyMs?: number;
  /** What is being waited for, for the error message. */
  what?: string;
}

/** Resolves once `cond()` is true (it may be async); throws when the deadline passes first. */
export async function waitFor(cond: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 3000, everyMs = 10, what = "a condition" } = opts;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves with the value `get()` returns once it is not undefined; throws at the deadline. */
export async function waitForValue<T>(get: () => T | undefined | Promise<T | undefined>, opts: WaitOptions = {}): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await get()) !== undefined, opts);
  return value as T;
}

/**
 * Resolves once the wall clock (Date.now()) has reached `epochMs`: for an instant the server named,
 * such as a beat it scheduled, that a test must let pass before it goes on.
 */
export async function untilInstant(epochMs: number): Promise<void> {
  const left = epochMs - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}

/** `promise`'s value, or an error naming `what` if it has not settled within ms. */
export async function within<T>(promise: Promise<T>, ms: number, what = "a promise"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
