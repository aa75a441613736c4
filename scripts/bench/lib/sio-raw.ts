// A minimal Socket.IO v5 client over Engine.IO v4 WebSocket only, for F4's "raw" load generator:
// it sends and receives exactly the frames socket.io-client does (`40` connect, `42[event,data]`
// events, `3` answers to `2` pings) but with none of the library's machinery, so the load
// generator costs less CPU than the servers it measures. Same on/once/emit/disconnect surface.
type Handler = (payload: any) => void;

export class RawSio {
  private handlers = new Map<string, Handler[]>();
  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const t = String(e.data);
      if (t === "2") ws.send("3");
      else if (t.startsWith("0")) ws.send("40");
      else if (t.startsWith("40")) this.fire("connect", undefined);
      else if (t.startsWith("42")) {
        const [event, payload] = JSON.parse(t.slice(2)) as [string, unknown];
        this.fire(event, payload);
      }
    };
  }

  static open(base: string): RawSio {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`);
    return new RawSio(ws);
  }

  private fire(event: string, payload: unknown): void {
    for (const h of this.handlers.get(event) ?? []) h(payload);
  }
  on(event: string, h: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), h]);
    return this;
  }
  once(event: string, h: Handler): this {
    const wrap: Handler = (p) => {
      this.handlers.set(event, (this.handlers.get(event) ?? []).filter((x) => x !== wrap));
      h(p);
    };
    return this.on(event, wrap);
  }
  emit(event: string, payload: unknown): void {
    this.ws.send("42" + JSON.stringify([event, payload]));
  }
  disconnect(): void {
    this.ws.close();
  }
}
