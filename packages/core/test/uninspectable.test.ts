import { describe, expect, it, vi } from "vitest";
import { type Access, type AnyTool, defineTool, uninspectable, urlInspector } from "../src/index.js";
import { bot, denial, eventsOf, setup } from "./helpers.js";

const fetchRoles = { fetcher: [{ action: "http.*", resource: "https://**" }] };
const fetcher = { ...bot, roles: ["fetcher"] };
const fetchIntent = {
  purpose: "read the public API",
  allow: [{ action: "http.get", resource: "https://api.example.com/**" }],
};

interface Case {
  readonly name: string;
  readonly tool: AnyTool;
  readonly args: unknown;
}

const cases: Case[] = [
  {
    name: "the inspector throws",
    tool: defineTool<{ url: string }>({
      name: "throws",
      action: "http.get",
      inspect: () => {
        throw new Error("cannot parse");
      },
    }),
    args: { url: "https://api.example.com/v1" },
  },
  {
    name: "the inspector returns no access",
    tool: defineTool<{ url: string }>({ name: "empty", action: "http.get", inspect: () => [] }),
    args: { url: "https://api.example.com/v1" },
  },
  {
    name: "the inspector returns a malformed access",
    tool: defineTool<{ url: string }>({
      name: "malformed",
      action: "http.get",
      inspect: () => [{ action: "http.get", resource: "https://api.example.com/v1" } as unknown as Access],
    }),
    args: { url: "https://api.example.com/v1" },
  },
  {
    name: "the inspector returns something that is not an array",
    tool: defineTool<{ url: string }>({
      name: "not_array",
      action: "http.get",
      inspect: () => ({ action: "http.get" }) as unknown as Access[],
    }),
    args: { url: "https://api.example.com/v1" },
  },
  {
    name: "the inspector itself reports an uninspectable argument",
    tool: defineTool<{ url: string }>({
      name: "self_report",
      action: "http.get",
      inspect: () => [uninspectable("http.get", "url", "opaque handle")],
    }),
    args: { url: "https://api.example.com/v1" },
  },
  {
    name: "urlInspector sees credentials in the URL",
    tool: defineTool<Record<string, unknown>>({ name: "fetch", action: "http.get", inspect: urlInspector() }),
    args: { url: "https://user:secret@api.example.com/v1/users" },
  },
  {
    name: "a resource function maps the arguments to an empty resource",
    tool: defineTool<{ path?: string }>({
      name: "blank",
      action: "http.get",
      resource: ({ path }) => path ?? "",
    }),
    args: {},
  },
];

describe("uninspectable arguments", () => {
  it.each(cases)(
    "denies with access.uninspectable and never calls the tool when $name",
    async ({ tool, args }) => {
      const { mandate, sink } = setup({ roles: fetchRoles, tools: [] });
      const ctx = await mandate.declare(fetcher, fetchIntent);
      const fn = vi.fn(() => "fetched");
      const guarded = ctx.guard(tool, fn);

      const err = await denial(guarded(args as never, { callId: "c-u" }));

      expect(err.decision.effect).toBe("deny");
      expect(err.decision.reasons.map((r) => r.code)).toContain("access.uninspectable");
      expect(fn).not.toHaveBeenCalled();
      await mandate.flush();
      expect(eventsOf(sink.events, "tool.decision", "c-u")[0]?.["mandate.decision"]).toBe("deny");
      expect(eventsOf(sink.events, "tool.outcome", "c-u")).toHaveLength(0);
    },
  );

  it("names the argument urlInspector could not understand", async () => {
    const { mandate } = setup({ roles: fetchRoles, tools: [] });
    const ctx = await mandate.declare(fetcher, fetchIntent);
    const tool = defineTool<Record<string, unknown>>({
      name: "fetch",
      action: "http.get",
      inspect: urlInspector(),
    });

    const d = ctx.check({ tool, args: { url: "https://user:pw@api.example.com/" } });

    expect(d.reasons[0]).toMatchObject({ code: "access.uninspectable", access: 0 });
    expect(d.reasons[0]?.message).toContain('"url"');
    expect(d.reasons[0]?.message).toContain("credentials");
  });

  it("allows the same tool on a clean URL inside the intent", async () => {
    const { mandate } = setup({ roles: fetchRoles, tools: [] });
    const ctx = await mandate.declare(fetcher, fetchIntent);
    const tool = defineTool<Record<string, unknown>>({
      name: "fetch",
      action: "http.get",
      inspect: urlInspector(),
    });
    const guarded = ctx.guard(tool, () => "ok");

    await expect(guarded({ url: "https://api.example.com/v1/users" })).resolves.toBe("ok");
  });
});
