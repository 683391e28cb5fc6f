import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "./run-cli.js";

describe("mandate usage", { timeout: 60_000 }, () => {
  it("prints usage and exits 2 without a command, or with an unknown one", async () => {
    const [none, unknown, sub, option] = await Promise.all([
      runCli([]),
      runCli(["frobnicate"]),
      runCli(["audit", "shred", "x"]),
      runCli(["audit", "tail", "x", "--bogus"]),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^mandate: missing command\n\nmandate — /);
    expect(none.stderr).toContain("mandate audit verify <file>");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('mandate: unknown command "frobnicate"');
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown command "audit shred" (audit commands: verify, report, tail)');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("audit tail: Unknown option '--bogus'");
    expect(option.stderr).toContain("Usage: mandate audit tail <file>");
    for (const r of [none, unknown, sub, option]) expect(r.stdout).toBe("");
  });

  it("prints help and the version, exit 0", async () => {
    const [help, verifyHelp, version] = await Promise.all([
      runCli(["--help"]),
      runCli(["audit", "verify", "--help"]),
      runCli(["--version"]),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes: 0 ok · 1 verification failed");
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.stdout).toContain("--keys <jwks.json>");
    const pkg = JSON.parse(await readFile(join(ROOT, "packages/cli/package.json"), "utf8"));
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
