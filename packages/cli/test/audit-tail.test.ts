import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { finished, runCli, startCli } from "./run-cli.js";
import { runScenario, type Scenario } from "./scenario.js";

let s: Scenario;
let count: number;

beforeAll(async () => {
  s = await runScenario();
  count = (await readFile(s.file, "utf8")).trimEnd().split("\n").length;
});

/** Resolves once `read()` satisfies `test`, polling; rejects after `ms`. */
async function until(read: () => string, test: (text: string) => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test(read())) {
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("mandate audit tail", { timeout: 60_000 }, () => {
  it("prints the last events as one-liners, deviations flagged", async () => {
    const r = await runCli(["audit", "tail", s.file, "-n", "100"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(count);
    expect(lines[0]).toMatch(/^\S+Z +#1 identity\.issued +support-bot issued for user:alice roles analyst/);
    expect(r.stdout).toMatch(
      /#\d+ tool\.decision +support-bot ctx \S+ lookup → DENY DEVIATION db\.read crm\/employees \[employee\.name, employee\.salary\] · intent\.data_undeclared employee\.name, intent\.data_undeclared employee\.salary/,
    );
    expect(r.stdout).toMatch(/intent\.declared +support-bot ctx \S+ declares "find all customer names"/);
    expect(r.stdout).toMatch(/approval\.granted +newsletter-bot ctx \S+ lookup approval granted/);
    expect(r.stdout).toMatch(
      /context\.revoked +support-bot ctx \S+ revoked: investigating the salary lookup/,
    );
    expect(r.stdout).toMatch(/audit\.checkpoint +stream \S+ checkpoint at seq \d+ \(final\), signed/);
  });

  it("prints 10 events by default, -n N of them, and JSON lines with --json", async () => {
    const [def, three, json] = await Promise.all([
      runCli(["audit", "tail", s.file]),
      runCli(["audit", "tail", s.file, "-n", "3"]),
      runCli(["audit", "tail", s.file, "-n", "2", "--json"]),
    ]);
    expect(def.stdout.trimEnd().split("\n")).toHaveLength(10);
    expect(three.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(three.stdout).toContain("audit.checkpoint");
    const events = json.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["context.revoked", "audit.checkpoint"]);
  });

  it("follows appended events until Ctrl-C, then exits 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-tail-"));
    const first = await runScenario(dir);
    const child = startCli(["audit", "tail", first.file, "--follow", "-n", "1", "--interval", "50"]);
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const done = finished(child);
    await until(
      () => out,
      (t) => t.includes("audit.checkpoint"),
    );
    expect(out.trimEnd().split("\n")).toHaveLength(1);
    // A second real run appends a new stream to the same file.
    const second = await runScenario(dir);
    await until(
      () => out,
      (t) =>
        t.includes(`ctx …${second.contextId.slice(-8)} declares "find all customer names"`) &&
        t.split("audit.checkpoint").length === 3,
    );
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.signal).toBeNull();
    expect(out.trimEnd().split("\n")).toHaveLength(1 + count);
  });

  it("escapes terminal control sequences from the trail", async () => {
    const path = join(s.dir, "evil.jsonl");
    const evil = {
      type: "intent.declared",
      seq: 1,
      time: "2026-01-01T00:00:00.000Z",
      "gen_ai.agent.name": "bot\u001b]0;pwned\u0007",
      "mandate.context.id": "c\u001b[2J",
      "mandate.detail": { intent: { purpose: "read \u001b[31mred\u001b[0m\nnext line \u202eevil" } },
    };
    await writeFile(path, `${JSON.stringify(evil)}\nnot json\n`);
    const r = await runCli(["audit", "tail", path]);
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none get through
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.stdout).toContain('declares "read \\u{1b}[31mred\\u{1b}[0m\\u{a}next line \\u{202e}evil"');
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toBe("line 2: not JSON (a torn or corrupted line)\n");
  });

  it("exits 2 on a bad count or a missing file", async () => {
    const [bad, missing] = await Promise.all([
      runCli(["audit", "tail", s.file, "-n", "ten"]),
      runCli(["audit", "tail", join(s.dir, "missing.jsonl")]),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('audit tail: -n must be a whole number, not "ten"');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("audit file not found");
  });
});
