/**
 * What guarding costs an MCP tool call: the same tool, the same MCP SDK client and server, the same
 * in-memory transport (the SDK's `InMemoryTransport`), in the same run — once plain, once with
 * `guardClient` (check, context token in `_meta`, outcome audit) and `guardServer` (token verified
 * from the cache, check, outcome audit). Calls alternate in blocks so drift hits both alike.
 * `mcpBench()` returns the figures for the root bench runner; run this file directly to print them:
 *
 *   npx tsx --conditions=@mandate/source packages/mcp/bench/mcp.bench.ts
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { createMandate, defineTool, generateSigningKey, memoryAuditSink } from "@mandate/core";
import { guardClient, guardServer } from "@mandate/mcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

const SAMPLES = 10_000; // per variant
const WARMUP = 2_000;
const BLOCK = 500;

const lookup = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    { action: "db.read", resource: `crm/${table}`, data: columns.map((c) => `customer.${c}`) },
  ],
});
const roles = { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**"] }] };

async function pair(guarded: { server?: (s: McpServer) => void; client?: (c: Client) => void }) {
  const server = new McpServer({ name: "crm", version: "1.0.0" });
  guarded.server?.(server);
  server.registerTool(
    "lookup",
    { inputSchema: { table: z.string(), columns: z.array(z.string()) }, annotations: { readOnlyHint: true } },
    async () => ({ content: [{ type: "text", text: '[{"name":"Ada Lovelace"}]' }] }),
  );
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(b);
  guarded.client?.(client);
  return { client, close: () => client.close() };
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

function p50(samples: number[]): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `mcp.guarded_call.overhead_us` (p50 guarded − p50 plain) and the two p50s, in microseconds. */
export async function mcpBench(): Promise<Record<string, number>> {
  const key = await generateSigningKey();
  const agentSide = createMandate({
    roles,
    tools: [lookup],
    audit: memoryAuditSink(),
    tokens: { signing: key },
  });
  const toolSide = createMandate({
    roles,
    tools: [lookup],
    audit: memoryAuditSink(),
    tokens: { trusted: [agentSide.jwks()] },
  });
  const ctx = await agentSide.declare(
    { name: "bench-bot", sponsor: "user:bench", roles: ["analyst"] },
    {
      purpose: "read customer names",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    },
  );
  const plain = await pair({});
  const guarded = await pair({
    server: (s) => guardServer(s, toolSide, { name: "crm" }),
    client: (c) => guardClient(c, ctx),
  });
  const params = { name: "lookup", arguments: { table: "customers", columns: ["name"] } };

  // Both must really run the tool (a refusal would be cheaper and prove nothing).
  for (const { client } of [plain, guarded]) {
    const r = await client.callTool(params);
    assert.notEqual(r.isError, true, JSON.stringify(r));
  }
  const denied = await guarded.client.callTool({
    ...params,
    arguments: { table: "employees", columns: ["salary"] },
  });
  assert.equal(denied.isError, true, "the guarded pair must refuse out-of-intent calls");

  const times = { plain: [] as number[], guarded: [] as number[] };
  const runBlock = async (variant: "plain" | "guarded", n: number, record: boolean) => {
    const client = variant === "plain" ? plain.client : guarded.client;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await client.callTool(params);
      if (record) times[variant].push((performance.now() - t0) * 1000);
    }
    await yieldToLoop(); // let the audit drains run, as they would in an application
  };
  for (let i = 0; i < WARMUP; i += BLOCK) {
    await runBlock("plain", BLOCK, false);
    await runBlock("guarded", BLOCK, false);
  }
  for (let i = 0; i < SAMPLES; i += BLOCK) {
    await runBlock("plain", BLOCK, true);
    await runBlock("guarded", BLOCK, true);
  }
  await plain.close();
  await guarded.close();
  await agentSide.close();
  await toolSide.close();

  const plainP50 = p50(times.plain);
  const guardedP50 = p50(times.guarded);
  return {
    "mcp.guarded_call.overhead_us": guardedP50 - plainP50,
    "mcp.guarded_call.p50_us": guardedP50,
    "mcp.plain_call.p50_us": plainP50,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await mcpBench();
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(32)} ${v.toFixed(3)}`);
}
