import {
  type AgentContext,
  type AnyTool,
  DeniedError,
  type Mandate,
  MandateError,
  newId,
} from "@mandate/core";
import type { McpServer, RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { denialResult, refusal } from "./denial.js";
import { enter, type ServerExtra } from "./in-flight.js";
import { CALL_ID_META } from "./meta.js";
import { defaultTokenSource, type TokenSource, unverifiedSubject } from "./token-source.js";
import { deriveToolDefinition, type McpToolHints, type ToolResolutionOptions } from "./tool-definitions.js";

/** Options of {@link guardServer}. */
export interface GuardServerOptions extends ToolResolutionOptions {
  /** The server's name in derived actions and resources (`mcp://<name>/<tool>`). */
  readonly name: string;
  /** Where the caller's context token is read from (default {@link defaultTokenSource}). */
  readonly token?: TokenSource;
}

type Handler = (...args: unknown[]) => unknown;
type GuardedServer = McpServer & { [GUARDED]?: true };
const GUARDED = Symbol.for("@mandate/mcp.guarded");

/**
 * Guards every tool of an MCP server with a Mandate: each call must present a context token, which
 * is verified offline (`mandate.verifyContextToken`: signatures, attenuation, revocation — cached,
 * so one signature check per token), and is then checked, run and audited under that context.
 * Refused calls get an MCP tool error (`isError: true`) naming the reason code, with the decision in
 * `_meta["dev.mandate/decision"]`; a missing, unknown or invalid token is refused.
 *
 * Call it before registering tools: it wraps `registerTool` and `tool`, so each handler is guarded
 * as it is registered (tools registered earlier are wrapped too). An `ask` decision goes to the
 * Mandate's approver — {@link elicitationApprover} asks the calling client's user through MCP
 * elicitation.
 */
export function guardServer(server: McpServer, mandate: Mandate, options: GuardServerOptions): McpServer {
  const target = server as GuardedServer;
  if (target[GUARDED]) return server;
  target[GUARDED] = true;
  const guard = new ServerGuard(server, mandate, options);
  const registerTool = server.registerTool.bind(server) as (...a: unknown[]) => RegisteredTool;
  const tool = server.tool.bind(server) as (...a: unknown[]) => RegisteredTool;
  (server as { registerTool: unknown }).registerTool = (...args: unknown[]) =>
    guard.wrap(String(args[0]), registerTool(...args));
  (server as { tool: unknown }).tool = (...args: unknown[]) => guard.wrap(String(args[0]), tool(...args));
  // Tools registered before the guard was put on (the map is internal to the SDK, hence the probe).
  const existing = (server as unknown as { _registeredTools?: Record<string, RegisteredTool> })
    ._registeredTools;
  for (const [name, registered] of Object.entries(existing ?? {})) guard.wrap(name, registered);
  return server;
}

class ServerGuard {
  private readonly source: TokenSource;
  /** Per MCP tool name: the Mandate tool to guard with, or undefined when the Mandate does not know it. */
  private readonly resolved = new Map<string, AnyTool | string | undefined>();

  constructor(
    private readonly server: McpServer,
    private readonly mandate: Mandate,
    private readonly options: GuardServerOptions,
  ) {
    this.source = options.token ?? defaultTokenSource;
  }

  wrap(name: string, registered: RegisteredTool): RegisteredTool {
    const original = registered.handler as unknown as Handler | object;
    if (typeof original !== "function") {
      // Task-based tools (experimental) run through another path: fail closed rather than run unguarded.
      registered.handler = (async () =>
        refusal(name, [
          { code: "tool.unknown", message: "task-based MCP tools are not supported by the Mandate guard" },
        ])) as unknown as RegisteredTool["handler"];
      return registered;
    }
    const wrapped = this.guarded(name, registered, original as Handler);
    registered.handler = wrapped as unknown as RegisteredTool["handler"];
    // A later `update({ callback })` swaps the handler: guard the new one too.
    const update = registered.update.bind(registered);
    registered.update = ((updates: Parameters<RegisteredTool["update"]>[0]) => {
      update(updates);
      const now = registered.handler as unknown as Handler;
      if (updates.callback !== undefined && typeof now === "function" && now !== wrapped) {
        this.resolved.delete(name);
        this.wrap(updates.name ?? name, registered);
      }
    }) as RegisteredTool["update"];
    return registered;
  }

  private guarded(name: string, registered: RegisteredTool, handler: Handler): Handler {
    return async (...params: unknown[]): Promise<CallToolResult> => {
      // With an input schema the SDK calls handler(args, extra); without one, handler(extra).
      const withArgs = params.length >= 2;
      const extra = (withArgs ? params[1] : params[0]) as ServerExtra;
      const args = withArgs ? params[0] : {};
      const metaId = extra._meta?.[CALL_ID_META];
      const callId =
        typeof metaId === "string" && metaId.length > 0 && metaId.length <= 128 ? metaId : newId();

      const token = this.source(extra);
      if (token === undefined) {
        return this.refuse(name, args, callId, "no context token was presented");
      }
      let ctx: AgentContext;
      try {
        ctx = await this.mandate.verifyContextToken(token);
      } catch (err) {
        if (!(err instanceof MandateError)) throw err;
        // A revoked context this server already knows: let the guard refuse it, so the refusal
        // lands in that context's audit trail like any other.
        const known =
          err.code === "ERR_TOKEN_REVOKED" ? this.mandate.context(unverifiedSubject(token) ?? "") : undefined;
        if (known === undefined) return this.refuse(name, args, callId, err.message, err.code);
        ctx = known;
      }

      const tool = this.resolve(name, registered, ctx);
      if (tool === undefined) {
        // Checked all the same, so the refusal is audited in the caller's context (`tool.unknown`).
        return denialResult(ctx.check({ tool: name, args, callId }));
      }
      const leave = enter(ctx.id, callId, { server: this.server, extra, tool: name });
      try {
        const run = ctx.guard(tool, (a: unknown, r) => {
          const scoped = { ...extra, signal: r.signal };
          return (withArgs ? handler(a, scoped) : handler(scoped)) as
            | CallToolResult
            | Promise<CallToolResult>;
        });
        return await run(args, { callId, signal: extra.signal });
      } catch (err) {
        if (err instanceof DeniedError) return denialResult(err.decision);
        throw err;
      } finally {
        leave();
      }
    };
  }

  /** A call with no usable context: refused through `check`, so it raises the usual events. */
  private refuse(
    name: string,
    args: unknown,
    callId: string,
    message: string,
    error?: string,
  ): CallToolResult {
    const decision = this.mandate.check(`mcp-unknown:${callId}`, { tool: name, args, callId });
    const reasons = [{ code: "context.unknown", message }, ...decision.reasons.slice(1)];
    return refusal(name, reasons, callId, error) as CallToolResult;
  }

  private resolve(name: string, registered: RegisteredTool, ctx: AgentContext): AnyTool | string | undefined {
    if (this.resolved.has(name)) return this.resolved.get(name);
    let tool: AnyTool | string | undefined = this.options.tools?.[name];
    if (tool === undefined) {
      try {
        // The Mandate's registry has no lookup: guarding by name throws ERR_UNKNOWN_TOOL when unknown.
        ctx.guard(name, () => undefined);
        tool = name;
      } catch (err) {
        if (!(err instanceof MandateError) || err.code !== "ERR_UNKNOWN_TOOL") throw err;
        if (this.options.derive === true) {
          tool = deriveToolDefinition(this.options.name, name, registered.annotations as McpToolHints);
        }
      }
    }
    this.resolved.set(name, tool);
    return tool;
  }
}
