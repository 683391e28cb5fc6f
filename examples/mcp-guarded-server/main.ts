/**
 * A guarded MCP server and an agent that calls it, in two processes over streamable HTTP on
 * 127.0.0.1. The agent's Mandate signs context tokens; the server (server.ts, started here as a
 * child process) trusts only the agent platform's public keys and checks every call against the
 * token's intent on its own. The script checks its own outcome and exits non-zero if Mandate did
 * not behave as described.
 *
 *   1. The agent declares "find all customer names"; its guarded client looks names up (allowed on
 *      both sides) and reaches for salaries (refused before the request leaves).
 *   2. An unguarded client replaying the agent's token is held to the same intent by the server.
 *   3. A second intent may email outside the company only with approval: the agent's approver says
 *      yes, and the server asks the user again through MCP elicitation.
 *   4. An operator revokes the first agent: a CAEP security event tells the server, which then
 *      refuses the token it had accepted a moment ago.
 *   5. The server's audit trail, written in its own process, verifies.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createMandate, generateSigningKey, type JsonWebKeySet } from "@mandate/core";
import { readAuditLines, verifyAuditFile } from "@mandate/core/node";
import { denialOf, guardClient } from "@mandate/mcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { emailTool, ISSUER, lookupTool, ROLES } from "./tools.js";

const auditPath = resolve(".mandate/mcp-server-audit.jsonl");
await rm(auditPath, { force: true });
await rm(`${auditPath}.checkpoint`, { force: true });

// ---- the agent platform: signs context tokens --------------------------------------------------
const agents = createMandate({
  roles: ROLES,
  tools: [lookupTool, emailTool],
  tokens: { signing: await generateSigningKey(), issuer: ISSUER },
  // The agent side's own approver (a person would be asked here).
  approver: async ({ pending }) => {
    console.log(`  agent-side approver: "${pending.tool}" ${pending.accesses[0]?.resource} → approved`);
    return { approved: true, by: "user:alice" };
  },
});

// ---- the tool side, in its own process ----------------------------------------------------------
const child = spawn(
  process.execPath,
  [...process.execArgv, fileURLToPath(new URL("./server.ts", import.meta.url))],
  {
    env: {
      ...process.env,
      MANDATE_TRUSTED_JWKS: JSON.stringify(agents.jwks()),
      MANDATE_AUDIT_PATH: auditPath,
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
const ready = await new Promise<{ port: number; jwks: JsonWebKeySet }>((res, rej) => {
  const lines = createInterface({ input: child.stdout });
  lines.once("line", (line) => {
    const m = /^ready (\d+) (.*)$/.exec(line);
    if (m) res({ port: Number(m[1]), jwks: JSON.parse(m[2] as string) });
    else rej(new Error(`unexpected server output: ${line}`));
  });
  child.once("exit", (code) => rej(new Error(`server exited (${code})`)));
});
const base = `http://127.0.0.1:${ready.port}`;
console.log(`MCP server "crm" in process ${child.pid}, listening on ${base}/mcp\n`);

const asked: string[] = [];
async function connect(bearer?: string): Promise<Client> {
  const client = new Client({ name: "support-bot", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  // The user's side of elicitation: the server's approval questions land here.
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    console.log(`  server asks the user: ${request.params.message}\n  user → approve`);
    return { action: "accept", content: { approve: true } };
  });
  const headers = bearer ? { authorization: `Bearer ${bearer}` } : undefined;
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), headers ? { requestInit: { headers } } : {}),
  );
  return client;
}
/** The text of a tool result (the SDK types `callTool`'s result as a union with a legacy shape). */
const text = (r: unknown) =>
  (((r as { content?: { text?: string }[] }).content ?? []) as { text?: string }[])
    .map((c) => c.text ?? "")
    .join("");
const codeOf = (r: unknown) => denialOf(r)?.reasons[0]?.code;
const show = (label: string, r: unknown) =>
  console.log(`  ${(r as { isError?: boolean }).isError ? "DENY " : "ALLOW"} ${label}\n        → ${text(r)}`);

// ---- 1. the seed scenario through a guarded client ------------------------------------------
const bot = agents.identity({
  name: "support-bot",
  version: "1.0.0",
  sponsor: "user:alice",
  roles: ["analyst"],
});
const ctx = await agents.declare(bot, {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
});
console.log(`1. "${ctx.intent.purpose}" (context ${ctx.id})`);
const client = guardClient(await connect(), ctx);
const names = await client.callTool({ name: "lookup", arguments: { table: "customers", columns: ["name"] } });
show("lookup customers.name", names);
const salary = await client.callTool({
  name: "lookup",
  arguments: { table: "employees", columns: ["salary"] },
});
show("lookup employees.salary (refused by the agent's own guard: never sent)", salary);

