/**
 * The audit events themselves, as a reader of the JSONL file sees them: they validate against the
 * published schema, carry the OpenTelemetry GenAI field names and Mandate's own, record every
 * lifecycle step, never write secrets, keep what each tool's retention setting says, and their
 * hashes can be recomputed by anyone with a canonical JSON encoder and SHA-256.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentContext,
  type AgentIdentity,
  type AuditEvent,
  AuditEventSchema,
  auditEventJsonSchema,
  createMandate,
  defineTool,
  generateSigningKey,
  type Mandate,
  memoryAuditSink,
  urlInspector,
} from "../src/index.js";
import { jsonlAuditSink, verifyAuditFile } from "../src/node/index.js";
import { approveYes, askOnAsk, round, runTools, teeSink } from "./fixtures/audit-run.js";
import { canon, sha256 } from "./fixtures/independent-hash.js";
import { broadIntent, denial, roles, translate } from "./helpers.js";

// ---- tools with secrets, and retention settings ------------------------------------------------------

interface VaultArgs {
  password: string;
  apiKey: string;
  note: string;
  query: string;
  long?: string;
}

const SECRETS = {
  password: "hunter2",
  apiKey: "sk-proj-4f9b2c7d1e8a6b3c5d0e9f1a2b3c",
  bearer: "abcDEF0123456789ghiJKL.mno-pqr",
  outputToken: "tok_9f8e7d6c5b4a39281706",
  outputBearer: "zyxWVU9876543210tsrQPO",
  errorSecret: "s3cr3t-from-the-error",
  urlKey: "URLKEY0123456789abcdef",
};

const vaultArgs = (query = "x"): VaultArgs => ({
  password: SECRETS.password,
  apiKey: SECRETS.apiKey,
  note: `Bearer ${SECRETS.bearer}`,
  query,
});

function vaultTool(
  name: string,
  audit?: { args?: "none" | "digest" | "preview" | "full"; output?: "none" | "digest" | "preview" | "full" },
) {
  return defineTool<VaultArgs>({
    name,
    action: "vault.query",
    resource: "vault/main",
    ...(audit ? { audit } : {}),
  });
}

const vault = vaultTool("vault");
const vaultDigest = vaultTool("vault_digest", { args: "digest" });
const vaultNone = vaultTool("vault_none", { args: "none", output: "none" });
const vaultFull = vaultTool("vault_full", { args: "full", output: "full" });
const vaultOutDigest = vaultTool("vault_out_digest", { output: "digest" });
const fetchPage = defineTool<{ url: string }>({ name: "fetch", action: "http.get", inspect: urlInspector() });

const worldRoles = {
  ...roles,
  keeper: [
    ...(roles.analyst ?? []),
    { action: "vault.query", resource: "vault/**" },
    { action: "http.get", resource: "https://api.example.com/**" },
  ],
};

/** What the vault returns: secrets among plain fields. */
function vaultResult(args: VaultArgs) {
  return {
    rows: [{ id: 1, title: `found ${args.query}` }],
    token: SECRETS.outputToken,
    header: `Bearer ${SECRETS.outputBearer}`,
  };
}

// ---- one scenario, written to a real file ------------------------------------------------------------

