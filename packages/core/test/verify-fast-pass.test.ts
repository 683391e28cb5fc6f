/**
 * `verifyAuditFile` first tries a fast pass that trusts the sealed line format for lines a signed
 * checkpoint vouches for, and leaves anything else to the exact pass, which parses every line.
 * These tests hold the fast pass to the exact one: on clean files it must answer, and answer the
 * same; on any tampered file its answer (or its giving up) must lead to the exact verdict.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMandate,
  defineTool,
  digestText,
  generateSigningKey,
  type JsonWebKeySet,
} from "../src/index.js";
import { jsonlAuditSink, verifyAuditFile } from "../src/node/index.js";
import { verifySealedFile } from "../src/node/verify-sealed-file.js";

const echo = defineTool<{ n: number; note: string }>({
  name: "echo",
  action: "net.echo",
  resource: "svc/echo",
});

let dir: string;
/** A log of two streams: one closed with a final checkpoint, one still open (a tail after its last checkpoint). */
let log: string;
let keys: JsonWebKeySet[];

async function writer(path: string, tenant: string, calls: number) {
  const mandate = createMandate({
    roles: { r: [{ action: "net.*", resource: "svc/**" }] },
    tools: [echo],
    audit: { sink: jsonlAuditSink({ path, fsync: "none" }), checkpointEvery: 64, batchSize: 50 },
    tokens: { signing: await generateSigningKey() },
  });
  const agent = mandate.identity({ name: "fast-pass", sponsor: "user:alice", roles: ["r"], tenant });
  const ctx = await mandate.declare(agent, {
    purpose: "echo notes",
    allow: [{ action: "net.echo", resource: "svc/echo" }],
  });
  for (let i = 0; i < calls; i++) {
    ctx.check({ tool: "echo", args: { n: i, note: `note "${i}" — ü \u2028` } });
    if (i % 40 === 0) await mandate.flush();
  }
  await mandate.flush();
  return mandate;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mandate-fast-"));
  const path = join(dir, "audit.jsonl");
  const closed = await writer(path, 'acme "east"', 300);
  await closed.close();
  const open = await writer(path, "acme-west", 250);
  // A snapshot while the second writer is still open: its stream ends after its last checkpoint.
  log = join(dir, "snapshot.jsonl");
  await copyFile(path, log);
  await copyFile(`${path}.checkpoint`, `${log}.checkpoint`);
  await open.close();
  keys = [closed.jwks(), open.jwks()];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exact = (path: string) => verifyAuditFile(path, { keys, fast: false });

describe("the fast pass of verifyAuditFile", () => {
  it("answers for a clean file of two streams, one still open, and its verdict is the exact pass's", async () => {
    const fast = await verifySealedFile(
      log,
      JSON.parse(`[${(await readFile(`${log}.checkpoint`, "utf8")).trim().split("\n").join(",")}]`),
      { keys },
    );
    expect(fast).toBeDefined();
    expect(fast?.ok).toBe(true);
    expect(fast?.streams).toHaveLength(2);
    expect(fast?.streams.map((s) => s.final)).toEqual([true, false]);
    expect(fast).toEqual(await exact(log));
    expect(await verifyAuditFile(log, { keys })).toEqual(await exact(log));
  });

  it("leaves a file without keys to the exact pass", async () => {
    expect(await verifySealedFile(log, [], {})).toBeUndefined();
  });

  it("gives the exact verdict for any tampering: altered, deleted, duplicated, swapped, rehashed or cut lines", async () => {
    const lines = (await readFile(log, "utf8")).split("\n").slice(0, -1);
    const side = await readFile(`${log}.checkpoint`, "utf8");
    const target = join(dir, "tampered.jsonl");
    await writeFile(`${target}.checkpoint`, side);
    const ops = ["alter", "delete", "duplicate", "swap", "rehash", "cut", "torn", "unjson"] as const;
    // Random sites, and the open stream's last line: no checkpoint vouches for it, so only a
    // parse can tell a well-formed line from a self-consistent forgery there.
    const tamper = fc.oneof(
      fc.record({
        op: fc.constantFrom(...ops),
        at: fc.nat({ max: lines.length - 2 }),
        ch: fc.nat({ max: 2000 }),
      }),
      fc.record({
        op: fc.constantFrom("rehash", "unjson"),
        at: fc.constant(lines.length - 1),
        ch: fc.nat({ max: 2000 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(tamper, async ({ op, at, ch }) => {
        const out = [...lines];
        const line = out[at] as string;
        const rehash = (text: string) => {
          const rest = text.slice(text.indexOf('",') + 2);
          return `{"mandate.hash":"${digestText(`{${rest}`)}",${rest}`;
        };
        let tail = "\n";
        if (op === "alter") {
          const i = 100 + (ch % (line.length - 101));
          out[at] = `${line.slice(0, i)}${line[i] === "a" ? "b" : "a"}${line.slice(i + 1)}`;
        } else if (op === "delete") out.splice(at, 1);
        else if (op === "duplicate") out.splice(at, 0, line);
        else if (op === "swap" && at + 1 < out.length) [out[at], out[at + 1]] = [out[at + 1] as string, line];
        else if (op === "rehash")
          out[at] = rehash(line.replace('"mandate.decision":"allow"', '"mandate.decision":"deny"'));
        else if (op === "cut") out.length = at + 1;
        else if (op === "torn") tail = `\n${line.slice(0, 1 + (ch % (line.length - 1)))}`;
        else out[at] = rehash(line.replace('"id":"', '"id":'));
        await writeFile(target, `${out.join("\n")}${tail}`);
        expect(await verifyAuditFile(target, { keys })).toEqual(await exact(target));
      }),
      { numRuns: 60 },
    );
  });
});
