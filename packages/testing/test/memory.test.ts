/**
 * Core's embedded adapters against the conformance suites: the memory revocation store, the memory
 * audit sink and the JSONL file sink.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuditEvent, memoryAuditSink, memoryRevocationStore } from "@mandate/core";
import { type JsonlAuditSink, jsonlAuditSink } from "@mandate/core/node";
import { afterAll } from "vitest";
import { describeAuditSink, describeRevocationStore } from "../src/index.js";

describeRevocationStore("memory", () => memoryRevocationStore());

describeAuditSink(
  "memory",
  () => memoryAuditSink(),
  async (sink) => sink.events,
);

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describeAuditSink(
  "jsonl",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-conformance-"));
    dirs.push(dir);
    return jsonlAuditSink({ path: join(dir, "audit.jsonl"), fsync: "none" });
  },
  async (sink: JsonlAuditSink) => {
    const text = await readFile(sink.path, "utf8").catch(() => "");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as AuditEvent);
  },
);