let dir: string;
let path: string;
let text: string;
let events: AuditEvent[];
let lines: string[];
let mandate: Mandate;
let jwks: ReturnType<Mandate["jwks"]>;
let bot: AgentIdentity;
let root: AgentContext;
let child: AgentContext;
const longText = "L".repeat(300);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mandate-events-"));
  path = join(dir, "audit.jsonl");
  const tee = teeSink(jsonlAuditSink({ path }));
  mandate = createMandate({
    roles: worldRoles,
    tools: [...runTools, vault, vaultDigest, vaultNone, vaultFull, vaultOutDigest, fetchPage],
    policies: [askOnAsk],
    approver: approveYes,
    audit: { sink: tee, checkpointEvery: 100 },
    tokens: { signing: await generateSigningKey() },
  });
  jwks = mandate.jwks();

  // A realistic run: every kind of event, many times.
  for (let r = 0; r < 6; r++) await round(mandate, r);
  await mandate.flush();

  // A scenario whose every reference the test keeps.
  bot = mandate.identity({
    name: "vault-bot",
    version: "2.0.1",
    sponsor: "user:carol",
    roles: ["keeper"],
    tenant: "acme",
  });
  root = await mandate.declare(bot, {
    purpose: "look up vault entries",
    allow: [
      { action: "vault.query", resource: "vault/main" },
      { action: "http.get", resource: "https://api.example.com/**" },
      { action: "ml.translate", resource: "ml/translate" },
    ],
    limits: { calls: 100 },
  });
  child = await root.delegate(
    { name: "vault-helper", sponsor: "user:carol", roles: ["keeper"] },
    {
      purpose: "one vault lookup",
      allow: [{ action: "vault.query", resource: "vault/main" }],
      limits: { calls: 10 },
    },
  );
  const reasoning = {
    conversationId: "conv-vault-1",
    traceId: "trace-9",
    stepId: "step-3",
    parentStepId: "step-2",
  };
  await root.guard(vault, vaultResult)(vaultArgs(), { callId: "c-preview", reasoning });
  await root.guard(vaultDigest, vaultResult)(vaultArgs(), { callId: "c-digest" });
  await root.guard(vaultNone, vaultResult)(vaultArgs(), { callId: "c-none" });
  await root.guard(vaultFull, vaultResult)({ ...vaultArgs(), long: longText }, { callId: "c-full" });
  await root.guard(vault, vaultResult)({ ...vaultArgs(), long: longText }, { callId: "c-preview-long" });
  await root.guard(vaultOutDigest, vaultResult)(vaultArgs(), { callId: "c-out-digest" });
  await expect(
    root.guard(vault, () => {
      throw new Error(`upstream refused password=${SECRETS.errorSecret}`);
    })(vaultArgs(), { callId: "c-error" }),
  ).rejects.toThrow();
  await root.guard(fetchPage, () => "ok")(
    { url: `https://api.example.com/v1/items?api_key=${SECRETS.urlKey}&page=2` },
    { callId: "c-fetch" },
  );
  await child.guard(vault, vaultResult)(vaultArgs("child"), {
    callId: "c-child",
    reasoning: { conversationId: "conv-child" },
  });
  await denial(
    child.guard(fetchPage, () => "no")({ url: "https://api.example.com/v1/x" }, { callId: "c-child-denied" }),
  );
  const translator = root.guard(translate, ({ text: t }) => t);
  await translator({ text: "ask yes please" }, { callId: "c-ask-yes" });
  await denial(translator({ text: "ask no thanks" }, { callId: "c-ask-no" }));
  await child.pause("checking");
  await child.resume();
  await child.revoke("finished");
  await mandate.close();

  text = await readFile(path, "utf8");
  lines = text.trimEnd().split("\n");
  events = lines.map((l) => JSON.parse(l) as AuditEvent);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const decisionOf = (callId: string) =>
  events.find((e) => e.type === "tool.decision" && e["gen_ai.tool.call.id"] === callId) as AuditEvent;
const outcomeOf = (callId: string) =>
  events.find((e) => e.type === "tool.outcome" && e["gen_ai.tool.call.id"] === callId) as AuditEvent;
const lifecycleOf = (type: AuditEvent["type"], contextId: string) =>
  events.filter((e) => e.type === type && e["mandate.context.id"] === contextId);

