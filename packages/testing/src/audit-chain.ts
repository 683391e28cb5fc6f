import { type AuditEvent, eventHash, genesisHash, newId } from "@mandate/core";

/** Options of {@link auditChain}. */
export interface AuditChainOptions {
  /** The stream id (default: a new ULID). */
  readonly stream?: string;
  /** Epoch ms of the first event (default: now); each event is one millisecond after the last. */
  readonly start?: number;
  /**
   * Extra fields for event `seq` of the stream (e.g. odd content). The chain fields (`id`, stream,
   * `seq`, `mandate.prev`, `mandate.hash`) are always set by the chain.
   */
  readonly extra?: (seq: number) => Partial<Record<keyof AuditEvent, unknown>>;
}

/** A hash chain of synthetic audit events, handed out a batch at a time. */
export interface AuditChain {
  readonly stream: string;
  /** The sequence number of the last event handed out (0 before the first). */
  readonly seq: number;
  /** The next `count` events of the chain, sealed (`mandate.prev` and `mandate.hash` set). */
  take(count: number): AuditEvent[];
}

const AGENT = "01JAGENT00000000000000SUPT";
const ROOT = "01JCTX0000000000000000ROOT";
const CHILD = "01JCTX000000000000000CHILD";
const INTENT = "01JINTENT00000000000000001";

/**
 * Builds realistic, correctly chained audit events without a Mandate: decisions (allowed and
 * denied, some deviations), outcomes and lifecycle events, as core's queue would hand them to a
 * sink. For conformance tests and benchmarks.
 */
export function auditChain(options: AuditChainOptions = {}): AuditChain {
  const stream = options.stream ?? newId();
  let time = options.start ?? Date.now();
  let seq = 0;
  let prev = genesisHash(stream);
  return {
    stream,
    get seq() {
      return seq;
    },
    take(count) {
      const out: AuditEvent[] = [];
      for (let i = 0; i < count; i++) {
        seq++;
        const e = {
          ...template(seq),
          ...(options.extra?.(seq) ?? {}),
          id: newId(time),
          "mandate.stream": stream,
          seq,
          time: new Date(time).toISOString(),
          "mandate.prev": prev,
        } as Record<string, unknown>;
        delete e["mandate.hash"];
        prev = eventHash(e);
        e["mandate.hash"] = prev;
        out.push(e as unknown as AuditEvent);
        time++;
      }
      return out;
    },
  };
}

/** A plausible event for position `seq`: a decision/outcome pair per call, a lifecycle event now and then. */
function template(seq: number): Partial<AuditEvent> {
  const agent = {
    "gen_ai.agent.id": AGENT,
    "gen_ai.agent.name": "support-bot",
    "mandate.agent.version": "1.0.0",
    "mandate.sponsor": "user:alice",
    "mandate.tenant": "acme",
    "mandate.context.id": seq % 3 === 0 ? ROOT : CHILD,
    "mandate.context.path": seq % 3 === 0 ? [ROOT] : [ROOT, CHILD],
    "mandate.intent.id": INTENT,
    "mandate.intent.digest": `sha256:${"1f".repeat(32)}`,
  } as const;
  if (seq === 1) {
    return {
      ...agent,
      type: "intent.declared",
      "mandate.detail": { intent: { purpose: "find all customer names", scope: [] } },
    };
  }
  const call = `call_${Math.floor(seq / 2)}`;
  if (seq % 2 === 0) {
    const deviation = seq % 10 === 0;
    return {
      ...agent,
      type: "tool.decision",
      "gen_ai.tool.name": "lookup",
      "gen_ai.tool.call.id": call,
      // A deviation in monitor mode: allowed, flagged, and followed by its outcome like any call.
      "mandate.decision": "allow",
      "mandate.deviation": deviation,
      "mandate.reasons": deviation
        ? [{ code: "intent.data_undeclared", message: "data class employee.salary is not in the intent" }]
        : [],
      "mandate.accesses": [
        {
          action: "db.read",
          resource: deviation ? "crm/employees" : "crm/customers",
          data: [deviation ? "employee.salary" : "customer.name"],
        },
      ],
      "mandate.args": {
        digest: `sha256:${"2e".repeat(32)}`,
        value: { table: deviation ? "employees" : "customers", columns: ["name"] },
      },
      "mandate.reasoning": { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", stepId: "00f067aa0ba902b7" },
    };
  }
  return {
    ...agent,
    type: "tool.outcome",
    "gen_ai.tool.name": "lookup",
    "gen_ai.tool.call.id": `call_${Math.floor((seq - 1) / 2)}`,
    "mandate.outcome": "ok",
    "mandate.duration_ms": 3,
    "mandate.output": { digest: `sha256:${"3d".repeat(32)}`, value: [{ name: "Ada Lovelace" }] },
  };
}
