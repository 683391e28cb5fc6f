/**
 * The AuditSink conformance suite against a real PostgreSQL, with both write methods. Outages are
 * simulated with a TCP proxy in front of the server, cut and restored by the test: stopping the
 * shared server would disturb every other test running at the same time.
 */
import { describeAuditSink, type TcpProxy, tcpProxy } from "@mandate/testing";
import { afterAll, beforeEach } from "vitest";
import {
  type PostgresAuditSink,
  type PostgresWriteMethod,
  postgresAuditSink,
  readAuditTable,
} from "../src/index.js";
import { adminPool, cleanUp, freshTable, newPool, PG_URL, requirePostgres } from "./helpers.js";

const proxies = new WeakMap<PostgresAuditSink, TcpProxy>();
const opened: TcpProxy[] = [];

beforeEach(requirePostgres);
afterAll(async () => {
  await cleanUp();
  for (const p of opened) await p.close();
});

const variants: [PostgresWriteMethod, number][] = [
  ["copy", 1],
  ["insert", 1],
  ["copy", 2],
];
for (const [method, parallelism] of variants) {
  describeAuditSink(
    `postgres (${method}, ${parallelism} connection${parallelism > 1 ? "s" : ""} a batch)`,
    async () => {
      const table = await freshTable();
      const target = new URL(PG_URL);
      const proxy = await tcpProxy({ target: { host: target.hostname, port: Number(target.port || 5432) } });
      opened.push(proxy);
      const url = new URL(PG_URL);
      url.hostname = proxy.host;
      url.port = String(proxy.port);
      const sink = postgresAuditSink({
        pool: newPool({ connectionString: url.toString() }),
        table,
        method,
        parallelism,
        writeTimeoutMs: 5_000,
      });
      proxies.set(sink, proxy);
      return sink;
    },
    (sink) => readAuditTable(adminPool(), { table: sink.table }),
    {
      outage: {
        start: (sink) => proxies.get(sink)?.cut("reset"),
        end: (sink) => proxies.get(sink)?.restore(),
      },
    },
  );
}
