import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateSigningKey } from "@mandate/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { runScenario, type Scenario } from "./scenario.js";

let s: Scenario;

beforeAll(async () => {
  s = await runScenario();
});

/** Flips one character of the signature. */
function forge(jwt: string): string {
  const [h, p, sig] = jwt.split(".") as [string, string, string];
  const c = sig[10] === "A" ? "B" : "A";
  return `${h}.${p}.${sig.slice(0, 10)}${c}${sig.slice(11)}`;
}

describe("mandate token inspect", { timeout: 60_000 }, () => {
  it("decodes a context token without trusting it, with the delegation chain root first", async () => {
    const r = await runCli(["token", "inspect", s.childToken]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^token {7}mandate-ctx\+jwt — context token {2}alg EdDSA {2}kid mandate-/);
    expect(r.stdout).toContain(`subject     ${s.childContextId}`);
    expect(r.stdout).toContain('purpose     "count distinct customer names" (enforce mode)');
    expect(r.stdout).toContain("scope       db.read crm/customers [customer.name]");
    expect(r.stdout).toContain("delegation chain (root first, from the nested act claims; NOT verified):");
    expect(r.stdout).toMatch(
      new RegExp(
        `  ${s.contextId}  support-bot@1\\.0\\.0 \\(sponsor user:alice\\)  "find all customer names"[^\\n]*\\n` +
          `     └─ ${s.childContextId}  name-counter@0\\.3\\.0 \\(sponsor user:alice\\)  "count distinct customer names"[^\\n]*\\n` +
          `        delegated by context ${s.contextId}, agent ${s.agentId}, sponsor user:alice`,
      ),
    );
    expect(r.stdout).toContain('"mandate:token": "eyJ');
    expect(r.stdout).toContain(
      "verdict     NOT VERIFIED — decoded without trusting it; pass --keys <jwks.json> to verify",
    );
  });

  it("verifies with --keys using Mandate's verification", async () => {
    const r = await runCli(["token", "inspect", s.childToken, "--keys", s.jwksFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("delegation chain (root first, from the nested act claims):");
    expect(r.stdout).toContain(
      "verdict     VALID — 2 links: signatures, times, claims, chain and attenuation verified",
    );
    const id = await runCli(["token", "inspect", s.identityToken, "--keys", s.jwksFile]);
    expect(id.code).toBe(0);
    expect(id.stdout).toContain("mandate-id+jwt — identity token");
    expect(id.stdout).toContain("verdict     VALID — identity support-bot");
  });

  it("exits 1 with the ERR_TOKEN_* code when the token does not verify", async () => {
    const other = await generateSigningKey();
    const keys = join(s.dir, "other.json");
    await writeFile(keys, JSON.stringify({ keys: [other.publicJwk] }));
    const [forged, untrusted, json] = await Promise.all([
      runCli(["token", "inspect", forge(s.childToken), "--keys", s.jwksFile]),
      runCli(["token", "inspect", s.childToken, "--keys", keys]),
      runCli(["token", "inspect", forge(s.identityToken), "--keys", s.jwksFile, "--json"]),
    ]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain("verdict     INVALID ERR_TOKEN_SIGNATURE: the signature does not verify");
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/verdict {5}INVALID ERR_TOKEN_KID: kid \S+ is not trusted/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verified: false,
      verdict: { valid: false, code: "ERR_TOKEN_SIGNATURE" },
      header: { typ: "mandate-id+jwt" },
    });
  });

  it("reads the token from stdin with - and from a file with @", async () => {
    const file = join(s.dir, "token.txt");
    await writeFile(file, `${s.identityToken}\n`);
    const [stdin, fromFile] = await Promise.all([
      runCli(["token", "inspect", "-", "--json"], { input: `${s.childToken}\n` }),
      runCli(["token", "inspect", `@${file}`]),
    ]);
    expect(stdin.code).toBe(0);
    const decoded = JSON.parse(stdin.stdout);
    expect(decoded.chain.map((l: { purpose: string }) => l.purpose)).toEqual([
      "find all customer names",
      "count distinct customer names",
    ]);
    expect(decoded.verified).toBeNull();
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain("agent       support-bot@1.0.0");
  });

  it("exits 2 when the input is not a JWT", async () => {
    const [junk, missing, empty] = await Promise.all([
      runCli(["token", "inspect", "not-a-token"]),
      runCli(["token", "inspect", `@${join(s.dir, "none.txt")}`]),
      runCli(["token", "inspect", "-"], { input: "" }),
    ]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("token inspect: not a compact JWT (ERR_TOKEN_MALFORMED)");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("token file not found");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("the token is empty");
  });
});
