import type { ApprovalRequest, ApprovalVerdict, Approver, Duration } from "@mandate/core";
import { ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { inFlight } from "./in-flight.js";

/** Options of {@link elicitationApprover}. */
export interface ElicitationApproverOptions {
  /** The question put to the user (default: names the agent, its purpose, the tool and the reasons). */
  readonly message?: (request: ApprovalRequest) => string;
  /** Who the audit trail names as approver (default `mcp-client`). */
  readonly by?: string;
  /** How long the grant lasts and how many calls it covers (default: core's, one call for 5 minutes). */
  readonly grant?: { readonly ttl?: Duration; readonly uses?: number };
  /** Asked for approvals that do not come from a guarded MCP call (default: refuse). */
  readonly otherwise?: Approver;
}

/**
 * A Mandate approver that asks the calling MCP client's user through elicitation
 * (`elicitation/create`, a yes/no form) when a guarded server tool call needs approval. Install it on
 * the server's Mandate: `createMandate({ …, approver: elicitationApprover() })`.
 *
 * An approval becomes core's narrow grant (exactly the accesses of the call); a decline, a cancel, a
 * client without the elicitation capability, or a failed request is a refusal, recorded as such.
 */
export function elicitationApprover(options: ElicitationApproverOptions = {}): Approver {
  return async (request) => {
    const call = inFlight(request.context.id, request.decision.callId);
    if (call === undefined) {
      return options.otherwise
        ? options.otherwise(request)
        : { approved: false, reason: "no MCP client to ask: the call was not made through a guarded server" };
    }
    if (call.server.server.getClientCapabilities()?.elicitation === undefined) {
      return { approved: false, reason: "the MCP client cannot be asked (no elicitation capability)" };
    }
    const message = options.message?.(request) ?? defaultMessage(request);
    const result = await call.extra.sendRequest(
      {
        method: "elicitation/create",
        params: {
          mode: "form",
          message,
          requestedSchema: {
            type: "object",
            properties: {
              approve: {
                type: "boolean",
                title: "Approve",
                description: `Let ${request.pending.agent.name} call ${call.tool} this once`,
              },
            },
            required: ["approve"],
          },
        },
      },
      ElicitResultSchema,
    );
    const approved = result.action === "accept" && result.content?.approve === true;
    const verdict: ApprovalVerdict = {
      approved,
      by: options.by ?? "mcp-client",
      ...(approved ? {} : { reason: `the user answered ${result.action}` }),
      ...(options.grant?.ttl === undefined ? {} : { ttl: options.grant.ttl }),
      ...(options.grant?.uses === undefined ? {} : { uses: options.grant.uses }),
    };
    return verdict;
  };
}

function defaultMessage({ pending }: ApprovalRequest): string {
  const why = pending.reasons.map((r) => r.message).join("; ");
  const what = pending.accesses.map((a) => `${a.action} ${a.resource}`).join(", ");
  return `${pending.agent.name} (for ${pending.agent.sponsor}) declared "${pending.purpose}" and now wants ${pending.tool}: ${what}. ${why}. Approve?`;
}
