/**
 * @mandate/mcp against the real MCP TypeScript SDK: a real client and a real server talking
 * streamable HTTP on 127.0.0.1 (ephemeral port). The client's Mandate signs context tokens; the
 * server's Mandate is another instance that only trusts the client's JWKS, so everything the
 * server knows about the caller comes from the token (verified offline) or from a CAEP security
 * event pushed to it. The shared scenarios must give the kit's expected decisions and trails.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createMandate,
  type Decision,
  generateSigningKey,
  type Mandate,
  type MemoryAuditSink,
  memoryAuditSink,
  type Scope,
  type SigningKey,
} from "@mandate/core";
import {
  CONTEXT_TOKEN_META,
  denialOf,
  deriveToolDefinition,
  elicitationApprover,
  guardClient,
  guardServer,
} from "@mandate/mcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  APPROVAL_INTENT,
  CALLS,
  type EmailArgs,
  EXPECTED,
  emailTool,
  flushedTrail,
  lookupTool,
  ROLES,
  runLookup,
  seedContext,
  trailOf,
} from "./scenario-kit.js";

let key: SigningKey;
beforeAll(async () => {
  key = await generateSigningKey();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The agent side: the kit's roles and tools, plus the key its context tokens are signed with. */
function agentSide(options: { approver?: () => Promise<boolean>; roles?: Record<string, Scope> } = {}) {
  const sink = memoryAuditSink();
  const mandate = createMandate({
    roles: options.roles ?? ROLES,
    tools: [lookupTool, emailTool],
    audit: sink,
    tokens: { signing: key, issuer: "https://agents.example.com" },
    ...(options.approver ? { approver: options.approver } : {}),
  });
  cleanups.push(() => mandate.close());
  return { mandate, sink };
}

interface ToolServer {
  readonly url: URL;
  readonly mandate: Mandate;
  readonly sink: MemoryAuditSink;
  /** Tool bodies that actually ran on the server, in order. */
  readonly ran: string[];
  readonly sent: EmailArgs[];
  readonly decisions: Decision[];
}

/**
 * The tool side: an MCP server over streamable HTTP whose tools are guarded by its own Mandate,
 * trusting only the agent side's public keys; CAEP security events are pushed to
 * `POST /security-events` (RFC 8935 style).
 */
async function toolServer(
  options: { derive?: boolean; roles?: Record<string, Scope>; trusted?: boolean } = {},
): Promise<ToolServer> {
  const sink = memoryAuditSink();
  const agentJwks = createMandate({ roles: {}, tokens: { signing: key } }).jwks();
  const mandate = createMandate({
    roles: options.roles ?? ROLES,
    tools: [lookupTool, emailTool],
    audit: sink,
    tokens: {
      trusted: options.trusted === false ? [] : [agentJwks],
      issuers: ["https://agents.example.com"],
    },
    approver: elicitationApprover({ by: "user:alice (via MCP elicitation)" }),
  });
  const ran: string[] = [];
  const sent: EmailArgs[] = [];
  const decisions: Decision[] = [];
  mandate.events.on("decision", (d) => decisions.push(d));

  const build = () => {
    const server = new McpServer({ name: "crm", version: "1.0.0" });
    guardServer(server, mandate, { name: "crm", ...(options.derive ? { derive: true } : {}) });
    server.registerTool(
      "lookup",
      {
        description: "Read columns of a CRM table",
        inputSchema: { table: z.string(), columns: z.array(z.string()) },
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async (args) => {
        ran.push("lookup");
        return { content: [{ type: "text", text: JSON.stringify(runLookup(args)) }] };
      },
    );
    server.registerTool(
      "send_email",
      {
        description: "Send an email",
        inputSchema: { to: z.string(), subject: z.string() },
        annotations: { destructiveHint: false, openWorldHint: true },
      },
      async (args) => {
        ran.push("send_email");
        sent.push(args);
        return { content: [{ type: "text", text: `sent to ${args.to}` }] };
      },
    );
    // Tools the Mandate has no definition for: derived from annotations only when the app opts in.
    server.registerTool(
      "crm_stats",
      { description: "Row counts", annotations: { readOnlyHint: true, openWorldHint: false } },
      async () => {
        ran.push("crm_stats");
        return { content: [{ type: "text", text: '{"customers":1}' }] };
      },
    );
    server.registerTool("purge_table", { description: "Drop every row of a table" }, async () => {
      ran.push("purge_table");
      return { content: [{ type: "text", text: "purged" }] };
    });
    return server;
  };

  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer(async (req, res) => {
    try {
      if (req.url === "/security-events" && req.method === "POST") {
        let body = "";
        for await (const chunk of req) body += chunk;
        try {
          await mandate.acceptSecurityEvent(body);
          res.writeHead(202).end();
        } catch (err) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ err: "invalid_request", description: String(err) }));
        }
        return;
      }
      const sid = req.headers["mcp-session-id"];
      let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
      if (transport === undefined) {
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, created);
          },
        });
        await build().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const { port } = http.address() as AddressInfo;
  cleanups.push(async () => {
    for (const t of sessions.values()) await t.close();
    await new Promise<void>((r) => http.close(() => r()));
    http.closeAllConnections();
    await mandate.close();
  });
  return { url: new URL(`http://127.0.0.1:${port}/mcp`), mandate, sink, ran, sent, decisions };
}

