import { type AgentContext, type AnyTool, DeniedError, MandateError, newId } from "@mandate/core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { type DenialResult, denialResult } from "./denial.js";
import { CALL_ID_META, CONTEXT_TOKEN_META } from "./meta.js";
import { deriveToolDefinition, type ToolResolutionOptions } from "./tool-definitions.js";

/** Options of {@link guardClient}. */
export interface GuardClientOptions extends ToolResolutionOptions {
  /** The server's name in derived actions and resources (default: the name the server reported). */
  readonly server?: string;
  /**
   * What a refused call gives the caller: an MCP tool error result, as a server refusal would
   * (`result`, the default), or a thrown `DeniedError` (`throw`).
   */
  readonly onDeny?: "result" | "throw";
}

type CallTool = Client["callTool"];
type CallResult = Awaited<ReturnType<CallTool>>;

/** Carries a server-side tool error out of the guarded function, so its outcome is audited as an error. */
class RemoteToolError extends Error {
  constructor(readonly result: CallResult) {
    const first = (result.content as { type: string; text?: string }[] | undefined)?.find(
      (c) => c.type === "text",
    );
    super(first?.text ?? "the server returned a tool error");
  }
}

/**
 * Guards an MCP client's `callTool` with an agent's context: each call is checked before the
 * request leaves (a refused call never reaches the server), runs with the context's signal (a
 * revocation cancels the request), carries the context token and the call id in `_meta` for the
 * server to verify, and its outcome is audited — a server-side tool error as an `error` outcome.
 *
 * The tool's Mandate definition is the registered tool of the same name, an entry of `tools`, or,
 * with `derive: true`, one derived from the server's annotations (listed once, then cached). Any other
 * tool is refused with `tool.unknown`.
 */
export function guardClient<C extends Client>(
  client: C,
  ctx: AgentContext,
  options: GuardClientOptions = {},
): C {
  const callTool: CallTool = client.callTool.bind(client);
  const resolved = new Map<string, AnyTool | string | undefined>();
  let listed: Promise<Map<string, Tool>> | undefined;

  const listing = async (): Promise<Map<string, Tool>> => {
    const tools = new Map<string, Tool>();
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      for (const t of page.tools) tools.set(t.name, t);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  };

  const resolve = async (name: string): Promise<AnyTool | string | undefined> => {
    if (resolved.has(name)) return resolved.get(name);
    let tool: AnyTool | string | undefined = options.tools?.[name];
    if (tool === undefined) {
      try {
        // The Mandate's registry has no lookup: guarding by name throws ERR_UNKNOWN_TOOL when unknown.
        ctx.guard(name, () => undefined);
        tool = name;
      } catch (err) {
        if (!(err instanceof MandateError) || err.code !== "ERR_UNKNOWN_TOOL") throw err;
        if (options.derive === true) {
          listed ??= listing();
          const described = (await listed).get(name);
          const server = options.server ?? client.getServerVersion()?.name ?? "server";
          if (described !== undefined) tool = deriveToolDefinition(server, name, described.annotations);
        }
      }
    }
    resolved.set(name, tool);
    return tool;
  };

  const refuse = (err: DeniedError): DenialResult => {
    if (options.onDeny === "throw") throw err;
    return denialResult(err.decision);
  };

  const guarded = async (
    params: Parameters<CallTool>[0],
    resultSchema?: Parameters<CallTool>[1],
    requestOptions?: Parameters<CallTool>[2],
  ): Promise<CallResult> => {
    const args = params.arguments ?? {};
    const callId = newId();
    const tool = await resolve(params.name);
    if (tool === undefined) {
      const decision = ctx.check({ tool: params.name, args, callId });
      return refuse(new DeniedError(decision)) as CallResult;
    }
    const run = ctx.guard(tool, async (_args: unknown, r) => {
      const token = await ctx.token();
      // The SDK keeps a listener on the signal it is given: give it one of this call's own, not
      // the context's (shared by every call of the context, it would collect one per call).
      const controller = new AbortController();
      const abort = () => controller.abort(r.signal.reason);
      if (r.signal.aborted) abort();
      else r.signal.addEventListener("abort", abort, { once: true });
      try {
        const result = await callTool(
          { ...params, _meta: { ...params._meta, [CONTEXT_TOKEN_META]: token, [CALL_ID_META]: callId } },
          resultSchema,
          { ...requestOptions, signal: controller.signal },
        );
        if (result.isError === true) throw new RemoteToolError(result);
        return result;
      } finally {
        r.signal.removeEventListener("abort", abort);
      }
    });
    try {
      return await run(args, {
        callId,
        ...(requestOptions?.signal ? { signal: requestOptions.signal } : {}),
      });
    } catch (err) {
      if (err instanceof RemoteToolError) return err.result;
      if (err instanceof DeniedError) return refuse(err) as CallResult;
      throw err;
    }
  };
  (client as { callTool: CallTool }).callTool = guarded as CallTool;
  return client;
}
