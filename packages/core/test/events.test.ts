import { describe, expect, it } from "vitest";
import type { AgentContext, Decision } from "../src/index.js";
import { bot, customerNames, denial, lookup, runLookup, setup } from "./helpers.js";

const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };

describe("live events", () => {
  it("emits decision with the decision and the context for every guarded call and check", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const seen: [Decision, AgentContext | undefined][] = [];
    mandate.events.on("decision", (d, c) => seen.push([d, c]));
    const query = ctx.guard(lookup, runLookup);

    await query({ table: "customers", columns: ["name"] }, { callId: "a" });
    await denial(query({ table: "employees", columns: ["salary"] }, { callId: "b" }));
    const checked = ctx.check({
      tool: "lookup",
      args: { table: "customers", columns: ["name"] },
      callId: "c",
    });

    expect(seen.map(([d]) => [d.callId, d.effect])).toEqual([
      ["a", "allow"],
      ["b", "deny"],
      ["c", "allow"],
    ]);
    expect(seen.every(([, c]) => c === ctx)).toBe(true);
    expect(seen[2]?.[0]).toBe(checked);
  });

  it("emits deviation only for calls that stray from the intent, denied ones included", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const seen: [Decision, AgentContext][] = [];
    mandate.events.on("deviation", (d, c) => seen.push([d, c]));

    ctx.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } });
    ctx.check({ tool: "drop_database", args: {} }); // tool.unknown: a denial, not a deviation
    const strayed = ctx.check({ tool: "lookup", args: { table: "employees", columns: ["salary"] } });

    expect(seen).toEqual([[strayed, ctx]]);
    expect(strayed).toMatchObject({ effect: "deny", deviation: true });
  });

  it("emits revoked with the context id and the reason", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const child = await ctx.delegate(worker, customerNames);
    const seen: [string, string][] = [];
    mandate.events.on("revoked", (id, reason) => seen.push([id, reason]));

    await child.revoke("leaked key");
    await mandate.revoke(ctx.id);

    expect(seen).toEqual([
      [child.id, "leaked key"],
      [ctx.id, "revoked"],
    ]);
  });

  it("emits paused with the reason and resumed with the id", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const seen: unknown[][] = [];
    mandate.events.on("paused", (id, reason) => seen.push(["paused", id, reason]));
    mandate.events.on("resumed", (id) => seen.push(["resumed", id]));

    await ctx.pause("let me look");
    await ctx.resume();
    await mandate.pause(ctx.id);
    await mandate.resume(ctx.id);

    expect(seen).toEqual([
      ["paused", ctx.id, "let me look"],
      ["resumed", ctx.id],
      ["paused", ctx.id, "paused"],
      ["resumed", ctx.id],
    ]);
  });

  it("does not emit resumed for a context that was not paused", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const seen: string[] = [];
    mandate.events.on("resumed", (id) => seen.push(id));

    await ctx.resume();
    await ctx.revoke();
    await ctx.resume();

    expect(seen).toEqual([]);
  });
});
