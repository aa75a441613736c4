// Phones for the later-dialect tests, over real WebSockets with a simulated clock skew and network
// delay. MetronomeWebPhone behaves as MetronomeWeb's own web client at its last commit does (its
// frames byte for byte, written with spaces; its answers to get_time, play_sound and stop_sound);
// SyncTimePhone speaks the original API plus sync_time. Written for these tests from the wire format.

/** One direction of a link: every frame is held base + uniform[0, jitter) ms, in order. */
export interface Link {
  baseMs: number;
  jitterMs: number;
}

/** A WebSocket whose frames are held for the link's delay each way, in order (as a network would). */
class LaggedSocket {
  private upDue = 0;
  private downDue = 0;
  private constructor(private readonly ws: WebSocket, private readonly link: Link) {}

  static open(url: string, link: Link, onFrame: (text: string) => void): Promise<LaggedSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const s = new LaggedSocket(ws, link);
      ws.onmessage = (e) => s.hold("down", () => onFrame(String(e.data)));
      ws.onopen = () => resolve(s);
      ws.onerror = () => reject(new Error(`could not open ${url}`));
    });
  }

  private hold(dir: "up" | "down", fn: () => void): void {
    const now = performance.now();
    const due = Math.max(dir === "up" ? this.upDue : this.downDue, now + this.link.baseMs + Math.random() * this.link.jitterMs);
    if (dir === "up") this.upDue = due;
    else this.downDue = due;
    setTimeout(fn, due - now);
  }

  send(text: string): void {
    this.hold("up", () => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Poll a condition (every 5 ms) until it holds; bounded in time. */
export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

interface Play {
  startTs: number;
  bpm: number;
  /** This phone's clock when the frame was handled. */
  at: number;
}

abstract class Phone {
  readonly plays: Play[] = [];
  stops = 0;
  protected sock!: LaggedSocket;
  constructor(readonly skew: number) {}
  /** This phone's clock: the true (server) clock plus its skew. */
  now(): number {
    return Date.now() + this.skew;
  }
  close(): void {
    this.sock.close();
  }
  /** The latest play_sound's start_ts converted to true time. */
  trueStart(i = this.plays.length - 1): number {
    return this.plays[i]!.startTs - this.skew;
  }
}

/** MetronomeWeb's last-commit web client: one button per method, and the Send button for an edited frame. */
export class MetronomeWebPhone extends Phone {
  private jsonrpcId = 0;
  /** Replies (frames with `result`), in arrival order. */
  readonly results: any[] = [];
  getTimesAnswered = 0;
  /** Frames this phone wrote, exactly. */
  readonly written: string[] = [];
  private audio: ReturnType<typeof setTimeout> | null = null;
  audioPlaying = false;

  static async open(url: string, skew: number, link: Link): Promise<MetronomeWebPhone> {
    const p = new MetronomeWebPhone(skew);
    p.sock = await LaggedSocket.open(url, link, (t) => p.onMessage(t));
    return p;
  }

  private onMessage(text: string): void {
    const onMessageTsMs = this.now(); // the client reads its clock as each frame is handled
    const data = JSON.parse(text);
    if (Object.hasOwn(data, "result")) {
      this.results.push(data);
      return;
    }
    const id = data.id;
    if (data.method === "play_sound") {
      const startTs = data.params.start_ts;
      this.plays.push({ startTs, bpm: data.params.bpm, at: onMessageTsMs });
      // As the original: the audio starts |start_ts − now| ms later.
      if (this.audio) clearTimeout(this.audio);
      this.audio = setTimeout(() => (this.audioPlaying = true), Math.abs(startTs - onMessageTsMs));
      this.sendDataToServer(`{"jsonrpc": "2.0", "result": {"status":"success"}, "id": ${id}}`);
    } else if (data.method === "get_time") {
      this.getTimesAnswered++;
      this.sendDataToServer(`{"jsonrpc": "2.0", "result": {"status":"success","ts_ms":${onMessageTsMs}}, "id": ${id}}`);
    } else if (data.method === "stop_sound") {
      this.stops++;
      if (this.audio) clearTimeout(this.audio);
      this.audioPlaying = false;
      this.sendDataToServer(`{"jsonrpc": "2.0", "result": {"status":"success"}, "id": ${id}}`);
    }
  }

  /** The Send button: whatever text is in the box. */
  sendDataToServer(text: string): void {
    this.written.push(text);
    this.sock.send(text);
  }

  private press(method: string, params: string): number {
    const id = ++this.jsonrpcId;
    this.sendDataToServer(`{"jsonrpc": "2.0", "method": "${method}", "params": ${params}, "id": ${id}}`);
    return id;
  }
  getId = () => this.press("get_id", '{"client_id": null}');
  createGroup = () => this.press("create_group", "null");
  /** The button subscribes to group 1; a user who edits the frame sends another id (`group`). */
  subscribeToGroup = (group = 1) => this.press("subscribe_to_group", `{"group_id": ${group}}`);
  /** The button's frame has group 111222 and a fixed 2022 ts_ms; `group` is the user's edit of it. */
  startMetronome = (group = 111222, bpm = 90) => this.press("start_metronome", `{"group_id": ${group},"ts_ms":1662817489000,"bpm":${bpm}}`);
  /** No button: the api description's frame, typed into the box. */
  updateTemp = (group: number, bpm: number) => this.press("update_temp", `{"group_id": ${group},"ts_ms":${this.now()},"bpm":${bpm}}`);
  stopMetronome = (group = 111222) => this.press("stop_metronome", `{"group_id": ${group},"ts_ms":1662817489000}`);

  /** The reply to the frame with this id. */
  result(id: number): Promise<any> {
    return until(`reply ${id}`, () => this.results.find((r) => r.id === id)?.result);
  }
}

/** The original API plus sync_time, over the same kind of link. */
export class SyncTimePhone extends Phone {
  private nextId = 1;
  private readonly replies = new Map<number, any>();

  static async open(url: string, skew: number, link: Link): Promise<SyncTimePhone> {
    const p = new SyncTimePhone(skew);
    p.sock = await LaggedSocket.open(url, link, (t) => p.onMessage(t));
    return p;
  }

  private onMessage(text: string): void {
    const at = this.now();
    const data = JSON.parse(text);
    if (data.method === "play_sound") this.plays.push({ startTs: data.params.start_ts, bpm: data.params.bpm, at });
    else if (data.method === "stop_sound") this.stops++;
    else if (typeof data.id === "number") this.replies.set(data.id, { ...data, at });
  }

  async call(method: string, params: object): Promise<any> {
    const id = this.nextId++;
    this.sock.send(JSON.stringify({ jsonrpc: "2.0", method, params, id }));
    const r = await until(`${method} reply`, () => this.replies.get(id));
    if (!r.result) throw new Error(`${method}: ${JSON.stringify(r)}`);
    return r;
  }

  /** n sync_time calls, each reporting the previous exchange (docs/metronome.md#sync_time). */
  async sync(n = 5): Promise<void> {
    let previous: object | undefined;
    for (let i = 0; i < n; i++) {
      const t1 = this.now();
      const r = await this.call("sync_time", previous ? { client_ts: t1, previous } : { client_ts: t1 });
      previous = { client_ts: t1, server_recv_ts: r.result.server_recv_ts, server_send_ts: r.result.server_send_ts, client_recv_ts: r.at };
    }
  }
}
