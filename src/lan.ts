// The addresses other devices on the network reach this server at: the console URL the server
// logs, and the URLs pages show as QR codes.
import { networkInterfaces } from "node:os";

/** The host a phone on the LAN would use: --host if it is one address, else the first non-internal IPv4. */
export function lanHost(bindHost: string): string {
  if (bindHost !== "0.0.0.0" && bindHost !== "::" && bindHost !== "") return bindHost.includes(":") ? `[${bindHost}]` : bindHost;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** The base URL (scheme, LAN host, port) of this server. */
export function lanUrl(bindHost: string, port: number, tls: boolean): string {
  return `${tls ? "https" : "http"}://${lanHost(bindHost)}:${port}`;
}
