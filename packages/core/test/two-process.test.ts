/**
 * A context crosses a real process boundary. Process A (this test) issues a root context,
 * delegates to a child and hands the child's token and A's JWKS to process B (a separate Node
 * process, fixtures/token-verifier-process.ts). B shares no memory with A: it verifies the token
 * offline with its own Mandate and revocation store and guards calls with it. A then revokes the
 * root and tells B only through a CAEP session-revoked Security Event Token.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, CAEP_SESSION_REVOKED, createMandate, generateSigningKey } from "../src/index.js";
import { bot, lookup, roles } from "./helpers.js";

const ISS = "https://agents-a.example";
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("./fixtures/token-verifier-process.ts", import.meta.url));
const REQUEST_TIMEOUT_MS = 15_000;

type Answer = { ok: boolean; code?: string; reason?: string; message?: string } & Record<string, unknown>;

/** Process B behind a request/answer channel that fails instead of hanging. */
class ProcessB {
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private next = 1;
  private stderr = "";
  readonly exited: Promise<number | null>;
  readonly ready: Promise<{ pid: number }>;

  constructor(readonly child: ChildProcess) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        const error = new Error(`process B exited (${code}) ${this.stderr}`);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
        resolve(code);
      });
    });
    this.ready = this.within(
      new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) =>
          reject(new Error(`process B exited (${code}) before ready ${this.stderr}`)),
        );
        const onReady = (m: { ready?: boolean; pid: number }) => {
          if (m.ready) {
            child.off("message", onReady);
            resolve({ pid: m.pid });
          }
        };
        child.on("message", onReady);
      }),
      "ready",
    );
    child.on("message", (m: Answer & { id?: number }) => {
      if (m.id === undefined) return;
      this.pending.get(m.id)?.resolve(m);
      this.pending.delete(m.id);
    });
  }

  private within<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`process B did not answer ${what} within ${REQUEST_TIMEOUT_MS} ms ${this.stderr}`),
          ),
        REQUEST_TIMEOUT_MS,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  request(op: string, body: Record<string, unknown> = {}): Promise<Answer> {
    const id = this.next++;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op, ...body }, (err) => {
        if (err) reject(err);
      });
    });
    return this.within(answer, op).finally(() => this.pending.delete(id));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

let b: ProcessB;

beforeAll(async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@mandate/source", SCRIPT], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  b = new ProcessB(child);
  await b.ready;
}, 30_000);

afterAll(async () => {
  await b?.stop();
});

describe("a context handed to another process", () => {
  it("is verified offline, guarded, and revoked there by a CAEP security event", async () => {
    const { pid } = await b.ready;
    expect(pid).not.toBe(process.pid);

    // Process A.
    const key = await generateSigningKey();
    const a = createMandate({ roles, tools: [lookup], tokens: { signing: key, issuer: ISS } });
    const root = await a.declare(bot, {
      purpose: "answer customer questions",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.*"] }],
    });
    const child = await root.delegate(
      { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] },
      {
        purpose: "find all customer names",
        allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
      },
    );
    const token = await child.token();
    const rootToken = await root.token();
    const jwks = JSON.parse(JSON.stringify(a.jwks()));
    expect(jwks.keys.every((k: Record<string, unknown>) => !("d" in k))).toBe(true);

    // B: its own Mandate trusting A's JWKS, offline verification, guarded calls.
    expect(await b.request("init", { jwks, issuers: [ISS] })).toMatchObject({ ok: true });
    expect(await b.request("verify", { token })).toEqual({
      id: expect.any(Number),
      ok: true,
      contextId: child.id,
      path: [root.id, child.id],
      purpose: "find all customer names",
    });
    expect(
      await b.request("call", { contextId: child.id, table: "customers", columns: ["name"] }),
    ).toMatchObject({
      ok: true,
      result: [{ name: "Ada Lovelace" }, { name: "Alan Turing" }],
    });
    expect(
      await b.request("call", { contextId: child.id, table: "customers", columns: ["email"] }),
    ).toMatchObject({ ok: false, code: "ERR_DENIED", reason: "intent.data_undeclared" });
    expect(
      await b.request("call", { contextId: child.id, table: "employees", columns: ["salary"] }),
    ).toMatchObject({ ok: false, code: "ERR_DENIED" });

    // A revokes the root. B shares nothing with A, so until it is told, it still allows.
    await a.revoke(root.id, "agent went rogue");
    expect(
      child.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } }).reasons[0]?.code,
    ).toBe("context.revoked");
    expect(
      await b.request("call", { contextId: child.id, table: "customers", columns: ["name"] }),
    ).toMatchObject({
      ok: true,
    });

    // A tells B with a CAEP session-revoked Security Event Token.
    const set = await a.issueSessionRevoked(root.id, { audience: "service-b" });
    const accepted = await b.request("event", { set });
    expect(accepted).toMatchObject({
      ok: true,
      event: { contextId: root.id, reason: "agent went rogue", issuer: ISS },
    });
    const jti = (accepted.event as { jti: string }).jti;

    // From then on B denies the child's calls and refuses its token.
    expect(
      await b.request("call", { contextId: child.id, table: "customers", columns: ["name"] }),
    ).toMatchObject({
      ok: false,
      code: "ERR_DENIED",
      reason: "context.revoked",
    });
    expect(await b.request("verify", { token })).toMatchObject({ ok: false, code: "ERR_TOKEN_REVOKED" });
    expect(await b.request("verify", { token })).toMatchObject({ ok: false, code: "ERR_TOKEN_REVOKED" });
    expect(await b.request("verify", { token: rootToken })).toMatchObject({
      ok: false,
      code: "ERR_TOKEN_REVOKED",
    });

    // B's own audit trail records the revocation and names the event.
    const audit = await b.request("audit");
    const revoked = audit.revoked as AuditEvent[];
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ type: "context.revoked", "mandate.context.id": root.id });
    expect(JSON.stringify(revoked[0]?.["mandate.detail"])).toContain(jti);
    expect(audit.revokedEvents).toEqual([[root.id, expect.stringContaining(jti)]]);

    // The same event again changes nothing.
    expect(await b.request("event", { set })).toMatchObject({ ok: true });
    expect(((await b.request("audit")).revoked as AuditEvent[]).length).toBe(1);
    expect(CAEP_SESSION_REVOKED).toMatch(/^https:\/\/schemas\.openid\.net\//);
  }, 60_000);

  it("refuses a security event forged with a key outside A's JWKS", async () => {
    const mallory = await generateSigningKey("EdDSA");
    const forger = createMandate({ roles, tools: [lookup], tokens: { signing: mallory, issuer: ISS } });
    const answer = await b.request("event", {
      set: await forger.issueSessionRevoked("01JGGVSAG0YWWNMGW6YGX3700C"),
    });
    expect(answer).toMatchObject({ ok: false, code: "ERR_TOKEN_KID" });
  }, 30_000);

  it("exits when asked, and the harness notices", async () => {
    expect(await b.request("exit")).toMatchObject({ ok: true });
    expect(await b.exited).toBe(0);
    await expect(b.request("audit")).rejects.toThrow(/exited|channel|ERR_IPC/i);
  }, 30_000);
});
