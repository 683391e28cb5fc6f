/**
 * The shared scenarios through LangChain's real agent loop (`createAgent`, a LangGraph graph with
 * a checkpointer), driven by LangChain's own fake chat model (`fakeModel`) emitting the scenario's
 * tool calls.
 */
import { Command, MemorySaver } from "@langchain/langgraph";
import type { Decision } from "@mandate/core";
import { interruptApprovals, type MandateInterrupt, mandateMiddleware } from "@mandate/langchain";
import {
  AIMessage,
  type BaseMessage,
  createAgent,
  createMiddleware,
  fakeModel,
  type Interrupt,
  ToolMessage,
  tool,
} from "langchain";
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

const lookupSchema = z.object({ table: z.string(), columns: z.array(z.string()) });

/** The application's tools, as plain LangChain tools. */
function appTools(sent: EmailArgs[] = []) {
  const lookup = tool(async (args: LookupArgs) => runLookup(args), {
    name: "lookup",
    description: "Read columns of a CRM table",
    schema: lookupSchema,
  });
  const sendEmail = tool(
    async (args: EmailArgs) => {
      sent.push(args);
      return "sent";
    },
    {
      name: "send_email",
      description: "Send an email",
      schema: z.object({ to: z.string(), subject: z.string() }),
    },
  );
  return [lookup, sendEmail];
}

function toolMessage(messages: readonly BaseMessage[], id: string): ToolMessage | undefined {
  return messages.find((m): m is ToolMessage => ToolMessage.isInstance(m) && m.tool_call_id === id);
}

/** The Mandate decision a denial ToolMessage carries as its artifact. */
function decisionOf(message: ToolMessage | undefined): Decision {
  const decision = (message?.artifact as { mandate?: Decision } | undefined)?.mandate;
  expect(decision).toBeDefined();
  return decision as Decision;
}

const user = (content: string) => ({ messages: [{ role: "user" as const, content }] });

