/**
 * The shared scenarios through the AI SDK's real agent loop (`generateText` with tools and
 * `stopWhen`), driven by the SDK's own mock model (`MockLanguageModelV3` from `ai/test`).
 */
import { guardTools, toolApprovals } from "@mandate/ai-sdk";
import { type Decision, DeniedError, MandateError } from "@mandate/core";
import { generateText, type ModelMessage, stepCountIs, streamText, tool } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  APPROVAL_INTENT,
  CALLS,
  type EmailArgs,
  EXPECTED,
  flushedTrail,
  type LookupArgs,
  runLookup,
  scenarioMandate,
  seedContext,
} from "./scenario-kit.js";

type GenerateResult = Awaited<ReturnType<MockLanguageModelV3["doGenerate"]>>;
type Content = GenerateResult["content"];
type StreamResult = Awaited<ReturnType<MockLanguageModelV3["doStream"]>>;
type StreamPart = StreamResult["stream"] extends ReadableStream<infer P> ? P : never;
type Prompt = Parameters<MockLanguageModelV3["doGenerate"]>[0]["prompt"];

const USAGE: GenerateResult["usage"] = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** The SDK's mock model, answering each step with the next scripted content. */
function scriptedModel(steps: readonly Content[]): { model: MockLanguageModelV3; prompts: Prompt[] } {
  const prompts: Prompt[] = [];
  let i = 0;
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      prompts.push(options.prompt);
      const content = steps[i++] ?? [{ type: "text", text: "done" }];
      const calls = content.some((part) => part.type === "tool-call");
      return {
        content,
        finishReason: { unified: calls ? "tool-calls" : "stop", raw: undefined },
        usage: USAGE,
        warnings: [],
      };
    },
  });
  return { model, prompts };
}

function callOf(toolCallId: string, call: { tool: string; args: unknown }): Content[number] {
  return { type: "tool-call", toolCallId, toolName: call.tool, input: JSON.stringify(call.args) };
}

const text = (t: string): Content => [{ type: "text", text: t }];

