import type { AgentContext } from "./context.js";
import type { FieldIssue } from "./errors.js";
import type { IntentDeclaration } from "./schema/intent.js";

/**
 * What a delegated intent asks for beyond what its parent has left: calls and budget still
 * unspent, its rate, its remaining lifetime, and enforcement (a child of an enforced intent cannot
 * run in monitor mode). One issue per limit, naming the field.
 */
export function limitExcess(child: IntentDeclaration, parent: AgentContext, now: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const p = parent.limits;
  const c = child.limits;
  const over = (field: string, asked: number | undefined, left: number | undefined, what: string) => {
    if (left === undefined) return;
    if (asked === undefined) {
      issues.push({
        field,
        rule: "attenuation",
        message: `the parent limits ${what} (${left} left): the child must set a limit`,
      });
    } else if (asked > left) {
      issues.push({
        field,
        rule: "attenuation",
        message: `${what} ${asked} exceeds the ${left} the parent has left`,
      });
    }
  };
  over("limits.calls", c.calls, p.calls === undefined ? undefined : p.calls - parent.usage.calls, "calls");
  over(
    "limits.budget",
    c.budget,
    p.budget === undefined ? undefined : p.budget - parent.usage.spent,
    "budget",
  );
  over("limits.perMinute", c.perMinute, p.perMinute, "calls per minute");
  if (c.ttlMs !== undefined && Number.isFinite(parent.expiresAt) && now + c.ttlMs > parent.expiresAt) {
    issues.push({
      field: "limits.ttl",
      rule: "attenuation",
      message: `ttl outlives the parent (${parent.expiresAt - now} ms left)`,
    });
  }
  if (child.mode === "monitor" && parent.intent.mode === "enforce") {
    issues.push({
      field: "mode",
      rule: "attenuation",
      message: "a child of an enforced intent cannot run in monitor mode",
    });
  }
  return issues;
}
