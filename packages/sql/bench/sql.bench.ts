/**
 * SQL inspector latency: a three-table join with a CTE, parsed and analysed (cache miss) and
 * served from the statement cache (hit). `sqlBench()` returns the figures for the root bench runner;
 * run this file directly to print them:
 *
 *   npx tsx --conditions=@mandate/source packages/sql/bench/sql.bench.ts
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { createCatalog, createSqlInspector } from "@mandate/sql";

const CATALOG = createCatalog({
  tables: {
    "public.customers": { columns: { id: null, name: "customer.name", email: "customer.email" } },
    "public.orders": { columns: { id: null, customer_id: null, total: "order.amount", created_at: null } },
    "public.products": { columns: { id: null, title: null, price: "product.price" } },
  },
});

/** The benchmark statement; `n` varies a literal so that every text is new to the cache. */
function statement(n: number): string {
  return `WITH recent AS (SELECT o.customer_id, o.total FROM orders o WHERE o.created_at > now() - interval '7 days')
SELECT c.name, r.total, p.title FROM customers c JOIN recent r ON r.customer_id = c.id
JOIN products p ON p.price = r.total WHERE c.id > ${n} ORDER BY r.total DESC LIMIT 10`;
}

function p50(samplesUs: Float64Array): number {
  const sorted = Float64Array.from(samplesUs).sort();
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Times `fn(i)` once per sample, after `warmup` untimed calls; microseconds. */
function time(fn: (i: number) => unknown, samples: number, warmup: number): Float64Array {
  for (let i = 0; i < warmup; i++) fn(i);
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn(warmup + i);
    out[i] = (performance.now() - t0) * 1000;
  }
  return out;
}

/** `sql.inspect.uncached.p50_us` and `sql.inspect.cached.p50_us` (PostgreSQL parser). */
export async function sqlBench(): Promise<Record<string, number>> {
  const inspect = await createSqlInspector({ catalog: CATALOG });
  const first = inspect({ sql: statement(0) });
  assert.deepEqual(
    first.map((a) => `${a.action} ${a.resource} ${a.data.join(",")}`),
    [
      "db.read pg/public/orders order.amount,unclassified",
      "db.read pg/public/customers customer.name,unclassified",
      "db.read pg/public/products product.price,unclassified",
    ],
    "the benchmark must inspect the statement for real",
  );

  const samples = 20_000;
  const warmup = 5_000;
  // Every text distinct: each call parses, analyses and maps (and inserts into the LRU cache).
  const texts = Array.from({ length: samples + warmup }, (_, i) => ({ sql: statement(i + 1) }));
  const uncached = time((i) => inspect(texts[i]), samples, warmup);
  const same = { sql: statement(0) };
  const cached = time(() => inspect(same), 100_000, 20_000);
  return {
    "sql.inspect.uncached.p50_us": p50(uncached),
    "sql.inspect.cached.p50_us": p50(cached),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await sqlBench();
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(30)} ${v.toFixed(3)}`);
}
