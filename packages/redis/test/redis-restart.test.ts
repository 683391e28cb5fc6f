/**
 * Fault test: a Redis server stopped (`shutdown nosave`: its data is lost) and restarted mid-run,
 * while a Mandate checks calls in a loop. The test runs its own Redis on a free port, started with
 * the CI command line, so that stopping it never disturbs the shared server other tests use; it
 * stops that server in `afterAll` whatever happens.
 *
 * What must hold: no call is allowed from a view staler than the bound while the server is down;
 * after the restart the views resynchronise before they are fresh, and the state is right again —
 * the revocation made before the crash is back in Redis (put back by the views) and seen by a new
 * process.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createMandate, defineTool, newId } from "@mandate/core";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisRevocationStore, redisRevocationStore } from "../src/index.js";
import { closeClients, newClient, sleep } from "./helpers.js";

const run = promisify(execFile);
let port = 0;
let dir = "";
const url = () => `redis://127.0.0.1:${port}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

async function up(): Promise<boolean> {
  try {
    const { stdout } = await run("redis-cli", ["-p", String(port), "ping"], { timeout: 2_000 });
    return stdout.trim() === "PONG";
  } catch {
    return false;
  }
}

/** The CI's command line, on this test's port and folder. */
async function startServer(): Promise<void> {
  await run("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    join(dir, "redis.log"),
  ]);
  for (let i = 0; i < 200; i++) {
    if (await up()) return;
    await sleep(25);
  }
  throw new Error(`the test's Redis on port ${port} did not start`);
}

async function stopServer(): Promise<void> {
  await run("redis-cli", ["-p", String(port), "shutdown", "nosave"]).catch(() => {});
  for (let i = 0; i < 200 && (await up()); i++) await sleep(25);
}

afterAll(async () => {
  await closeClients();
  if (port !== 0) await stopServer();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

const ping = defineTool<Record<string, never>>({ name: "ping", action: "net.ping", resource: "net/ping" });
const roles = { pinger: [{ action: "net.ping", resource: "net/**" }] };
const agent = { name: "pinger", sponsor: "user:ops", roles: ["pinger"] };
const intent = { purpose: "ping", allow: [{ action: "net.ping", resource: "net/ping" }] };

describe("Redis stopped and restarted mid-run", () => {
  it("fails closed past the bound while Redis is down and is right again after the restart", async () => {
    // redis-server must be installed: a missing binary fails the test, loudly.
    port = await freePort();
    dir = await mkdtemp(join(tmpdir(), "mandate-redis-fault-"));
    await startServer();
    const bound = 400;
    const stores: RedisRevocationStore[] = [];
    const open = async () => {
      const s = redisRevocationStore({
        client: newClient({}, url()),
        prefix: "fault",
        staleAfterMs: bound,
        heartbeatMs: 50,
      });
      stores.push(s);
      await s.ready();
      return s;
    };
    try {
      const a = await open(); // the worker process's view
      const b = await open(); // the operator's
      const mandate = createMandate({ roles, tools: [ping], revocations: a });
      const root = await mandate.declare(agent, intent);
      const kept = await root.delegate(agent, intent);
      const victim = await root.delegate(agent, intent);
      await b.revoke(victim.id, {
        reason: "before the crash",
        at: Date.now(),
        expiresAt: Date.now() + 600_000,
      });
      const call = { tool: "ping", args: {} };
      for (let i = 0; i < 100 && victim.check(call).effect === "allow"; i++) await sleep(5);

      type Sample = { t: number; kept: string; victim: string };
      const samples: Sample[] = [];
      let sampling = true;
      const code = (d: ReturnType<typeof kept.check>) =>
        d.effect === "allow" ? "allow" : (d.reasons[0]?.code ?? "deny");
      const sampler = (async () => {
        while (sampling) {
          samples.push({
            t: performance.now(),
            kept: code(kept.check(call)),
            victim: code(victim.check(call)),
          });
          await sleep(1);
        }
      })();

      await sleep(100);
      await stopServer();
      // The server answered PINGs until it exited; by now it has (the last confirmation is older).
      const downAt = performance.now();
      // A revocation cannot be written while Redis is down: the write fails, it is not lost silently.
      await expect(b.revoke(newId(), { reason: "during the outage", at: Date.now() })).rejects.toThrow();
      await sleep(bound * 2);
      await startServer();
      const serverUpAt = performance.now();
      const deadline = performance.now() + 15_000;
      while (!(a.fresh && b.fresh) && performance.now() < deadline) await sleep(5);
      await sleep(50);
      sampling = false;
      await sampler;
      const freshAgain = a.fresh && b.fresh;
      await mandate.close(); // closes a too

      // 1. Nothing allowed from a view staler than the bound.
      const late = samples.filter((s) => s.t >= downAt + bound && s.t < serverUpAt && s.kept === "allow");
      expect(late).toEqual([]);
      expect(new Set(samples.map((s) => s.kept))).toContain("store.unavailable");
      // 2. The revoked context was never allowed, before, during or after.
      expect(samples.filter((s) => s.victim === "allow")).toEqual([]);
      // 3. Fresh again after the restart, with the right state: the kept context works again, the
      //    revocation is back in Redis (the server lost it) and a new process sees it.
      expect(freshAgain).toBe(true);
      expect(samples.at(-1)?.kept).toBe("allow");
      const admin = newClient({}, url());
      const record = await admin.hget(a.keys.state, victim.id);
      expect(JSON.parse(record as string)).toMatchObject({ state: "revoked", reason: "before the crash" });
      const c = await open();
      expect(c.status(victim.id)?.state).toBe("revoked");
      expect(c.status(kept.id)).toBeUndefined();
    } finally {
      for (const s of stores) await s.close();
    }
  }, 60_000);
});
