import { connect, createServer, type Server, type Socket } from "node:net";

/** Options of {@link tcpProxy}. */
export interface TcpProxyOptions {
  /** Where connections are forwarded. */
  readonly target: { readonly host: string; readonly port: number };
  /** Port to listen on, on 127.0.0.1 (default: any free port). */
  readonly port?: number;
}

/** How an outage looks to the client. */
export type TcpOutage =
  /** Connections are reset and new ones refused at once (a server that went away). */
  | "reset"
  /** Connections stay open but nothing goes through (a network partition: only timeouts tell). */
  | "blackhole";

/** A TCP forwarder between a client and a server that a test can cut and restore. */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Whether traffic currently goes through. */
  readonly up: boolean;
  /** Starts an outage. */
  cut(mode?: TcpOutage): void;
  /** Ends the outage: new connections go through again (the client must reconnect). */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A tiny TCP proxy on loopback for outage tests: point the client under test at it, then cut it
 * to take its backend away without stopping the shared server other tests use.
 */
export async function tcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let mode: TcpOutage | undefined;
  const server: Server = createServer((client) => {
    client.on("error", () => {});
    if (mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(options.target.port, options.target.host);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", drop);
    upstream.on("close", drop);
    if (mode === "blackhole") {
      // Accepted, but nothing forwarded until restore.
      client.pause();
      upstream.pause();
      return;
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    host: "127.0.0.1",
    port,
    get up() {
      return mode === undefined;
    },
    cut(next: TcpOutage = "reset") {
      mode = next;
      for (const pair of [...pairs]) {
        const [client, upstream] = pair;
        if (next === "reset") {
          pairs.delete(pair);
          client.resetAndDestroy();
          upstream.destroy();
        } else {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
      }
    },
    restore() {
      mode = undefined;
      // A healed partition: what was held back flows on, late, as TCP would deliver it.
      for (const [client, upstream] of pairs) {
        if (!client.isPaused()) continue;
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