/** The SDK's mock model, streaming each step's scripted content. */
function streamingModel(steps: readonly Content[]): MockLanguageModelV3 {
  let i = 0;
  return new MockLanguageModelV3({
    doStream: async () => {
      const content = steps[i++] ?? [{ type: "text", text: "done" }];
      const calls = content.some((part) => part.type === "tool-call");
      const parts: StreamPart[] = [{ type: "stream-start", warnings: [] }];
      for (const part of content) {
        if (part.type === "text") {
          parts.push({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: part.text });
          parts.push({ type: "text-end", id: "t" });
        } else if (part.type === "tool-call") parts.push(part);
      }
      parts.push({
        type: "finish",
        finishReason: { unified: calls ? "tool-calls" : "stop", raw: undefined },
        usage: USAGE,
      });
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}

/** The application's tools, as plain AI SDK tools. */
function appTools(sent: EmailArgs[] = []) {
  return {
    lookup: tool({
      description: "Read columns of a CRM table",
      inputSchema: z.object({ table: z.string(), columns: z.array(z.string()) }),
      execute: async (args: LookupArgs) => runLookup(args),
    }),
    send_email: tool({
      description: "Send an email",
      inputSchema: z.object({ to: z.string(), subject: z.string() }),
      execute: async (args: EmailArgs) => {
        sent.push(args);
        return { sent: true };
      },
    }),
  };
}

/** The decision behind a tool error, which must be a Mandate denial. */
function denialOf(error: unknown): Decision {
  expect(error).toBeInstanceOf(DeniedError);
  return (error as DeniedError).decision;
}

/** The tool results the model was sent in its last prompt. */
function toolResultsIn(prompt: Prompt | undefined) {
  return (prompt ?? []).flatMap((m) =>
    m.role === "tool" ? m.content.filter((p) => p.type === "tool-result") : [],
  );
}

describe("AI SDK: shared scenarios through generateText", () => {
  it("seed: the allowed lookup returns rows; the salary lookup is denied and the model recovers", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const { model, prompts } = scriptedModel([
      [callOf("call-names", CALLS.allowed)],
      [callOf("call-salary", CALLS.salary)],
      text("Customer names: Ada Lovelace. I may not read salaries."),
    ]);

    const result = await generateText({
      model,
      tools: guardTools(ctx, appTools(), { conversationId: "chat-1" }),
      prompt: "Find all customer names.",
      stopWhen: stepCountIs(5),
    });

    // The loop ran every step: the denial did not stop it.
    expect(result.steps).toHaveLength(3);
    expect(result.text).toBe("Customer names: Ada Lovelace. I may not read salaries.");
    expect(result.steps[0]?.toolResults[0]?.output).toEqual([{ name: "Ada Lovelace" }]);
    const denied = result.steps[1]?.content.find((p) => p.type === "tool-error");
    expect(denied?.toolCallId).toBe("call-salary");
    const reason = denialOf(denied?.error).reasons[0];
    expect(reason).toMatchObject({ code: "intent.data_undeclared", dataClass: "employee.salary" });
    // The model received the denial as the tool's (error) result.
    const seen = toolResultsIn(prompts[2]).find((p) => p.toolCallId === "call-salary");
    expect(seen?.output.type).toBe("error-text");
    expect(JSON.stringify(seen?.output)).toContain("intent.data_undeclared");

    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.seed);
    // The reasoning link: the SDK's tool call ids and the model step of each call.
    const decisions = sink.events.filter((e) => e.type === "tool.decision");
    expect(decisions.map((e) => e["gen_ai.tool.call.id"])).toEqual(["call-names", "call-salary"]);
    expect(decisions.map((e) => e["mandate.reasoning"])).toEqual([
      { conversationId: "chat-1", stepId: "step-0" },
      { conversationId: "chat-1", stepId: "step-1", parentStepId: "step-0" },
    ]);
    expect(decisions[0]?.["gen_ai.conversation.id"]).toBe("chat-1");
    const outcome = sink.events.find((e) => e.type === "tool.outcome");
    expect(outcome?.["gen_ai.tool.call.id"]).toBe("call-names");
    await mandate.close();
  });

  it("approval: an external email becomes a tool approval; approved, it runs under a grant", async () => {
    const approvals = toolApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const sent: EmailArgs[] = [];
    const tools = guardTools(ctx, appTools(sent), { approvals });
    const { model } = scriptedModel([[callOf("call-email", CALLS.externalEmail)], text("Sent.")]);
    const messages: ModelMessage[] = [{ role: "user", content: "Email the customer list to our partner." }];

    const first = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });
    const request = first.content.find((p) => p.type === "tool-approval-request");
    expect(request?.toolCall.toolCallId).toBe("call-email");
    expect(sent).toEqual([]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval.slice(0, 3));

    // The user approves in the app; the next turn carries the SDK's approval response.
    messages.push(...first.response.messages, {
      role: "tool",
      content: [{ type: "tool-approval-response", approvalId: request?.approvalId ?? "", approved: true }],
    });
    const second = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });

    expect(sent).toEqual([CALLS.externalEmail.args]);
    expect(second.text).toBe("Sent.");
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval);
    const granted = sink.events.find((e) => e.type === "approval.granted");
    expect(granted?.["mandate.detail"]).toMatchObject({
      callId: "call-email",
      by: "ai-sdk:tool-approval-response",
    });
    const allowed = sink.events.filter((e) => e.type === "tool.decision").at(-1);
    expect(allowed?.["gen_ai.tool.call.id"]).toBe("call-email");
    await mandate.close();
  });

  it("approval refused: the SDK reports execution-denied and Mandate records the refusal", async () => {
    const approvals = toolApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const sent: EmailArgs[] = [];
    const tools = guardTools(ctx, appTools(sent), { approvals });
    const { model, prompts } = scriptedModel([
      [callOf("call-email", CALLS.externalEmail)],
      text("Not sent."),
    ]);
    const messages: ModelMessage[] = [{ role: "user", content: "Email the customer list to our partner." }];
    const first = await generateText({ model, tools, messages });
    const request = first.content.find((p) => p.type === "tool-approval-request");
    messages.push(...first.response.messages, {
      role: "tool",
      content: [
        {
          type: "tool-approval-response",
          approvalId: request?.approvalId ?? "",
          approved: false,
          reason: "not to partners",
        },
      ],
    });
    // No tool runs in this turn, so the app hands the answers over itself.
    expect(approvals.receive(messages)).toBe(1);
    await generateText({ model, tools, messages });

    expect(sent).toEqual([]);
    expect(toolResultsIn(prompts[1])[0]?.output).toMatchObject({ type: "execution-denied" });
    expect(await flushedTrail(mandate, sink, ctx)).toEqual([
      ...EXPECTED.approval.slice(0, 3),
      { type: "approval.denied" },
    ]);
    const denied = sink.events.find((e) => e.type === "approval.denied");
    expect(denied?.["mandate.detail"]).toMatchObject({ reason: "not to partners" });
    await mandate.close();
  });

  it("approval with streamText: the same flow through the streaming loop", async () => {
    const approvals = toolApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const sent: EmailArgs[] = [];
    const tools = guardTools(ctx, appTools(sent), { approvals });
    const model = streamingModel([[callOf("call-email", CALLS.externalEmail)], text("Sent.")]);
    const messages: ModelMessage[] = [{ role: "user", content: "Email the customer list to our partner." }];

    const first = streamText({ model, tools, messages, stopWhen: stepCountIs(5) });
    const request = (await first.content).find((p) => p.type === "tool-approval-request");
    expect(request?.toolCall.toolCallId).toBe("call-email");
    messages.push(...(await first.response).messages, {
      role: "tool",
      content: [{ type: "tool-approval-response", approvalId: request?.approvalId ?? "", approved: true }],
    });
    const second = streamText({ model, tools, messages, stopWhen: stepCountIs(5) });

    expect(await second.text).toBe("Sent.");
    expect(sent).toEqual([CALLS.externalEmail.args]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval);
    await mandate.close();
  });

  it("revocation between steps: the next tool call is denied with context.revoked", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const { model, prompts } = scriptedModel([
      [callOf("call-1", CALLS.allowed)],
      [callOf("call-2", CALLS.allowed)],
      text("I was stopped."),
    ]);

    const result = await generateText({
      model,
      tools: guardTools(ctx, appTools()),
      prompt: "Find all customer names, twice.",
      stopWhen: stepCountIs(5),
      // The SDK's own between-steps hook: an operator revokes the agent after its first step.
      prepareStep: async ({ stepNumber }) => {
        if (stepNumber === 1) await mandate.revoke(ctx.id, "operator stop");
        return undefined;
      },
    });

    const error = result.steps[1]?.content.find((p) => p.type === "tool-error");
    expect(denialOf(error?.error).reasons[0]?.code).toBe("context.revoked");
    expect(JSON.stringify(toolResultsIn(prompts[2]))).toContain("context.revoked");
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 3)).toEqual(EXPECTED.seed.slice(0, 3));
    expect(trail.at(-1)).toEqual(EXPECTED.revokedCall);
    await mandate.close();
  });

  it("revocation in flight: the running tool's abort signal fires and the call ends denied", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let sawAbort = false;
    const slowLookup = tool({
      description: "Read columns of a CRM table (slowly)",
      inputSchema: z.object({ table: z.string(), columns: z.array(z.string()) }),
      execute: (_args: LookupArgs, { abortSignal }) =>
        new Promise<Record<string, string>[]>((_resolve, reject) => {
          abortSignal?.addEventListener("abort", () => {
            sawAbort = true;
            reject(abortSignal.reason);
          });
          started();
        }),
    });
    const { model } = scriptedModel([[callOf("call-slow", CALLS.allowed)], text("Interrupted.")]);
    const run = generateText({
      model,
      tools: guardTools(ctx, { lookup: slowLookup }),
      prompt: "Find all customer names.",
      stopWhen: stepCountIs(3),
    });
    await running;
    await mandate.revoke(ctx.id, "operator stop");
    const result = await run;

    expect(sawAbort).toBe(true);
    const error = result.steps[0]?.content.find((p) => p.type === "tool-error");
    expect(denialOf(error?.error).reasons[0]?.code).toBe("context.revoked");
    expect(result.text).toBe("Interrupted.");
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 2)).toEqual(EXPECTED.seed.slice(0, 2));
    expect(trail).toContainEqual({ type: "tool.outcome", tool: "lookup", outcome: "aborted" });
    await mandate.close();
  });

  it("maps tool keys to Mandate tools and fails at wrap time on a tool Mandate does not know", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const { lookup } = appTools();
    expect(() => guardTools(ctx, { drop_table: lookup })).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TOOL" }),
    );
    const clientSide = tool({ inputSchema: z.object({}) });
    expect(() => guardTools(ctx, { lookup: clientSide })).toThrow(MandateError);

    const { model } = scriptedModel([[callOf("call-crm", { tool: "crmLookup", args: CALLS.allowed.args })]]);
    const result = await generateText({
      model,
      tools: guardTools(ctx, { crmLookup: lookup }, { definitions: { crmLookup: "lookup" } }),
      prompt: "Find all customer names.",
      stopWhen: stepCountIs(2),
    });
    expect(result.steps[0]?.toolResults[0]?.output).toEqual([{ name: "Ada Lovelace" }]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.seed.slice(0, 3));
    await mandate.close();
  });
});
