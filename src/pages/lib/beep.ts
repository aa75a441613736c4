// Short tones through WebAudio (docs/pages.md#dom-sound-qr-codes): buzzer feedback, metronome
// clicks, a quiz's time-up. Browsers start audio suspended until the user touches the page,
// so call unlockAudio() from a click/tap handler (or armAudio() once at start-up).

let ctx: AudioContext | null = null;

/** The page's one AudioContext, created on first use. */
export function audio(): AudioContext {
  ctx ??= new AudioContext({ latencyHint: "interactive" });
  return ctx;
}

/** Resume audio; must run inside a user gesture the first time. */
export function unlockAudio(): Promise<void> {
  const a = audio();
  return a.state === "suspended" ? a.resume() : Promise.resolve();
}

/** Unlock audio on the first pointer or key press anywhere on the page. */
export function armAudio(): void {
  const once = () => {
    void unlockAudio();
    removeEventListener("pointerdown", once, true);
    removeEventListener("keydown", once, true);
  };
  addEventListener("pointerdown", once, true);
  addEventListener("keydown", once, true);
}

export interface BeepOptions {
  /** Hz (default 880). */
  freq?: number;
  /** Length in ms (default 90). */
  ms?: number;
  /** Peak gain 0..1 (default 0.3). */
  gain?: number;
  /** When, in AudioContext seconds (audio().currentTime based; default now). */
  at?: number;
  type?: OscillatorType;
}

/**
 * Play one tone. A 5 ms attack and an exponential release avoid clicks. Scheduling with `at`
 * is sample-accurate, which is what a metronome needs (setTimeout is not).
 */
export function beep(opts: BeepOptions = {}): void {
  const a = audio();
  const t = Math.max(a.currentTime, opts.at ?? a.currentTime);
  const dur = (opts.ms ?? 90) / 1000;
  const osc = a.createOscillator();
  const env = a.createGain();
  osc.type = opts.type ?? "sine";
  osc.frequency.value = opts.freq ?? 880;
  env.gain.setValueAtTime(0, t);
  env.gain.linearRampToValueAtTime(opts.gain ?? 0.3, t + 0.005);
  env.gain.exponentialRampToValueAtTime(0.0001, t + dur);
  osc.connect(env).connect(a.destination);
  osc.start(t);
  osc.stop(t + dur + 0.02);
}
