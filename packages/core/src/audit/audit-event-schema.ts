import { z } from "zod";

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);

const AccessSchema = z.object({
  action: z.string(),
  resource: z.string(),
  data: z.array(z.string()),
  facts: z.record(z.string(), z.unknown()).optional(),
  uninspectable: z.object({ field: z.string(), reason: z.string() }).optional(),
});

const ReasonSchema = z.object({
  code: z.string(),
  message: z.string(),
  access: z.number().int().optional(),
  dataClass: z.string().optional(),
  contextId: z.string().optional(),
  policy: z.string().optional(),
});

const Kept = z.object({ digest: z.string(), value: z.unknown().optional() });

/**
 * Schema of one audit event, for consumers that read the trail (validate before trusting fields).
 * {@link auditEventJsonSchema} gives the same as JSON Schema, for tools in other languages.
 */
export const AuditEventSchema = z.object({
  id: z.string().regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
  "mandate.stream": z.string(),
  seq: z.number().int().min(1),
  time: z.string(),
  type: z.enum([
    "identity.issued",
    "intent.declared",
    "context.delegated",
    "context.revoked",
    "context.paused",
    "context.resumed",
    "tool.decision",
    "tool.outcome",
    "approval.asked",
    "approval.granted",
    "approval.denied",
    "audit.checkpoint",
  ]),
  "mandate.prev": Digest,
  "mandate.hash": Digest,
  "gen_ai.agent.id": z.string().optional(),
  "gen_ai.agent.name": z.string().optional(),
  "mandate.agent.version": z.string().optional(),
  "gen_ai.conversation.id": z.string().optional(),
  "gen_ai.tool.name": z.string().optional(),
  "gen_ai.tool.call.id": z.string().optional(),
  "mandate.sponsor": z.string().optional(),
  "mandate.tenant": z.string().optional(),
  "mandate.context.id": z.string().optional(),
  "mandate.context.path": z.array(z.string()).optional(),
  "mandate.intent.id": z.string().optional(),
  "mandate.intent.digest": Digest.optional(),
  "mandate.reasoning": z
    .object({
      conversationId: z.string().optional(),
      traceId: z.string().optional(),
      stepId: z.string().optional(),
      parentStepId: z.string().optional(),
      rationaleDigest: z.string().optional(),
    })
    .optional(),
  "mandate.decision": z.enum(["allow", "deny", "ask"]).optional(),
  "mandate.deviation": z.boolean().optional(),
  "mandate.reasons": z.array(ReasonSchema).optional(),
  "mandate.accesses": z.array(AccessSchema).optional(),
  "mandate.args": Kept.optional(),
  "mandate.output": Kept.optional(),
  "mandate.outcome": z.enum(["ok", "error", "aborted"]).optional(),
  "mandate.duration_ms": z.number().optional(),
  "mandate.error": z.string().optional(),
  "mandate.detail": z.record(z.string(), z.unknown()).optional(),
  "mandate.signature": z.string().optional(),
});

/** The audit event schema as JSON Schema (draft 2020-12). */
export function auditEventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AuditEventSchema) as Record<string, unknown>;
}
