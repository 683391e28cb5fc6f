import assert from "node:assert/strict";
import { type AgentContext, createMandate, defineTool, generateSigningKey, type Scope } from "@mandate/core";
import { timeAsync, timeSync } from "./measure.js";

const SCOPE: Scope = [{ action: "db.read", resource: "crm/**", data: ["customer.**"] }];
const ping = defineTool<Record<string, never>>({
  name: "ping",
  action: "db.read",
  resource: "crm/customers",
  data: ["customer.name"],
});

/**
 * The context issue's figures: revoking a root with 100,000 descendants (the store write and the
 * in-process reaction, which must not depend on the subtree's size), a check at depth 16, and
 * context-token verification with and without the verified-token cache.
 */
export async function contextBench(): Promise<Record<string, number>> {
  const mandate = createMandate({ roles: { r: SCOPE }, tools: [ping], maxDepth: 16 });
  const id = mandate.identity({ name: "bench-bot", sponsor: "user:alice", roles: ["r"] });

  // Three roots, each with 100,000 descendants (10 children each, five levels): the figure is the
  // median of revoking each root, so one GC pause does not decide it.
  const trees: { root: AgentContext; leaf: AgentContext }[] = [];
  for (let t = 0; t < 3; t++) {
    const root = await mandate.declare(id, { purpose: "bench root", allow: SCOPE });
    let level: AgentContext[] = [root];
    let descendants = 0;
    let leaf = root;
    while (descendants < 100_000) {
      const next: AgentContext[] = [];
      for (const parent of level) {
        for (let i = 0; i < 10 && descendants < 100_000; i++) {
          next.push(await parent.delegate(id, { purpose: "bench child", allow: SCOPE }));
          descendants++;
        }
      }
      level = next;
      leaf = next[next.length - 1] as AgentContext;
    }
    trees.push({ root, leaf });
    await mandate.flush(); // the 100,000 delegation events drain before timing
  }
  for (const { leaf } of trees) {
    const before = leaf.check({ tool: "ping", args: {} });
    assert.equal(before.effect, "allow", JSON.stringify(before.reasons));
  }
  // Warm the revoke path on contexts with no descendants, timing those too: the big revocation
  // must cost what a leaf's does.
  const singles: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const lone = await mandate.declare(id, { purpose: "lone", allow: SCOPE });
    const s0 = performance.now();
    await mandate.revoke(lone.id, "bench");
    singles.push((performance.now() - s0) * 1000);
    if (i % 100 === 0) await mandate.flush();
  }
  await mandate.flush();
  const bigs: number[] = [];
  for (const { root, leaf } of trees) {
    await mandate.flush();
    const t0 = performance.now();
    await mandate.revoke(root.id, "bench");
    bigs.push((performance.now() - t0) * 1000);
    assert.equal(leaf.check({ tool: "ping", args: {} }).reasons[0]?.code, "context.revoked");
  }
  const revokeUs = bigs.sort((a, b) => a - b)[1] as number;

  // A check 16 levels deep.
  let deep = await mandate.declare(id, { purpose: "deep root", allow: SCOPE });
  for (let d = 0; d < 16; d++) deep = await deep.delegate(id, { purpose: `level ${d + 1}`, allow: SCOPE });
  assert.equal(deep.depth, 16);
  const call = { tool: "ping", args: {}, callId: "bench" };
  assert.equal(deep.check(call).effect, "allow");
  const depth16 = await timeSync(() => deep.check(call), 100_000, 20_000);
  await mandate.close();

  // Tokens: a chain of 3 links (root → child → grandchild), verified by a second Mandate.
  const key = await generateSigningKey("EdDSA");
  const issuer = createMandate({ roles: { r: SCOPE }, tools: [ping], tokens: { signing: key } });
  const agent = issuer.identity({ name: "bench-bot", sponsor: "user:alice", roles: ["r"] });
  const r = await issuer.declare(agent, { purpose: "token root", allow: SCOPE, limits: { ttl: "1h" } });
  const c = await r.delegate(agent, { purpose: "token child", allow: SCOPE });
  const g = await c.delegate(agent, { purpose: "token grandchild", allow: SCOPE });
  const token = await g.token();
  const cold = createMandate({
    roles: { r: SCOPE },
    tools: [ping],
    tokens: { trusted: [issuer.jwks()], cacheSize: 0 },
  });
  const warm = createMandate({ roles: { r: SCOPE }, tools: [ping], tokens: { trusted: [issuer.jwks()] } });
  assert.equal((await warm.verifyContextToken(token)).check(call).effect, "allow");
  const uncached = await timeAsync(() => cold.verifyContextToken(token), 2_000, 200);
  const cached = await timeAsync(() => warm.verifyContextToken(token), 200_000, 20_000);

  return {
    "revoke.issue_100k.us": revokeUs,
    "revoke.issue_leaf.p50_us": singles.sort((a, b) => a - b)[singles.length >> 1] as number,
    "check.depth16.p50_us": depth16.p50,
    "check.depth16.p99_us": depth16.p99,
    "token.verify.uncached.p50_us": uncached.p50,
    "token.verify.uncached.p99_us": uncached.p99,
    "token.verify.cached.p50_us": cached.p50,
    "token.chain.links": 3,
    "token.bytes": token.length,
  };
}
