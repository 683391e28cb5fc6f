/**
 * The tool side, in its own process: an MCP server over streamable HTTP on 127.0.0.1 whose every
 * tool is guarded by its own Mandate. It trusts only the agent platform's public keys (given in the
 * environment), verifies each caller's context token offline, asks the calling user through MCP
 * elicitation when a call needs approval, and takes revocations as CAEP security events pushed to
 * `POST /security-events`. It prints `ready <port> <jwks>` once listening, and on SIGTERM flushes
 * and seals its audit trail (a JSONL file, checkpoints signed with its own key) and exits.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMandate, generateSigningKey } from "@mandate/core";
import { jsonlAuditSink } from "@mandate/core/node";
import { elicitationApprover, guardServer } from "@mandate/mcp";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { emailTool, ISSUER, lookupTool, ROLES } from "./tools.js";

const trusted = JSON.parse(process.env.MANDATE_TRUSTED_JWKS ?? '{"keys":[]}');
const auditPath = process.env.MANDATE_AUDIT_PATH ?? ".mandate/mcp-server-audit.jsonl";

const rows: Record<string, Record<string, string>[]> = {
  customers: [{ name: "Ada Lovelace", email: "ada@example.com" }],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};

const mandate = createMandate({
  roles: ROLES,
  tools: [lookupTool, emailTool],
  audit: jsonlAuditSink({ path: auditPath }),
  tokens: { signing: await generateSigningKey(), trusted: [trusted], issuers: [ISSUER] },
  approver: elicitationApprover({ by: "user (via MCP elicitation)" }),
});

function mcpServer(): McpServer {
  const server = new McpServer({ name: "crm", version: "1.0.0" });
  // Every tool registered below is guarded: no token, no call.
  guardServer(server, mandate, { name: "crm" });
  server.registerTool(
    "lookup",
    {
      description: "Read columns of a CRM table",
      inputSchema: { table: z.string(), columns: z.array(z.string()) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ table, columns }) => ({
      content: [
        {
          type: "text",
          text: JSON.stringify(
            (rows[table] ?? []).map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))),
          ),
        },
      ],
    }),
  );
  server.registerTool(
    "send_email",
    {
      description: "Send an email",
      inputSchema: { to: z.string(), subject: z.string() },
      annotations: { destructiveHint: false },
    },
    async ({ to }) => ({ content: [{ type: "text", text: `sent to ${to}` }] }),
  );
  return server;
}

const sessions = new Map<string, StreamableHTTPServerTransport>();
const http = createServer(async (req, res) => {
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
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
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
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await mcpServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500).end(String(err));
  }
});

http.listen(0, "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`ready ${port} ${JSON.stringify(mandate.jwks())}\n`);
});

process.on("SIGTERM", async () => {
  for (const t of sessions.values()) await t.close();
  http.closeAllConnections();
  http.close();
  await mandate.close(); // flushes the trail and writes the signed final checkpoint
  process.exit(0);
});
