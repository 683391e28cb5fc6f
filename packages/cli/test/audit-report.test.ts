import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IntentReport } from "@mandate/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { runScenario, type Scenario } from "./scenario.js";

let s: Scenario;

beforeAll(async () => {
  s = await runScenario();
});

describe("mandate audit report", { timeout: 60_000 }, () => {
  it("prints a text report: verdict, tree, intents with their deviations, agents", async () => {
    const r = await runCli(["audit", "report", s.file, "--keys", s.jwksFile]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain("trail     VERIFIED");
    expect(out).toContain("checkpoint signatures checked");
    expect(out).toMatch(
      /Delegation tree\n {2}├─ "find all customer names" {2}support-bot {2}\S+ \[revoked\]/,
    );
    expect(out).toMatch(/│ {2}└─ "count distinct customer names" {2}name-counter/);
    expect(out).toContain('Intent "find all customer names"');
    expect(out).toMatch(/DEVIATIONS \(2\)[\s\S]*lookup DENY {2}intent\.data_undeclared employee\.salary/);
    expect(out).toContain("status    revoked: investigating the salary lookup");
    expect(out).toContain(`status    revoked (through ancestor ${s.contextId})`);
    expect(out).toMatch(/approvals \(1\)\n.*lookup {2}granted/);
    expect(out).toMatch(/lookup ALLOW {2}intent\.data_undeclared employee\.salary/); // monitor mode
    expect(out).toMatch(/Agents\n {2}support-bot@1\.0\.0/);
  });

  it("prints JSON with --format json", async () => {
    const r = await runCli(["audit", "report", s.file, "--format", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as IntentReport;
    expect(report.verification?.ok).toBe(true);
    expect(report.source).toBe("audit.jsonl");
    const seed = report.intents.find((i) => i.contextId === s.contextId);
    expect(seed?.dataClasses.declared).toEqual(["customer.name"]);
    expect(seed?.deviations).toContainEqual(
      expect.objectContaining({
        code: "intent.data_undeclared",
        dataClass: "employee.salary",
        effect: "deny",
      }),
    );
    expect(report.tree.map((n) => n.purpose)).toEqual([
      "find all customer names",
      "collect customer e-mail addresses for the newsletter",
      "list employee names for the org chart",
    ]);
  });

  it("keeps one intent and what it delegated with --intent (intent id or context id)", async () => {
    const byIntent = await runCli(["audit", "report", s.file, "--intent", s.intentId, "--format", "json"]);
    expect(byIntent.code).toBe(0);
    const report = JSON.parse(byIntent.stdout) as IntentReport;
    expect(report.intents.map((i) => i.contextId)).toEqual([s.contextId, s.childContextId]);
    const byContext = await runCli([
      "audit",
      "report",
      s.file,
      "--intent",
      s.monitorContextId,
      "--format",
      "json",
    ]);
    expect((JSON.parse(byContext.stdout) as IntentReport).intents.map((i) => i.contextId)).toEqual([
      s.monitorContextId,
    ]);
  });

  it("writes an HTML page with --out (format from the extension)", async () => {
    const out = join(s.dir, "report.html");
    const r = await runCli(["audit", "report", s.file, "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`wrote html report to ${out} (4 intents, 2 deviating calls; trail verified)`);
    const html = await readFile(out, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<span class="dc">employee.salary</span>');
    expect(html).toContain("Trail verified.");
  });

  it("still reports a tampered trail, marked BROKEN at the top", async () => {
    const lines = (await readFile(s.file, "utf8")).trimEnd().split("\n");
    const path = join(s.dir, "tampered.jsonl");
    await writeFile(
      path,
      `${lines.map((l) => l.replace('"purpose":"find all customer names"', '"purpose":"find all customer names and salaries"')).join("\n")}\n`,
    );
    const r = await runCli(["audit", "report", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trail {5}BROKEN — \d+ problems? in \d+ events/);
    expect(r.stdout).toMatch(/altered at line 2, seq 2/);
    const html = await runCli(["audit", "report", path, "--format", "html"]);
    expect(html.stdout).toContain("Trail BROKEN");
    const unverified = await runCli(["audit", "report", path, "--no-verify"]);
    expect(unverified.stdout).toContain("NOT VERIFIED");
  });

  it("exits 2 on an unknown intent, a bad format and a file that is not a trail", async () => {
    const [unknown, format, notTrail, limit] = await Promise.all([
      runCli(["audit", "report", s.file, "--intent", "01NOPE"]),
      runCli(["audit", "report", s.file, "--format", "pdf"]),
      runCli(["audit", "report", join(s.dir, "jwks.json")]),
      runCli(["audit", "report", s.file, "--limit", "-1"]),
    ]);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain("audit report: ");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `no intent or context with id 01NOPE in ${s.file}; intents in this trail:`,
    );
    expect(unknown.stderr).toContain(`${s.intentId}  context ${s.contextId}  "find all customer names"`);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be one of text, json, html, not "pdf"');
    expect(notTrail.code).toBe(2);
    expect(notTrail.stderr).toContain("is not a Mandate audit trail");
  });
});
