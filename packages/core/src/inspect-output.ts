import { type Access, uninspectable } from "./access.js";
import type { AgentContext } from "./context.js";
import type { Reason } from "./decision.js";
import { findGrant } from "./grant.js";
import type { AnyTool } from "./tool.js";

/**
 * Takes in a tool's output: notes its values in the context's history (tainting the context if
 * the tool is marked untrusted) and runs the tool's output inspector, returning one
 * `output.undeclared` reason per data class the output carries that neither the intent nor a live
 * grant covers.
 */
export function inspectOutput(
  ctx: AgentContext,
  tool: AnyTool | undefined,
  args: unknown,
  output: unknown,
  now: number,
): Reason[] {
  ctx.history.observe(output, tool?.output?.untrusted === true);
  const inspect = tool?.output?.inspect;
  if (inspect === undefined) return [];
  let accesses: readonly Access[];
  try {
    accesses = inspect(output, args as never);
  } catch (err) {
    accesses = [
      uninspectable(tool?.action ?? "output", "output", err instanceof Error ? err.message : String(err)),
    ];
  }
  const findings: Reason[] = [];
  for (const a of accesses) {
    if (a.uninspectable) {
      findings.push({
        code: "output.undeclared",
        message: `output not understood: ${a.uninspectable.reason}`,
      });
      continue;
    }
    for (const miss of ctx.scope.misses(a, args) ?? []) {
      if (miss.dataClass === undefined || findGrant(ctx.grants, a, now)) continue;
      findings.push({
        code: "output.undeclared",
        message: `the output carries data class "${miss.dataClass}", not in the declared intent ("${ctx.intent.purpose}")`,
        dataClass: miss.dataClass,
      });
    }
  }
  return findings;
}