describe("LangChain: shared scenarios through createAgent", () => {
  it("seed: the allowed lookup returns rows; the salary lookup is denied and the model recovers", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = appTools();
    const model = fakeModel()
      .respondWithTools([{ name: "lookup", args: CALLS.allowed.args, id: "call-names" }])
      .respondWithTools([{ name: "lookup", args: CALLS.salary.args, id: "call-salary" }])
      .respond(new AIMessage("Customer names: Ada Lovelace. I may not read salaries."));
    const agent = createAgent({ model, tools, middleware: [mandateMiddleware(ctx, { tools })] });

    const result = await agent.invoke(user("Find all customer names."), {
      configurable: { thread_id: "thread-1" },
    });

    expect(JSON.parse(String(toolMessage(result.messages, "call-names")?.content))).toEqual([
      { name: "Ada Lovelace" },
    ]);
    const denied = toolMessage(result.messages, "call-salary");
    expect(denied?.status).toBe("error");
    expect(String(denied?.content)).toContain("intent.data_undeclared");
    const decision = decisionOf(denied);
    expect(decision.reasons[0]).toMatchObject({
      code: "intent.data_undeclared",
      dataClass: "employee.salary",
    });
    // The model received the denial and the loop went on to its final answer.
    expect(model.calls).toHaveLength(3);
    expect(toolMessage(model.calls[2]?.messages ?? [], "call-salary")?.status).toBe("error");
    expect(result.messages.at(-1)?.content).toBe("Customer names: Ada Lovelace. I may not read salaries.");

    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.seed);
    // The reasoning link: LangChain's tool call ids, the thread, and the AI message of each call.
    const decisions = sink.events.filter((e) => e.type === "tool.decision");
    expect(decisions.map((e) => e["gen_ai.tool.call.id"])).toEqual(["call-names", "call-salary"]);
    const [first, second] = decisions.map((e) => e["mandate.reasoning"]);
    expect(first).toMatchObject({ conversationId: "thread-1" });
    expect(first?.stepId).toBe(result.messages.find((m) => AIMessage.isInstance(m))?.id);
    expect(second?.parentStepId).toBe(first?.stepId);
    expect(second?.stepId).not.toBe(first?.stepId);
    expect(sink.events.find((e) => e.type === "tool.outcome")?.["gen_ai.tool.call.id"]).toBe("call-names");
    await mandate.close();
  });

  it("approval: an external email interrupts the run; resumed with approve, it runs under a grant", async () => {
    const approvals = interruptApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const sent: EmailArgs[] = [];
    const tools = appTools(sent);
    const model = fakeModel()
      .respondWithTools([{ name: "send_email", args: CALLS.externalEmail.args, id: "call-email" }])
      .respond(new AIMessage("Sent."));
    const agent = createAgent({
      model,
      tools,
      checkpointer: new MemorySaver(),
      middleware: [mandateMiddleware(ctx, { tools, approvals })],
    });
    const config = { configurable: { thread_id: "thread-approval" } };

    const first = await agent.invoke(user("Email the customer list to our partner."), config);
    const interrupts = (first as { __interrupt__?: Interrupt<MandateInterrupt>[] }).__interrupt__ ?? [];
    expect(interrupts).toHaveLength(1);
    const request = interrupts[0]?.value;
    expect(request?.actionRequests[0]).toMatchObject({ name: "send_email", args: CALLS.externalEmail.args });
    expect(request?.reviewConfigs[0]?.allowedDecisions).toEqual(["approve", "reject"]);
    expect(request?.mandate).toMatchObject({ callId: "call-email", tool: "send_email" });
    expect(sent).toEqual([]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval.slice(0, 3));

    const second = await agent.invoke(new Command({ resume: { decisions: [{ type: "approve" }] } }), config);

    expect(sent).toEqual([CALLS.externalEmail.args]);
    expect(toolMessage(second.messages, "call-email")?.content).toBe("sent");
    expect(second.messages.at(-1)?.content).toBe("Sent.");
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval);
    const granted = sink.events.find((e) => e.type === "approval.granted");
    expect(granted?.["mandate.detail"]).toMatchObject({
      callId: "call-email",
      by: "langchain:human-in-the-loop",
    });
    expect(sink.events.filter((e) => e.type === "tool.decision").at(-1)?.["gen_ai.tool.call.id"]).toBe(
      "call-email",
    );
    await mandate.close();
  });

  it("approval rejected: the model gets an error ToolMessage and Mandate records the refusal", async () => {
    const approvals = interruptApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const sent: EmailArgs[] = [];
    const tools = appTools(sent);
    const model = fakeModel()
      .respondWithTools([{ name: "send_email", args: CALLS.externalEmail.args, id: "call-email" }])
      .respond(new AIMessage("Not sent."));
    const agent = createAgent({
      model,
      tools,
      checkpointer: new MemorySaver(),
      middleware: [mandateMiddleware(ctx, { tools, approvals })],
    });
    const config = { configurable: { thread_id: "thread-reject" } };
    await agent.invoke(user("Email the customer list to our partner."), config);
    const resume = { decisions: [{ type: "reject", message: "not to partners" }] };
    const result = await agent.invoke(new Command({ resume }), config);

    expect(sent).toEqual([]);
    const refused = toolMessage(result.messages, "call-email");
    expect(refused?.status).toBe("error");
    expect(String(refused?.content)).toContain("approval.denied");
    expect(result.messages.at(-1)?.content).toBe("Not sent.");
    expect(await flushedTrail(mandate, sink, ctx)).toEqual([
      ...EXPECTED.approval.slice(0, 3),
      { type: "approval.denied" },
    ]);
    expect(sink.events.find((e) => e.type === "approval.denied")?.["mandate.detail"]).toMatchObject({
      reason: "not to partners",
    });
    await mandate.close();
  });

  it("approval without a checkpointer: the run fails loudly and Mandate's approval is refused, not left open", async () => {
    const approvals = interruptApprovals();
    const { mandate, sink } = scenarioMandate({ approver: approvals.approver });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const tools = appTools();
    const model = fakeModel().respondWithTools([
      { name: "send_email", args: CALLS.externalEmail.args, id: "call-email" },
    ]);
    const agent = createAgent({ model, tools, middleware: [mandateMiddleware(ctx, { tools, approvals })] });

    await expect(agent.invoke(user("Email the customer list to our partner."))).rejects.toThrow(
      /checkpointer/i,
    );
    expect(await flushedTrail(mandate, sink, ctx)).toEqual([
      ...EXPECTED.approval.slice(0, 3),
      { type: "approval.denied" },
    ]);
    await mandate.close();
  });

  it("revocation between steps: the next tool call is denied with context.revoked", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = appTools();
    const model = fakeModel()
      .respondWithTools([{ name: "lookup", args: CALLS.allowed.args, id: "call-1" }])
      .respondWithTools([{ name: "lookup", args: CALLS.allowed.args, id: "call-2" }])
      .respond(new AIMessage("I was stopped."));
    let modelCalls = 0;
    // The agent's own between-steps hook: an operator revokes the agent before its second step.
    const operator = createMiddleware({
      name: "Operator",
      beforeModel: async () => {
        if (modelCalls++ === 1) await mandate.revoke(ctx.id, "operator stop");
      },
    });
    const agent = createAgent({ model, tools, middleware: [operator, mandateMiddleware(ctx, { tools })] });

    const result = await agent.invoke(user("Find all customer names, twice."));

    expect(toolMessage(result.messages, "call-1")?.status).not.toBe("error");
    const denied = toolMessage(result.messages, "call-2");
    expect(denied?.status).toBe("error");
    expect(String(denied?.content)).toContain("context.revoked");
    expect(result.messages.at(-1)?.content).toBe("I was stopped.");
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 3)).toEqual(EXPECTED.seed.slice(0, 3));
    expect(trail.at(-1)).toEqual(EXPECTED.revokedCall);
    await mandate.close();
  });

  it("revocation in flight: the running tool's config.signal aborts and the call ends denied", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let sawAbort = false;
    const slowLookup = tool(
      (_args: LookupArgs, config) =>
        new Promise<string>((_resolve, reject) => {
          config?.signal?.addEventListener("abort", () => {
            sawAbort = true;
            reject(config.signal?.reason);
          });
          started();
        }),
      { name: "lookup", description: "Read columns of a CRM table (slowly)", schema: lookupSchema },
    );
    const model = fakeModel()
      .respondWithTools([{ name: "lookup", args: CALLS.allowed.args, id: "call-slow" }])
      .respond(new AIMessage("Interrupted."));
    const agent = createAgent({
      model,
      tools: [slowLookup],
      middleware: [mandateMiddleware(ctx, { tools: [slowLookup] })],
    });
    const run = agent.invoke(user("Find all customer names."));
    await running;
    await mandate.revoke(ctx.id, "operator stop");
    const result = await run;

    expect(sawAbort).toBe(true);
    const denied = toolMessage(result.messages, "call-slow");
    expect(denied?.status).toBe("error");
    expect(decisionOf(denied).reasons[0]?.code).toBe("context.revoked");
    expect(result.messages.at(-1)?.content).toBe("Interrupted.");
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 2)).toEqual(EXPECTED.seed.slice(0, 2));
    expect(trail).toContainEqual({ type: "tool.outcome", tool: "lookup", outcome: "aborted" });
    await mandate.close();
  });

  it("maps tool names to Mandate tools and fails at creation on a tool Mandate does not know", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const dropTable = tool(async () => "dropped", { name: "drop_table", schema: z.object({}) });
    expect(() => mandateMiddleware(ctx, { tools: [dropTable] })).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TOOL" }),
    );

    const crmLookup = tool(async (args: LookupArgs) => runLookup(args), {
      name: "crm_lookup",
      description: "Read columns of a CRM table",
      schema: lookupSchema,
    });
    const model = fakeModel()
      .respondWithTools([{ name: "crm_lookup", args: CALLS.allowed.args, id: "call-crm" }])
      .respond(new AIMessage("Ada Lovelace."));
    const agent = createAgent({
      model,
      tools: [crmLookup],
      middleware: [mandateMiddleware(ctx, { tools: [crmLookup], definitions: { crm_lookup: "lookup" } })],
    });
    const result = await agent.invoke(user("Find all customer names."));
    expect(JSON.parse(String(toolMessage(result.messages, "call-crm")?.content))).toEqual([
      { name: "Ada Lovelace" },
    ]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.seed.slice(0, 3));
    await mandate.close();
  });
});