// ---- 2. the server holds a replayed token to the same intent ---------------------------------
console.log("\n2. an unguarded client replays the agent's token (Authorization: Bearer)");
const raw = await connect(await ctx.token());
const replay = await raw.callTool({ name: "lookup", arguments: { table: "employees", columns: ["salary"] } });
show("lookup employees.salary (refused by the server)", replay);
const anonymous = await connect();
const noToken = await anonymous.callTool({
  name: "lookup",
  arguments: { table: "customers", columns: ["name"] },
});
show("lookup without any token", noToken);

// ---- 3. approval on both sides ----------------------------------------------------------------
const mailer = await agents.declare(bot, {
  purpose: "email the customer list to the sales team",
  allow: [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "email.send", resource: "mailto:*@example.com" },
  ],
  outOfScope: "ask",
});
console.log(`\n3. "${mailer.intent.purpose}" — outside the company needs approval`);
const mailClient = guardClient(await connect(), mailer);
const sent = await mailClient.callTool({
  name: "send_email",
  arguments: { to: "partner@elsewhere.example", subject: "customers" },
});
show("send_email partner@elsewhere.example", sent);

// ---- 4. revocation crosses the process boundary as a CAEP security event ------------------------
console.log("\n4. the operator revokes the first agent");
await agents.revoke(ctx.id, "operator stopped the run");
const set = await agents.issueSessionRevoked(ctx.id, { audience: base });
const pushed = await fetch(`${base}/security-events`, {
  method: "POST",
  headers: { "content-type": "application/secevent+jwt" },
  body: set,
});
console.log(`  CAEP session-revoked event pushed → HTTP ${pushed.status}`);
const afterLocal = await client.callTool({
  name: "lookup",
  arguments: { table: "customers", columns: ["name"] },
});
show("lookup customers.name (guarded client)", afterLocal);
const afterRemote = await raw.callTool({
  name: "lookup",
  arguments: { table: "customers", columns: ["name"] },
});
show("lookup customers.name (replayed token, refused by the server)", afterRemote);

// ---- 5. shut the server down; its trail verifies -----------------------------------------------
for (const c of [client, raw, anonymous, mailClient]) await c.close();
child.kill("SIGTERM");
assert.equal(await exited, 0, "the server exits cleanly");
await agents.close();
const trail = await verifyAuditFile(auditPath, { keys: [ready.jwks] });
const serverEvents: { type: string; tool?: string; decision?: string; codes?: string }[] = [];
for await (const line of readAuditLines(auditPath)) {
  if (line.trim() === "") continue;
  const e = JSON.parse(line);
  if (e.type === "audit.checkpoint") continue;
  serverEvents.push({
    type: e.type,
    tool: e["gen_ai.tool.name"],
    decision: e["mandate.decision"],
    codes: (e["mandate.reasons"] ?? []).map((r: { code: string }) => r.code).join(","),
  });
}
console.log(`\n5. the server's audit trail (${auditPath})`);
for (const e of serverEvents) {
  console.log(`  ${e.type.padEnd(16)} ${e.tool ?? ""} ${e.decision ?? ""} ${e.codes ?? ""}`.trimEnd());
}
console.log(`  ${trail.ok ? "verified" : "BROKEN"}: ${trail.events} hash-chained events`);

// ---- the script proves its own outcome -------------------------------------------------------
assert.equal(names.isError, undefined);
assert.deepEqual(JSON.parse(text(names)), [{ name: "Ada Lovelace" }]);
assert.equal(codeOf(salary), "intent.data_undeclared");
assert.equal(codeOf(replay), "intent.data_undeclared");
assert.equal(codeOf(noToken), "context.unknown");
assert.equal(sent.isError, undefined);
assert.equal(text(sent), "sent to partner@elsewhere.example");
assert.equal(asked.length, 1, "the server asked the user once");
assert.equal(pushed.status, 202);
assert.equal(codeOf(afterLocal), "context.revoked");
assert.equal(codeOf(afterRemote), "context.revoked");
assert.ok(trail.ok, JSON.stringify(trail.problems));
const decisions = serverEvents
  .filter((e) => e.type === "tool.decision")
  .map((e) => `${e.decision}:${e.codes}`);
assert.deepEqual(decisions, [
  "allow:", // 1. names (the salary lookup never reached the server)
  "deny:intent.data_undeclared", // 2. the replayed token
  "ask:intent.resource_undeclared", // 3. the external email asks…
  "allow:", // …and runs under the grant
  "deny:context.revoked", // 4. the replayed token after the security event
]);
assert.ok(serverEvents.some((e) => e.type === "approval.granted"));
assert.ok(serverEvents.some((e) => e.type === "context.revoked"));
console.log(
  "\nok: the server enforced every intent on its own; refusals never ran; revocation crossed processes; the trail verifies",
);
