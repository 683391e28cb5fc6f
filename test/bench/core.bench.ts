import assert from "node:assert/strict";
import { createMandate, DeniedError, defineTool, type Scope } from "@mandate/core";
import { timeAsync, timeSync } from "./measure.js";
import { createAgtPeer } from "./peer-agt.js";

/** Ten scope entries, the matching one last, as a realistic intent would have. */
const INTENT_SCOPE: Scope = [
  { action: "http.get", resource: "https://api.example.com/v1/**" },
  { action: "email.send", resource: "mailto:*@example.com", where: { subject: { maxLength: 200 } } },
  { action: "file.read", resource: "file:/srv/reports/**", data: ["report.**"] },
  { action: "db.read", resource: "crm/orders", data: ["order.*"] },
  { action: "db.read", resource: "crm/tickets", data: ["ticket.*"] },
  { action: "db.write", resource: "crm/tickets", data: ["ticket.status"] },
  { action: "calendar.read", resource: "calendar/alice/**" },
  { action: "search.web", resource: "https://search.example.com/**" },
  { action: "db.read", resource: "crm/products", data: ["product.*"] },
  { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
];

const CEILING: Scope = [{ action: "**", resource: "**", data: ["**"] }];

/**
 * The core issue's figures: check latency (allow path, 10-entry intent, context 3 deep, audit on),
 * the overhead of a guarded no-op, a hand-written baseline of the same decision, and the nearest
 * TypeScript peer on an equivalent allow rule — all in this one process, on the same run.
 */
export async function coreBench(): Promise<Record<string, number>> {
  const lookup = defineTool<{ table: string }>({
    name: "lookup",
    action: "db.read",
    inspect: (a) => [{ action: "db.read", resource: `crm/${a.table}`, data: ["customer.name"] }],
  });
  const mandate = createMandate({ roles: { bench: CEILING }, tools: [lookup] });
  const identity = mandate.identity({ name: "support-bot", sponsor: "user:alice", roles: ["bench"] });
  const root = await mandate.declare(identity, { purpose: "bench root", allow: INTENT_SCOPE });
  const mid = await root.delegate(identity, { purpose: "bench child", allow: INTENT_SCOPE });
  const leaf = await mid.delegate(identity, { purpose: "find all customer names", allow: INTENT_SCOPE });
  assert.equal(leaf.depth, 2);

  const call = { tool: "lookup", args: { table: "customers" }, callId: "bench-call" };
  const denied = leaf.check({ tool: "lookup", args: { table: "employees" } });
  assert.equal(denied.effect, "deny", "the bench rule must be a real rule: other tables are denied");
  assert.equal(leaf.check(call).effect, "allow");

  const check = await timeSync(() => leaf.check(call), 200_000, 50_000);

  const noop = async (_a: { table: string }) => 1;
  const guarded = leaf.guard(lookup, noop);
  const args = { table: "customers" };
  await assert.rejects(leaf.guard(lookup, noop)({ table: "employees" }), DeniedError);
  const plain = await timeAsync(() => noop(args), 100_000, 20_000);
  const guardedCall = await timeAsync(() => guarded(args, { callId: "bench-call" }), 100_000, 20_000);
  await mandate.flush();

  // The same decision written by hand: a Map from action to precompiled matchers.
  const byAction = new Map<string, { resource: string; data: Set<string> }[]>();
  for (const e of INTENT_SCOPE) {
    const list = byAction.get(e.action) ?? [];
    list.push({ resource: e.resource, data: new Set(e.data ?? []) });
    byAction.set(e.action, list);
  }
  const handwritten = (action: string, resource: string, data: string): boolean =>
    byAction.get(action)?.some((e) => e.resource === resource && e.data.has(data)) ?? false;
  assert.equal(handwritten("db.read", "crm/employees", "customer.name"), false);
  const baseline = await timeSync(
    () => handwritten("db.read", "crm/customers", "customer.name"),
    200_000,
    50_000,
  );

  const peer = await createAgtPeer();
  assert.ok(await peer.denyCheck(), "the peer must deny outside its rule");
  // The peer keeps 10,000 audit entries in memory and slows down once that log is full; any
  // long-running agent lives in that regime, so it is warmed past it before timing.
  const peerFast = await timeAsync(peer.run, 5_000, 1_000);
  const peerSteady = await timeAsync(peer.run, 50_000, 15_000);
  await mandate.close();

  return {
    "guard.check.p50_us": check.p50,
    "guard.check.p99_us": check.p99,
    "guard.check.ops_per_s": check.opsPerSec,
    "guard.call.p50_us": guardedCall.p50 - plain.p50,
    "guard.call.p99_us": guardedCall.p99,
    "baseline.handwritten.p50_us": baseline.p50,
    "baseline.unguarded_async_call.p50_us": plain.p50,
    "peer.agt.execute.p50_us": peerSteady.p50,
    "peer.agt.execute.p99_us": peerSteady.p99,
    "peer.agt.execute.first_6k.p50_us": peerFast.p50,
    "ratio.peer_agt_over_check.p50": peerSteady.p50 / check.p50,
    "ratio.peer_agt_over_guarded_call.p50": peerSteady.p50 / guardedCall.p50,
  };
}