describe("audit events of a realistic run", () => {
  it("all validate against AuditEventSchema, and the trail verifies", async () => {
    expect(events.length).toBeGreaterThan(250);
    const invalid = events
      .map((e, i) => ({ line: i + 1, result: AuditEventSchema.safeParse(e) }))
      .filter((x) => !x.result.success)
      .map((x) => ({ line: x.line, issues: x.result.error?.issues }));
    expect(invalid).toEqual([]);
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(AuditEventSchema.shape.type.options as readonly string[]),
    );
    const verdict = await verifyAuditFile(path, { keys: [jwks] });
    expect(verdict.problems).toEqual([]);
    expect(verdict.streams[0]?.final).toBe(true);
  });

  it("auditEventJsonSchema() is a JSON Schema with the OTel field names, matching every event", () => {
    const schema = auditEventJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    const properties = schema.properties as Record<
      string,
      { type?: string; enum?: string[]; pattern?: string }
    >;
    for (const name of [
      "gen_ai.agent.id",
      "gen_ai.agent.name",
      "gen_ai.conversation.id",
      "gen_ai.tool.name",
      "gen_ai.tool.call.id",
      "mandate.sponsor",
      "mandate.context.path",
      "mandate.intent.id",
      "mandate.intent.digest",
      "mandate.hash",
      "mandate.prev",
      "mandate.stream",
    ]) {
      expect(properties, name).toHaveProperty([name]);
    }
    expect(properties["gen_ai.agent.id"]?.type).toBe("string");
    expect(properties["mandate.context.path"]?.type).toBe("array");
    expect(schema.required).toEqual(
      expect.arrayContaining(["id", "mandate.stream", "seq", "time", "type", "mandate.prev", "mandate.hash"]),
    );
    // It is plain JSON, usable by tools in other languages.
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    // A light JSON Schema check of every event: required fields, known fields only, enums, patterns.
    const required = schema.required as string[];
    for (const e of events) {
      for (const r of required) expect(e, r).toHaveProperty([r]);
      if (schema.additionalProperties === false) {
        expect(Object.keys(e).filter((k) => !(k in properties))).toEqual([]);
      }
      expect(properties.type?.enum).toContain(e.type);
      for (const [k, v] of Object.entries(e)) {
        const p = properties[k];
        if (p?.pattern && typeof v === "string") expect(v, k).toMatch(new RegExp(p.pattern));
      }
    }
  });

  it("tool events carry the agent, tool, call, conversation, sponsor, context path and intent", () => {
    const d = decisionOf("c-preview");
    expect(d).toMatchObject({
      "gen_ai.agent.id": bot.id,
      "gen_ai.agent.name": "vault-bot",
      "mandate.agent.version": "2.0.1",
      "gen_ai.tool.name": "vault",
      "gen_ai.tool.call.id": "c-preview",
      "gen_ai.conversation.id": "conv-vault-1",
      "mandate.reasoning": {
        conversationId: "conv-vault-1",
        traceId: "trace-9",
        stepId: "step-3",
        parentStepId: "step-2",
      },
      "mandate.sponsor": "user:carol",
      "mandate.tenant": "acme",
      "mandate.context.id": root.id,
      "mandate.context.path": [root.id],
      "mandate.intent.id": root.intent.id,
      "mandate.intent.digest": root.intentDigest,
      "mandate.decision": "allow",
    });
    // The conversation id is on the outcome too; calls without a reasoning link have none.
    expect(outcomeOf("c-preview")).toMatchObject({
      "gen_ai.conversation.id": "conv-vault-1",
      "mandate.outcome": "ok",
    });
    expect(decisionOf("c-digest")).not.toHaveProperty(["gen_ai.conversation.id"]);
    expect(decisionOf("c-digest")).not.toHaveProperty(["mandate.reasoning"]);

    // A delegated context: its own identity, the whole path, its own intent.
    const c = decisionOf("c-child");
    expect(c).toMatchObject({
      "gen_ai.agent.name": "vault-helper",
      "gen_ai.conversation.id": "conv-child",
      "mandate.sponsor": "user:carol",
      "mandate.context.id": child.id,
      "mandate.context.path": [root.id, child.id],
      "mandate.intent.id": child.intent.id,
      "mandate.intent.digest": child.intentDigest,
    });
    expect(decisionOf("c-child-denied")).toMatchObject({
      "mandate.decision": "deny",
      "mandate.context.path": [root.id, child.id],
      "mandate.reasons": [expect.objectContaining({ code: expect.any(String) })],
    });

    // The intent digest is the SHA-256 of the declared intent's canonical JSON, as recorded.
    const declared = lifecycleOf("intent.declared", root.id)[0];
    const intent = (declared?.["mandate.detail"] as { intent?: unknown } | undefined)?.intent;
    expect(sha256(canon(intent))).toBe(root.intentDigest);
    expect(declared?.["mandate.intent.digest"]).toBe(root.intentDigest);

    // Every tool event of the whole run carries these fields.
    for (const e of events.filter((x) => x.type === "tool.decision" || x.type === "tool.outcome")) {
      for (const f of [
        "gen_ai.agent.id",
        "gen_ai.agent.name",
        "gen_ai.tool.name",
        "gen_ai.tool.call.id",
        "mandate.sponsor",
        "mandate.context.id",
        "mandate.context.path",
        "mandate.intent.id",
        "mandate.intent.digest",
      ] as const) {
        expect(e, `${e.type} ${e.seq} ${f}`).toHaveProperty([f]);
      }
    }
    // …and the realistic run's reasoning links show up as conversation ids.
    expect(events.filter((e) => e["gen_ai.conversation.id"]?.startsWith("conv-")).length).toBeGreaterThan(
      6 * 3,
    );
  });

  it("lifecycle events: identity issued, intent declared, delegated, paused, resumed, revoked, approvals", () => {
    const issued = events.filter((e) => e.type === "identity.issued" && e["gen_ai.agent.id"] === bot.id);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({
      "gen_ai.agent.name": "vault-bot",
      "mandate.sponsor": "user:carol",
      "mandate.detail": {
        identity: expect.objectContaining({ id: bot.id, name: "vault-bot", roles: ["keeper"] }),
      },
    });
    expect(issued[0]).not.toHaveProperty(["mandate.context.id"]);

    expect(lifecycleOf("intent.declared", root.id)).toEqual([
      expect.objectContaining({
        "gen_ai.agent.id": bot.id,
        "mandate.intent.id": root.intent.id,
        "mandate.detail": { intent: expect.objectContaining({ purpose: "look up vault entries" }) },
      }),
    ]);
    expect(lifecycleOf("context.delegated", child.id)).toEqual([
      expect.objectContaining({
        "gen_ai.agent.id": child.identity.id,
        "gen_ai.agent.name": "vault-helper",
        "mandate.context.path": [root.id, child.id],
        "mandate.detail": expect.objectContaining({
          parent: root.id,
          delegatedBy: bot.id,
          intent: expect.objectContaining({ purpose: "one vault lookup", parent: root.intent.id }),
        }),
      }),
    ]);
    // The helper got its identity issued on delegation.
    expect(
      events.filter((e) => e.type === "identity.issued" && e["gen_ai.agent.id"] === child.identity.id),
    ).toHaveLength(1);
    expect(lifecycleOf("context.paused", child.id)).toEqual([
      expect.objectContaining({ "mandate.detail": { reason: "checking" } }),
    ]);
    expect(lifecycleOf("context.resumed", child.id)).toHaveLength(1);
    expect(lifecycleOf("context.revoked", child.id)).toEqual([
      expect.objectContaining({
        "mandate.detail": { reason: "finished" },
        "mandate.context.path": [root.id, child.id],
      }),
    ]);

    const approvals = (callId: string) =>
      events
        .filter(
          (e) =>
            e.type.startsWith("approval.") && (e["mandate.detail"] as { callId?: string })?.callId === callId,
        )
        .map((e) => e.type);
    expect(approvals("c-ask-yes")).toEqual(["approval.asked", "approval.granted"]);
    expect(approvals("c-ask-no")).toEqual(["approval.asked", "approval.denied"]);
    expect(decisionOf("c-ask-yes")["mandate.decision"]).toBe("ask");
    expect(outcomeOf("c-ask-yes")["mandate.outcome"]).toBe("ok");
    expect(outcomeOf("c-ask-no")).toBeUndefined();
    // Lifecycle events follow the order things happened in.
    const order = ["context.delegated", "context.paused", "context.resumed", "context.revoked"].map((t) =>
      events.findIndex((e) => e.type === t && e["mandate.context.id"] === child.id),
    );
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe("secrets and retention", () => {
  it("never writes a secret to the file", () => {
    for (const [name, secret] of Object.entries(SECRETS))
      expect(text.includes(secret), `${name} leaked`).toBe(false);
  });

  it("keeps the arguments' digest and a redacted preview by default", () => {
    const args = decisionOf("c-preview")["mandate.args"];
    expect(args?.digest).toBe(sha256(canon(vaultArgs())));
    expect(args?.value).toEqual({
      password: "[redacted]",
      apiKey: "[redacted]",
      note: "[redacted]",
      query: "x",
    });
    // Previews cut long strings.
    const long = decisionOf("c-preview-long")["mandate.args"]?.value as { long: string };
    expect(long.long.length).toBeLessThan(longText.length);
    expect(long.long.startsWith("L".repeat(256))).toBe(true);
  });

  it("respects each tool's retention setting for arguments: digest, none, full", () => {
    expect(decisionOf("c-digest")["mandate.args"]).toEqual({ digest: sha256(canon(vaultArgs())) });
    expect(decisionOf("c-none")).not.toHaveProperty(["mandate.args"]);
    const full = decisionOf("c-full")["mandate.args"];
    expect(full).toEqual({
      digest: sha256(canon({ ...vaultArgs(), long: longText })),
      // `full` keeps the value whole, but secrets stay masked.
      value: { password: "[redacted]", apiKey: "[redacted]", note: "[redacted]", query: "x", long: longText },
    });
  });

  it("keeps outputs as a digest and a redacted preview by default, or as the tool says", () => {
    const expectedOutput = vaultResult(vaultArgs());
    expect(outcomeOf("c-preview")["mandate.output"]).toEqual({
      digest: sha256(canon(expectedOutput)),
      value: { rows: [{ id: 1, title: "found x" }], token: "[redacted]", header: "[redacted]" },
    });
    expect(outcomeOf("c-out-digest")["mandate.output"]).toEqual({ digest: sha256(canon(expectedOutput)) });
    expect(outcomeOf("c-none")).not.toHaveProperty(["mandate.output"]);
    expect(outcomeOf("c-full")["mandate.output"]).toEqual({
      digest: sha256(canon(vaultResult({ ...vaultArgs(), long: longText }))),
      value: { rows: [{ id: 1, title: "found x" }], token: "[redacted]", header: "[redacted]" },
    });
  });

  it("redacts error messages and inspector facts too", () => {
    expect(outcomeOf("c-error")).toMatchObject({ "mandate.outcome": "error", "mandate.error": "[redacted]" });
    const fetched = decisionOf("c-fetch");
    expect(fetched["mandate.accesses"]).toEqual([
      expect.objectContaining({ action: "http.get", resource: "https://api.example.com/v1/items" }),
    ]);
    expect(fetched["mandate.accesses"]?.[0]?.facts?.query).toBe("[redacted]");
    expect(fetched["mandate.args"]?.value).toEqual({ url: "[redacted]" });
  });
});

describe("hashes anyone can recompute", () => {
  it("one event's mandate.hash is SHA-256 over the canonical JSON of the event without it", () => {
    const e = decisionOf("c-preview") as unknown as Record<string, unknown>;
    const { "mandate.hash": hash, ...rest } = e;
    expect(sha256(canon(rest))).toBe(hash);
    // The line is written as the hash, then exactly the canonical text it covers.
    const line = lines[(e.seq as number) - 1] as string;
    expect(line).toBe(`{"mandate.hash":"${hash}",${canon(rest).slice(1)}`);
  });

  it("the whole file verifies with nothing but canonical JSON, SHA-256 and the stream id", () => {
    const prev = new Map<string, string>();
    let checked = 0;
    for (const line of lines) {
      const e = JSON.parse(line) as Record<string, unknown>;
      const { "mandate.hash": hash, ...rest } = e;
      expect(sha256(canon(rest))).toBe(hash);
      const stream = e["mandate.stream"] as string;
      expect(e["mandate.prev"]).toBe(prev.get(stream) ?? sha256(`mandate-audit-stream:${stream}`));
      prev.set(stream, hash as string);
      checked++;
    }
    expect(checked).toBe(events.length);
  });
});

describe("intent digests anyone can recompute", () => {
  it("a context's intent digest is SHA-256 over its intent's canonical JSON", async () => {
    const m = createMandate({ roles, tools: runTools });
    const ctx = await m.declare({ name: "x", sponsor: "user:x", roles: ["analyst"] }, broadIntent());
    expect(ctx.intentDigest).toBe(sha256(canon(ctx.intent)));
    await m.close();
  });
});

describe("the trail keeps what the call was decided on", () => {
  it("records the arguments, reasoning link and output as they were, whatever the caller changes afterwards", async () => {
    const sink = memoryAuditSink();
    const mandate = createMandate({
      roles: { r: [{ action: "net.*", resource: "svc/**" }] },
      tools: [
        defineTool<{ to: string; body: { text: string } }>({
          name: "send",
          action: "net.send",
          resource: "svc/mail",
        }),
      ],
      audit: { sink },
    });
    const agent = mandate.identity({ name: "mailer", sponsor: "user:alice", roles: ["r"] });
    const ctx = await mandate.declare(agent, {
      purpose: "send one note",
      allow: [{ action: "net.send", resource: "svc/mail" }],
    });
    const args = { to: "bob@example.com", body: { text: "hello" } };
    const reasoning: { stepId: string } = { stepId: "step-1" };
    const result = { delivered: ["bob@example.com"] };
    const send = ctx.guard("send", () => result);
    const out = await send(args, { reasoning, callId: "call-1" });
    // The caller (or the tool) changes everything before the drain writes the events.
    args.to = "mallory@example.com";
    args.body.text = "something else";
    reasoning.stepId = "step-9";
    out.delivered.push("mallory@example.com");
    await mandate.flush();

    const decision = sink.events.find((e) => e.type === "tool.decision") as AuditEvent;
    const outcome = sink.events.find((e) => e.type === "tool.outcome") as AuditEvent;
    expect(decision["mandate.args"]).toEqual({
      digest: sha256(canon({ to: "bob@example.com", body: { text: "hello" } })),
      value: { body: { text: "hello" }, to: "bob@example.com" },
    });
    expect(decision["mandate.reasoning"]).toEqual({ stepId: "step-1" });
    expect(outcome["mandate.output"]).toEqual({
      digest: sha256(canon({ delivered: ["bob@example.com"] })),
      value: { delivered: ["bob@example.com"] },
    });
    await mandate.close();
  });
});