/** A real MCP client; `bearer` puts a context token in the Authorization header instead of `_meta`. */
async function connect(server: ToolServer, options: { bearer?: string; approve?: boolean } = {}) {
  const client = new Client({ name: "support-bot", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return options.approve === false
      ? { action: "decline" }
      : { action: "accept", content: { approve: true } };
  });
  const transport = new StreamableHTTPClientTransport(server.url, {
    ...(options.bearer ? { requestInit: { headers: { authorization: `Bearer ${options.bearer}` } } } : {}),
  });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, asked };
}

const textOf = (result: unknown) =>
  (((result as { content?: unknown }).content as { type: string; text?: string }[] | undefined) ?? [])
    .map((c) => c.text ?? "")
    .join("");

async function postSecurityEvent(server: ToolServer, set: string): Promise<number> {
  const res = await fetch(new URL("/security-events", server.url), {
    method: "POST",
    headers: { "content-type": "application/secevent+jwt" },
    body: set,
  });
  return res.status;
}

describe("@mandate/mcp over streamable HTTP", () => {
  it("seed: the guarded client refuses the salary lookup before it leaves; the server guards too", async () => {
    const agent = agentSide();
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate);
    const { client } = await connect(server);
    guardClient(client, ctx);

    const ok = await client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args });
    expect(ok.isError).toBeFalsy();
    expect(JSON.parse(textOf(ok))).toEqual([{ name: "Ada Lovelace" }]);

    const denied = await client.callTool({ name: CALLS.salary.tool, arguments: CALLS.salary.args });
    expect(denied.isError).toBe(true);
    expect(denialOf(denied)?.reasons.map((r) => r.code)).toEqual(["intent.data_undeclared"]);
    expect(server.ran).toEqual(["lookup"]); // the refused call never reached the server

    expect(await flushedTrail(agent.mandate, agent.sink, ctx)).toEqual(EXPECTED.seed);
    // The server holds the same context (same id, from the token) and audits what reached it.
    expect(await flushedTrail(server.mandate, server.sink, ctx)).toEqual(EXPECTED.seed.slice(1, 3));

    // An unguarded client presenting the same token (as a bearer header) is held to the same intent
    // by the server alone: the server's trail is then the seed scenario's.
    const raw = await connect(server, { bearer: await ctx.token() });
    const rawDenied = await raw.client.callTool({ name: CALLS.salary.tool, arguments: CALLS.salary.args });
    expect(rawDenied.isError).toBe(true);
    expect(denialOf(rawDenied)?.reasons.map((r) => r.code)).toEqual(["intent.data_undeclared"]);
    expect(textOf(rawDenied)).toMatch(/^lookup denied: intent\.data_undeclared: /);
    expect(server.ran).toEqual(["lookup"]);
    expect(await flushedTrail(server.mandate, server.sink, ctx)).toEqual(EXPECTED.seed.slice(1));
  });

  it("denies calls with a missing, malformed, untrusted or tampered token; the tool never runs", async () => {
    const agent = agentSide();
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate);
    const token = await ctx.token();
    const call = { name: CALLS.allowed.tool, arguments: CALLS.allowed.args };

    const none = await (await connect(server)).client.callTool(call);
    expect(denialOf(none)?.reasons[0]?.code).toBe("context.unknown");

    const garbage = await (await connect(server)).client.callTool({
      ...call,
      _meta: { [CONTEXT_TOKEN_META]: "not-a-jwt" },
    });
    expect(denialOf(garbage)).toMatchObject({
      reasons: [{ code: "context.unknown" }],
      error: "ERR_TOKEN_MALFORMED",
    });

    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}`;
    const tampered = await (await connect(server, { bearer: flipped })).client.callTool(call);
    expect(denialOf(tampered)?.error).toBe("ERR_TOKEN_SIGNATURE");

    const stranger = await toolServer({ trusted: false });
    const untrusted = await (await connect(stranger, { bearer: token })).client.callTool(call);
    expect(denialOf(untrusted)?.error).toBe("ERR_TOKEN_KID");

    expect(server.ran).toEqual([]);
    expect(stranger.ran).toEqual([]);
    // Nothing reached a context, so nothing is in the server's per-context trail; the refusals were
    // still decisions (events for dashboards), all `context.unknown`.
    expect(trailOf(server.sink.events, ctx.id)).toEqual([]);
    expect(server.decisions.map((d) => d.reasons[0]?.code)).toEqual([
      "context.unknown",
      "context.unknown",
      "context.unknown",
    ]);
  });

  it("approval: the client's approver grants locally, the server asks the user by elicitation", async () => {
    const agent = agentSide({ approver: async () => true });
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate, APPROVAL_INTENT);
    const { client, asked } = await connect(server);
    guardClient(client, ctx);

    const result = await client.callTool({
      name: CALLS.externalEmail.tool,
      arguments: CALLS.externalEmail.args,
    });
    expect(result.isError).toBeFalsy();
    expect(server.sent).toEqual([CALLS.externalEmail.args]);
    // A grant is local to the Mandate that approved it: the server asked again, through MCP.
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("partner@elsewhere.example");

    expect(await flushedTrail(agent.mandate, agent.sink, ctx)).toEqual(EXPECTED.approval);
    expect(await flushedTrail(server.mandate, server.sink, ctx)).toEqual(EXPECTED.approval.slice(1));
  });

  it("approval declined through elicitation: the server refuses and the email is not sent", async () => {
    const agent = agentSide();
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate, APPROVAL_INTENT);
    const raw = await connect(server, { bearer: await ctx.token(), approve: false });

    const result = await raw.client.callTool({
      name: CALLS.externalEmail.tool,
      arguments: CALLS.externalEmail.args,
    });
    expect(result.isError).toBe(true);
    expect(denialOf(result)?.reasons[0]?.code).toBe("approval.denied");
    expect(server.sent).toEqual([]);
    expect(await flushedTrail(server.mandate, server.sink, ctx)).toEqual([
      { type: "tool.decision", tool: "send_email", decision: "ask", codes: ["intent.resource_undeclared"] },
      { type: "approval.asked" },
      { type: "approval.denied" },
    ]);
  });

  it("revocation mid-run reaches the server as a CAEP security event; both sides then refuse", async () => {
    const agent = agentSide();
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate);
    const { client } = await connect(server);
    guardClient(client, ctx);
    const raw = await connect(server, { bearer: await ctx.token() });

    expect(
      (await client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args })).isError,
    ).toBeFalsy();

    await agent.mandate.revoke(ctx.id, "operator stopped the run");
    expect(await postSecurityEvent(server, await agent.mandate.issueSessionRevoked(ctx.id))).toBe(202);
    expect(await postSecurityEvent(server, "not-a-set")).toBe(400);

    const local = await client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args });
    expect(denialOf(local)?.reasons[0]?.code).toBe("context.revoked");
    // The same token, cached as verified on the server, is refused there now too.
    const remote = await raw.client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args });
    expect(denialOf(remote)?.reasons[0]?.code).toBe("context.revoked");
    expect(server.ran).toEqual(["lookup"]);

    const agentTrail = await flushedTrail(agent.mandate, agent.sink, ctx);
    expect(agentTrail.slice(0, 3)).toEqual(EXPECTED.seed.slice(0, 3));
    expect(agentTrail.filter((l) => l.type === "tool.decision").at(-1)).toEqual(EXPECTED.revokedCall);
    const serverTrail = await flushedTrail(server.mandate, server.sink, ctx);
    expect(serverTrail.at(-1)).toEqual(EXPECTED.revokedCall);
    expect(serverTrail.map((l) => l.type)).toEqual([
      "tool.decision",
      "tool.outcome",
      "context.revoked",
      "tool.decision",
    ]);
  });

  it("revocation aborts a call in flight on the server through the handler's signal", async () => {
    const agent = agentSide();
    const sink = memoryAuditSink();
    const mandate = createMandate({
      roles: ROLES,
      tools: [lookupTool],
      audit: sink,
      tokens: { trusted: [agent.mandate.jwks()] },
    });
    cleanups.push(() => mandate.close());
    const server = new McpServer({ name: "crm", version: "1.0.0" });
    guardServer(server, mandate, { name: "crm" });
    let started: () => void = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    server.registerTool(
      "lookup",
      { inputSchema: { table: z.string(), columns: z.array(z.string()) } },
      (_a, extra) => {
        started();
        return new Promise((_, reject) =>
          extra.signal.addEventListener("abort", () => reject(extra.signal.reason)),
        );
      },
    );
    const { InMemoryTransport } = await import("@modelcontextprotocol/sdk/inMemory.js");
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: "support-bot", version: "1.0.0" });
    await client.connect(b);
    cleanups.push(() => client.close());
    const ctx = await seedContext(agent.mandate);
    const pending = client.callTool({
      name: "lookup",
      arguments: CALLS.allowed.args,
      _meta: { [CONTEXT_TOKEN_META]: await ctx.token() },
    });
    await running;
    await mandate.acceptSecurityEvent(await agent.mandate.issueSessionRevoked(ctx.id, { reason: "stop" }));
    const result = await pending;
    expect(denialOf(result)?.reasons[0]?.code).toBe("context.revoked");
    const trail = await flushedTrail(mandate, sink, ctx);
    // The abort and the revocation event are recorded by two paths: their order is not fixed.
    expect(trail[0]).toEqual({ type: "tool.decision", tool: "lookup", decision: "allow" });
    expect(trail.slice(1)).toHaveLength(2);
    expect(trail.slice(1)).toEqual(
      expect.arrayContaining([
        { type: "context.revoked" },
        { type: "tool.outcome", tool: "lookup", outcome: "aborted" },
      ]),
    );
  });

  it("delegation crosses processes: the child's token carries its chain; revoking the parent stops it", async () => {
    const agent = agentSide();
    const server = await toolServer();
    const ctx = await seedContext(agent.mandate);
    const child = await ctx.delegate(
      { name: "lookup-helper", sponsor: "user:alice", roles: ["analyst"] },
      { purpose: "read customer names for the parent", allow: [...ctx.intent.scope] },
    );
    const { client } = await connect(server);
    guardClient(client, child);
    expect(
      (await client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args })).isError,
    ).toBeFalsy();
    expect(server.mandate.context(child.id)?.parent?.id).toBe(ctx.id);

    const raw = await connect(server, { bearer: await child.token() });
    await agent.mandate.revoke(ctx.id);
    expect(await postSecurityEvent(server, await agent.mandate.issueSessionRevoked(ctx.id))).toBe(202);
    const after = await raw.client.callTool({ name: CALLS.allowed.tool, arguments: CALLS.allowed.args });
    expect(denialOf(after)?.reasons[0]).toMatchObject({ code: "context.revoked" });
    expect((await flushedTrail(server.mandate, server.sink, child)).at(-1)).toEqual(EXPECTED.revokedCall);
  });

  it("tools the Mandate does not know are refused unless derivation is on, then held to their annotations", async () => {
    const roles: Record<string, Scope> = {
      analyst: [...(ROLES.analyst ?? []), { action: "mcp.*", resource: "mcp://crm/**", data: ["**"] }],
    };
    const intent = {
      purpose: "count customers",
      allow: [{ action: "mcp.read", resource: "mcp://crm/**" }],
    };
    const agent = agentSide({ roles });
    const ctx = await agent.mandate.declare(
      { name: "stats-bot", sponsor: "user:alice", roles: ["analyst"] },
      intent,
    );

    const strict = await toolServer({ roles });
    const s = await connect(strict, { bearer: await ctx.token() });
    expect(denialOf(await s.client.callTool({ name: "crm_stats" }))?.reasons[0]?.code).toBe("tool.unknown");

    const deriving = await toolServer({ roles, derive: true });
    const d = await connect(deriving, { bearer: await ctx.token() });
    const stats = await d.client.callTool({ name: "crm_stats" });
    expect(stats.isError).toBeFalsy();
    const purge = await d.client.callTool({ name: "purge_table" });
    expect(denialOf(purge)?.reasons[0]?.code).toBe("intent.action_undeclared");
    expect(deriving.ran).toEqual(["crm_stats"]);

    // The client side derives from the server's listing the same way.
    const { client } = await connect(deriving);
    guardClient(client, ctx, { derive: true });
    expect((await client.callTool({ name: "crm_stats" })).isError).toBeFalsy();
    const refused = await client.callTool({ name: "purge_table" });
    expect(denialOf(refused)?.reasons[0]?.code).toBe("intent.action_undeclared");
    expect(deriving.ran).toEqual(["crm_stats", "crm_stats"]);
  });

  it("derives conservatively: a tool that says nothing is destructive and open-world", () => {
    expect(deriveToolDefinition("crm", "purge_table")).toMatchObject({
      action: "mcp.destructive",
      resource: "mcp://crm/purge_table",
      data: ["mcp.open_world"],
    });
    expect(deriveToolDefinition("crm", "stats", { readOnlyHint: true, openWorldHint: false })).toMatchObject({
      action: "mcp.read",
      data: [],
    });
    expect(deriveToolDefinition("crm", "notify", { destructiveHint: false })).toMatchObject({
      action: "mcp.write",
      data: ["mcp.open_world"],
    });
  });
});
