// A socket.io-client 4.x wrapper for tests: every event is queued, and next(event) waits for it.
import { io, type Socket } from "socket.io-client";

export type Mode = "default" | "websocket" | "polling";
export const modes: Mode[] = ["default", "websocket", "polling"];

const transportsFor = (mode: Mode) => (mode === "websocket" ? ["websocket"] : mode === "polling" ? ["polling"] : ["polling", "websocket"]);

export class SioTestClient {
  private readonly queue: Array<{ event: string; args: any[] }> = [];
  private wake: (() => void) | null = null;
  disconnected: string | null = null;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, ...args: any[]) => this.push(event, args));
    socket.on("disconnect", (reason) => {
      this.disconnected = reason;
      this.push("disconnect", [reason]);
    });
  }

  private push(event: string, args: any[]): void {
    this.queue.push({ event, args });
    this.wake?.();
  }

  /** Connects (no reconnection); rejects with the CONNECT_ERROR message when refused. */
  static connect(base: string, mode: Mode, auth?: Record<string, unknown>): Promise<SioTestClient> {
    const socket = io(base, { transports: transportsFor(mode) as any, forceNew: true, reconnection: false, auth, timeout: 5000 });
    const client = new SioTestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(client));
      socket.once("connect_error", (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  emitWithAck(event: string, ...args: unknown[]): Promise<any> {
    return this.socket.timeout(5000).emitWithAck(event, ...args);
  }

  /** The first argument of the next `event` (earlier other events stay queued). */
  async next(event: string, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((e) => e.event === event);
      if (i >= 0) return this.queue.splice(i, 1)[0]!.args[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for "${event}"; queued: ${JSON.stringify(this.queue.map((e) => e.event))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Events of this name received so far (removed from the queue). */
  take(event: string): any[] {
    const out: any[] = [];
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.event === event) out.unshift(this.queue.splice(i, 1)[0]!.args[0]);
    return out;
  }

  get transport(): string {
    return this.socket.io.engine?.transport?.name ?? "";
  }

  close(): void {
    this.socket.close();
  }
}
