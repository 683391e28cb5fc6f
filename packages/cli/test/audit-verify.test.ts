import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateSigningKey } from "@mandate/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { runScenario, type Scenario } from "./scenario.js";

let s: Scenario;
let lines: string[];

beforeAll(async () => {
  s = await runScenario();
  lines = (await readFile(s.file, "utf8")).trimEnd().split("\n");
});

/** The line number (1-based) of the first event matching `test`. */
function lineOf(test: (e: Record<string, unknown>) => boolean): number {
  return lines.findIndex((l) => test(JSON.parse(l) as Record<string, unknown>)) + 1;
}

async function variant(name: string, content: string[], withCheckpoint = true): Promise<string> {
  const path = join(s.dir, name);
  await writeFile(path, `${content.join("\n")}\n`);
  if (withCheckpoint) await writeFile(`${path}.checkpoint`, await readFile(s.checkpointFile));
  return path;
}

describe("mandate audit verify", { timeout: 60_000 }, () => {
  it("exits 0 on an intact trail, checking signatures with --keys and the checkpoint file beside it", async () => {
    const r = await runCli(["audit", "verify", s.file, "--keys", s.jwksFile]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${s.file}: VERIFIED — ${lines.length} events in 1 stream; hash chain intact`);
    expect(r.stdout).toContain(`checkpoint signatures: checked against ${s.jwksFile}`);
    expect(r.stdout).toContain(`checkpoint file: ${s.checkpointFile}`);
    expect(r.stdout).toContain("closed by a final checkpoint");
  });

  it("says when signatures were not checked, and prints JSON with --json", async () => {
    const r = await runCli(["audit", "verify", s.file, "--json"]);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ ok: true, events: lines.length, problems: [], signaturesChecked: false });
    expect(v.checkpointFile).toBe(s.checkpointFile);
    const text = await runCli(["audit", "verify", s.file]);
    expect(text.stdout).toContain("checkpoint signatures: NOT checked");
  });

  it("exits 1 on an altered event and names its line and seq", async () => {
    const at = lineOf((e) => e["mandate.decision"] === "deny");
    const tampered = lines.map((l, i) =>
      i === at - 1 ? l.replace('"mandate.decision":"deny"', '"mandate.decision":"allow"') : l,
    );
    const path = await variant("altered.jsonl", tampered);
    const r = await runCli(["audit", "verify", path, "--keys", s.jwksFile]);
    expect(r.code).toBe(1);
    const seq = (JSON.parse(lines[at - 1] as string) as { seq: number }).seq;
    expect(r.stdout).toContain(`${path}: BROKEN — 1 problem`);
    expect(r.stdout).toMatch(
      new RegExp(`altered\\s+line ${at}, seq ${seq}, stream \\S+: event ${seq} does not match its hash`),
    );
    const json = await runCli(["audit", "verify", path, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems).toEqual([
      expect.objectContaining({ kind: "altered", line: at, seq, message: expect.any(String) }),
    ]);
  });

  it("exits 1 on a deleted event, a reordering and a truncated tail", async () => {
    const deleted = await variant(
      "deleted.jsonl",
      lines.filter((_, i) => i !== 2),
    );
    const r1 = await runCli(["audit", "verify", deleted]);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toMatch(/deleted\s+seq 3, stream \S+: event 3 missing/);

    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4] as string, swapped[3] as string];
    const r2 = await runCli(["audit", "verify", await variant("reordered.jsonl", swapped)]);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/reordered\s+line 5, seq 4/);

    const truncated = await variant("truncated.jsonl", lines.slice(0, 5));
    const r3 = await runCli(["audit", "verify", truncated]);
    expect(r3.code).toBe(1);
    expect(r3.stdout).toMatch(
      /truncated\s+seq 6, stream \S+: the log ends at event 5, but (a signed checkpoint vouches for|the checkpoint kept outside it is event)/,
    );
    // Without the checkpoint file the truncation cannot be seen, and the output says so.
    const alone = await runCli(["audit", "verify", truncated, "--no-checkpoint"]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain("checkpoint file: none (a truncated tail after the last checkpoint");
  });

  it("exits 1 when the checkpoint is signed by another key", async () => {
    const other = await generateSigningKey();
    const keys = join(s.dir, "other-jwks.json");
    await writeFile(keys, JSON.stringify({ keys: [other.publicJwk] }));
    const r = await runCli(["audit", "verify", s.file, "--keys", keys]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad_signature\s+line \d+, seq \d+/);
  });

  it("reports a torn last line without calling it tampering", async () => {
    const torn = [...lines, '{"mandate.hash":"sha256:0","seq":9'];
    const r = await runCli(["audit", "verify", await variant("torn.jsonl", torn, false)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`note: line ${torn.length} is torn`);
  });

  it("shows progress on stderr with --progress", async () => {
    // Blank lines count as lines read: 100,000 of them make the progress line appear quickly.
    const path = join(s.dir, "long.jsonl");
    await writeFile(path, `${lines.join("\n")}\n${"\n".repeat(100_000)}`);
    const r = await runCli(["audit", "verify", path, "--progress", "--no-checkpoint"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`verifying ${path}: 100,000 lines read\n`);
  });

  it("exits 2 on usage and input errors, with a helpful message", async () => {
    const missing = await runCli(["audit", "verify", join(s.dir, "nope.jsonl")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`mandate: audit file not found: ${join(s.dir, "nope.jsonl")}`);

    const notJsonl = join(s.dir, "notes.txt");
    await writeFile(notJsonl, "these are\nnot audit events\n");
    const bad = await runCli(["audit", "verify", notJsonl]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "is not a Mandate audit trail: no line is an audit event (line 1: not JSON)",
    );

    const jsonNotEvents = join(s.dir, "objects.jsonl");
    await writeFile(jsonNotEvents, '{"a":1}\n{"b":2}\n');
    expect((await runCli(["audit", "verify", jsonNotEvents])).code).toBe(2);

    const keys = join(s.dir, "bad-keys.json");
    await writeFile(keys, "not json");
    const badKeys = await runCli(["audit", "verify", s.file, "--keys", keys]);
    expect(badKeys.code).toBe(2);
    expect(badKeys.stderr).toContain(`key file ${keys} is not JSON`);

    const noCheckpoint = await runCli(["audit", "verify", s.file, "--checkpoint", join(s.dir, "none")]);
    expect(noCheckpoint.code).toBe(2);
    expect(noCheckpoint.stderr).toContain("checkpoint file not found");

    const noFile = await runCli(["audit", "verify"]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("audit verify: missing <file>");
    expect(noFile.stderr).toContain("Usage: mandate audit verify <file>");

    const dir = await runCli(["audit", "verify", s.dir]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain("is a directory");
  });
});
