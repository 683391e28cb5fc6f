/** Spans from guarded calls, read back with the SDK's in-memory exporter. */
import { createMandate, DeniedError, defineTool, memoryAuditSink } from "@mandate/core";
import { auditChain, describeAuditSink } from "@mandate/testing";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { type OtelAuditSink, otelAuditSink } from "../src/index.js";

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("test") };
}

// The contract, with a sink behind it to read back from (spans are made only for what it stored)…
const behind = new WeakMap<OtelAuditSink, ReturnType<typeof memoryAuditSink>>();
describeAuditSink(
  "otel (in front of a memory sink)",
  () => {
    const next = memoryAuditSink(100_000);
    const sink = otelAuditSink({ tracer: tracing().tracer, next });
    behind.set(sink, next);
    return sink;
  },
  async (sink) => behind.get(sink)?.events ?? [],
);
// …and alone, where only writes, flush and close can be checked.
describeAuditSink("otel (alone)", () => otelAuditSink({ tracer: tracing().tracer }));

const hrMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;

const lookup = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    { action: "db.read", resource: `crm/${table}`, data: columns.map((c) => `${table.slice(0, -1)}.${c}`) },
  ],
});
const roles = { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] };
const bot = {
  name: "support-bot",
  version: "2.1.0",
  sponsor: "user:alice",
  tenant: "acme",
  roles: ["analyst"],
};
const names = {
  purpose: "find customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};

describe("execute_tool spans", () => {
  it("makes one span per guarded call, with the GenAI attributes and the decision", async () => {
    const { exporter, tracer } = tracing();
    const mandate = createMandate({
      roles,
      tools: [lookup],
      audit: otelAuditSink({ tracer, captureArguments: true, captureResult: true }),
    });
    const ctx = await mandate.declare(bot, names);
    const child = await ctx.delegate(bot, names);
    const query = child.guard(lookup, async (args) => {
      await new Promise((r) => setTimeout(r, 20));
      return [{ name: "Ada Lovelace", table: args.table }];
    });
    const reasoning = {
      conversationId: "conv-1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      stepId: "00f067aa0ba902b7",
    };
    await query({ table: "customers", columns: ["name"] }, { callId: "call_ok", reasoning });
    await expect(
      query({ table: "employees", columns: ["salary"] }, { callId: "call_denied" }),
    ).rejects.toBeInstanceOf(DeniedError);
    await mandate.close();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["execute_tool lookup", "execute_tool lookup"]);
    const ok = spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "call_ok") as ReadableSpan;
    expect(ok.kind).toBe(SpanKind.INTERNAL);
    expect(ok.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "lookup",
      "gen_ai.tool.type": "function",
      "gen_ai.agent.id": child.identity.id,
      "gen_ai.agent.name": "support-bot",
      "gen_ai.conversation.id": "conv-1",
      "mandate.decision": "allow",
      "mandate.deviation": false,
      "mandate.context.id": child.id,
      "mandate.context.path": [ctx.id, child.id],
      "mandate.intent.id": child.intent.id,
      "mandate.sponsor": "user:alice",
      "mandate.tenant": "acme",
      "mandate.access.data_classes": ["customer.name"],
      "mandate.outcome": "ok",
    });
    expect(JSON.parse(ok.attributes["gen_ai.tool.call.arguments"] as string)).toEqual({
      table: "customers",
      columns: ["name"],
    });
    expect(ok.attributes["gen_ai.tool.call.result"]).toContain("Ada Lovelace");
    expect(ok.status.code).toBe(SpanStatusCode.UNSET);
    // Times from the events: it lasted as long as the tool did.
    expect(hrMs(ok.endTime) - hrMs(ok.startTime)).toBeGreaterThanOrEqual(15);
    // The agent run's span is the parent (the reasoning link's W3C ids).
    expect(ok.spanContext().traceId).toBe(reasoning.traceId);
    expect(ok.parentSpanContext?.spanId).toBe(reasoning.stepId);

    const denied = spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "call_denied") as ReadableSpan;
    expect(denied.attributes).toMatchObject({
      "mandate.decision": "deny",
      "mandate.deviation": true,
      "mandate.reasons": ["intent.data_undeclared"],
      "error.type": "intent.data_undeclared",
    });
    expect(denied.status.code).toBe(SpanStatusCode.ERROR);
    expect(denied.status.message).toContain("employee.salary");
    expect(hrMs(denied.endTime)).toBe(hrMs(denied.startTime));
    expect(denied.parentSpanContext).toBeUndefined();
  });

  it("marks a call stopped by a revocation as aborted", async () => {
    const { exporter, tracer } = tracing();
    const mandate = createMandate({ roles, tools: [lookup], audit: otelAuditSink({ tracer }) });
    const ctx = await mandate.declare(bot, names);
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const hang = ctx.guard(lookup, (_args, run) => {
      started();
      return new Promise((_, reject) =>
        run.signal.addEventListener("abort", () => reject(run.signal.reason)),
      );
    });
    const call = hang({ table: "customers", columns: ["name"] }, { callId: "call_hang" }).catch((e) => e);
    await running;
    await mandate.revoke(ctx.id, "incident");
    expect(await call).toBeInstanceOf(DeniedError);
    await mandate.close();
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ "mandate.outcome": "aborted", "error.type": "mandate.aborted" });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("makes no second span for a retried batch", async () => {
    const { exporter, tracer } = tracing();
    const sink = otelAuditSink({ tracer });
    const events = auditChain().take(40);
    await sink.write(events);
    await sink.write(events);
    await sink.write(events.slice(10, 30));
    await sink.close();
    // 40 events: the intent declaration, then 19 decision/outcome pairs and a last decision.
    const calls = new Set(
      events.filter((e) => e.type === "tool.decision").map((e) => e["gen_ai.tool.call.id"]),
    );
    expect(exporter.getFinishedSpans()).toHaveLength(calls.size);
  });

  it("gives a checked-only call (no outcome) a span of its decision after the timeout", async () => {
    const { exporter, tracer } = tracing();
    const sink = otelAuditSink({ tracer, pendingTimeoutMs: 0 });
    const mandate = createMandate({ roles, tools: [lookup], audit: sink });
    const ctx = await mandate.declare(bot, names);
    expect(ctx.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } }).effect).toBe(
      "allow",
    );
    await mandate.flush();
    await mandate.close();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes["mandate.decision"]).toBe("allow");
    expect(spans[0]?.attributes["mandate.outcome"]).toBeUndefined();
  });

  it("lets the sink behind it fail, so that core retries, and makes spans once it succeeds", async () => {
    const { exporter, tracer } = tracing();
    let failures = 2;
    const next = memoryAuditSink();
    const flaky = {
      async write(events: Parameters<typeof next.write>[0]) {
        if (failures-- > 0) throw new Error("database down");
        await next.write(events);
      },
    };
    const mandate = createMandate({
      roles,
      tools: [lookup],
      audit: { sink: otelAuditSink({ tracer, next: flaky }), retryMs: 5 },
    });
    const errors: unknown[] = [];
    mandate.events.on("audit.error", (e) => errors.push(e));
    const ctx = await mandate.declare(bot, names);
    await ctx.guard(lookup, () => [])({ table: "customers", columns: ["name"] });
    await mandate.close();
    expect(errors).toHaveLength(2);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(next.events.filter((e) => e.type === "tool.decision")).toHaveLength(1);
  });
});
