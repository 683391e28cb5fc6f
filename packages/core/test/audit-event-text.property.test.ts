/**
 * The audit trail writes each event's canonical text itself, key by key, with a context's fixed
 * fields encoded once (event-builders.ts), instead of canonicalising the finished object. This
 * property holds that shortcut to the definition: for any identity, tenant, tool-call id, reasoning
 * link, arguments, output and error — strings with quotes, control characters, lone surrogates,
 * integer-like and unsorted keys — the line written is the canonical JSON of the event object as
 * an independent encoder writes it, and the hash is SHA-256 over it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AuditEvent,
  createMandate,
  DeniedError,
  defineTool,
  eventLine,
  memoryAuditSink,
} from "../src/index.js";
import { canon, sha256 } from "./fixtures/independent-hash.js";

/** Any text, lone surrogates included. */
const text = fc.string({ unit: "binary", maxLength: 40 });
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => (v === undefined ? null : v));
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);

const echo = defineTool<{ payload: unknown }>({
  name: "echo",
  action: "net.echo",
  inspect: (a) => [
    { action: "net.echo", resource: "svc/echo", data: [], facts: { payload: a.payload } as never },
  ],
});
const other = defineTool({ name: "other", action: "net.other", resource: "svc/other" });

describe("an event's line is the canonical JSON of the event, whatever its fields hold", () => {
  it("holds for decision, outcome and lifecycle events of random identities, calls and results", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name,
          sponsor: name.map((n) => `user:${n}`),
          tenant: fc.option(
            text.filter((t) => t.length > 0),
            { nil: undefined },
          ),
          callId: fc.option(
            text.filter((t) => t.length > 0),
            { nil: undefined },
          ),
          reasoning: fc.option(
            fc.record(
              {
                traceId: text,
                stepId: text,
                parentStepId: text,
                conversationId: text,
                rationaleDigest: text,
              },
              { requiredKeys: [] },
            ),
            { nil: undefined },
          ),
          payload: json,
          output: json,
          error: fc.option(text, { nil: undefined }),
          denied: fc.boolean(),
        }),
        async (c) => {
          const sink = memoryAuditSink();
          const mandate = createMandate({
            roles: { r: [{ action: "net.*", resource: "svc/**" }] },
            tools: [echo, other],
            audit: { sink },
          });
          const agent = mandate.identity({
            name: c.name,
            sponsor: c.sponsor,
            roles: ["r"],
            ...(c.tenant === undefined ? {} : { tenant: c.tenant }),
          });
          const ctx = await mandate.declare(agent, {
            purpose: "echo things",
            allow: [{ action: "net.echo", resource: "svc/echo" }],
          });
          const options = {
            ...(c.callId === undefined ? {} : { callId: c.callId }),
            ...(c.reasoning === undefined ? {} : { reasoning: c.reasoning }),
          };
          const run = ctx.guard(c.denied ? other : echo, () => {
            if (c.error !== undefined) throw new Error(c.error);
            return c.output;
          });
          await run({ payload: c.payload }, options).catch((err: unknown) => {
            if (!(err instanceof DeniedError) && c.error === undefined) throw err;
          });
          await ctx.revoke("done");
          await mandate.close();

          expect(sink.events.length).toBeGreaterThanOrEqual(4);
          for (const e of sink.events as AuditEvent[]) {
            const keys = Object.keys(e);
            expect(keys).toEqual([...keys].sort());
            const { "mandate.hash": hash, ...rest } = e;
            const canonical = canon(rest);
            expect(hash).toBe(sha256(canonical));
            expect(eventLine(e)).toBe(`{"mandate.hash":"${hash}",${canonical.slice(1)}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
