import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuditEvent, createMandate, newId } from "../src/index.js";
import { jsonlAuditSink } from "../src/node/index.js";
import { bot, customerNames, denial, lookup, roles, runLookup } from "./helpers.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mandate-jsonl-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function event(seq: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: newId(),
    "mandate.stream": "stream-1",
    seq,
    "mandate.prev": "sha256:prev",
    "mandate.hash": "sha256:hash",
    time: new Date(0).toISOString(),
    type: "tool.decision",
    "gen_ai.agent.id": newId(),
    "gen_ai.agent.name": "support-bot",
    "mandate.sponsor": "user:alice",
    ...extra,
  };
}

async function lines(path: string): Promise<unknown[]> {
  const text = await readFile(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("jsonlAuditSink", () => {
  it("writes one JSON object per line, in order", async () => {
    const path = join(dir, "audit.jsonl");
    const sink = jsonlAuditSink({ path });
    const events = [event(1), event(2, { "mandate.reasons": [{ code: "tool.unknown", message: "a\nb" }] })];

    await sink.write(events);
    await sink.write([event(3)]);
    await sink.close?.();

    const parsed = await lines(path);
    expect(parsed).toHaveLength(3);
    expect(parsed.slice(0, 2)).toEqual(events);
    expect(parsed.map((e) => (e as AuditEvent).seq)).toEqual([1, 2, 3]);
  });

  it("creates the folder of the file when it is missing", async () => {
    const path = join(dir, "deep", "er", "audit.jsonl");
    const sink = jsonlAuditSink({ path, fsync: "none" });

    await sink.write([event(1)]);
    await sink.close?.();

    expect((await stat(join(dir, "deep", "er"))).isDirectory()).toBe(true);
    expect(await lines(path)).toHaveLength(1);
  });

  it("does not create the file before the first write", async () => {
    const path = join(dir, "lazy.jsonl");
    const sink = jsonlAuditSink({ path });

    await sink.write([]);
    await sink.flush?.();
    await sink.close?.();

    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("appends, never truncates: two sinks on the same file keep each other's lines", async () => {
    const path = join(dir, "shared.jsonl");
    const first = jsonlAuditSink({ path });
    await first.write([event(1), event(2)]);
    await first.close?.();

    const second = jsonlAuditSink({ path });
    await second.write([event(1, { "gen_ai.agent.name": "second" })]);
    await second.close?.();

    const parsed = (await lines(path)) as AuditEvent[];
    expect(parsed).toHaveLength(3);
    expect(parsed.map((e) => e["gen_ai.agent.name"])).toEqual(["support-bot", "support-bot", "second"]);
  });

  it("appends from two sinks open on the same file at once", async () => {
    const path = join(dir, "both.jsonl");
    const a = jsonlAuditSink({ path });
    const b = jsonlAuditSink({ path });

    await a.write([event(1)]);
    await b.write([event(1), event(2)]);
    await a.write([event(2)]);
    await Promise.all([a.close?.(), b.close?.()]);

    expect(await lines(path)).toHaveLength(4);
  });

  it("records a Mandate's whole trail, readable once the Mandate is closed", async () => {
    const path = join(dir, "trail", "audit.jsonl");
    const mandate = createMandate({ roles, tools: [lookup], audit: jsonlAuditSink({ path }) });
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, runLookup);

    await query({ table: "customers", columns: ["name"] }, { callId: "c-ok" });
    await denial(query({ table: "employees", columns: ["salary"] }, { callId: "c-no" }));
    await mandate.close();

    const parsed = (await lines(path)) as AuditEvent[];
    expect(parsed.map((e) => e.type)).toEqual([
      "identity.issued",
      "intent.declared",
      "tool.decision",
      "tool.outcome",
      "tool.decision",
    ]);
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parsed.filter((e) => e.type === "tool.decision").map((e) => e["mandate.decision"])).toEqual([
      "allow",
      "deny",
    ]);
    expect(parsed[4]?.["mandate.reasons"]).toContainEqual(
      expect.objectContaining({ code: "intent.data_undeclared", dataClass: "employee.salary" }),
    );
  });
});
