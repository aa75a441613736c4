import type { AnyElysia } from "elysia";
import type { Cluster } from "../cluster/cluster.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Pages } from "../pages/serve.ts";
import type { Store } from "../store/store.ts";
import type { Metrics } from "../transport/metrics.ts";
import type { Clock } from "../transport/types.ts";
import type { Transport } from "../transport/transport.ts";

/** What every protocol plugin is given. */
export interface PluginContext {
  config: Config;
  log: Logger;
  store: Store;
  clock: Clock;
  metrics: Metrics;
  transport: Transport;
  /** The built-in pages: a protocol sharing its path with a page answers plain GETs with pages.serve. */
  pages: Pages;
  /** Several nodes over Redis (docs/cluster.md); null when this node runs on its own. */
  cluster: Cluster | null;
}

/** A protocol's wiring: its routes on the one Elysia app, and how to stop its background work. */
export interface ProtocolPlugin {
  name: string;
  routes(app: AnyElysia): AnyElysia;
  /** Release timers, devices, pending work. Sockets are closed by the transport. */
  stop?(): void | Promise<void>;
}

export type ProtocolFactory = (ctx: PluginContext) => ProtocolPlugin;
