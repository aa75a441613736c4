// Counters per protocol, rendered as Prometheus text (exposition format 0.0.4) and as /healthz JSON.

export interface ProtocolCounters {
  connections: number;
  framesIn: number;
  framesOut: number;
  errors: number;
}

type Gauge = { name: string; help: string; read: () => number | Record<string, number> };

/** One sample of a counter family; protocols that share a family add their own labels. */
export interface Counter {
  value: number;
}
type CounterFamily = { help: string; samples: Map<string, Counter> };

export class Metrics {
  readonly protocols = new Map<string, ProtocolCounters>();
  private readonly gauges: Gauge[] = [];
  private readonly counters = new Map<string, CounterFamily>();

  protocol(name: string): ProtocolCounters {
    let c = this.protocols.get(name);
    if (!c) this.protocols.set(name, (c = { connections: 0, framesIn: 0, framesOut: 0, errors: 0 }));
    return c;
  }

  /** A value read at scrape time (rooms, groups, pools…); a record renders one sample per label. */
  gauge(name: string, help: string, read: Gauge["read"]): void {
    this.gauges.push({ name, help, read });
  }

  /**
   * A counter sample, e.g. counter("switchboard_auth_failures_total", "…", 'protocol="socketio"').
   * The same name and labels give the same sample; families render once, with every sample.
   */
  counter(name: string, help: string, labels = ""): Counter {
    let f = this.counters.get(name);
    if (!f) this.counters.set(name, (f = { help, samples: new Map() }));
    let c = f.samples.get(labels);
    if (!c) f.samples.set(labels, (c = { value: 0 }));
    return c;
  }

  connections(): Record<string, number> {
    return Object.fromEntries([...this.protocols].map(([k, v]) => [k, v.connections]));
  }

  prometheus(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string, field: keyof ProtocolCounters) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [p, c] of this.protocols) out.push(`${name}{protocol="${p}"} ${c[field]}`);
    };
    family("switchboard_connections", "gauge", "Live client connections.", "connections");
    family("switchboard_messages_in_total", "counter", "Messages received from clients.", "framesIn");
    family("switchboard_messages_out_total", "counter", "Messages delivered to clients (fan-out counts each recipient).", "framesOut");
    family("switchboard_errors_total", "counter", "Error replies sent and connections closed for misbehaviour.", "errors");
    for (const [name, f] of this.counters) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} counter`);
      for (const [labels, c] of f.samples) out.push(`${name}${labels ? `{${labels}}` : ""} ${c.value}`);
    }
    for (const g of this.gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      const v = g.read();
      if (typeof v === "number") out.push(`${g.name} ${v}`);
      else for (const [label, n] of Object.entries(v)) out.push(`${g.name}{${label}} ${n}`);
    }
    const mem = process.memoryUsage();
    out.push("# HELP process_resident_memory_bytes Resident set size.", "# TYPE process_resident_memory_bytes gauge", `process_resident_memory_bytes ${mem.rss}`);
    out.push("# HELP process_heap_bytes JavaScript heap in use.", "# TYPE process_heap_bytes gauge", `process_heap_bytes ${mem.heapUsed}`);
    const cpu = process.cpuUsage();
    out.push("# HELP process_cpu_seconds_total User and system CPU time.", "# TYPE process_cpu_seconds_total counter", `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    return out.join("\n") + "\n";
  }
}
