/**
 * Shared set-up of the Redis tests: the server from MANDATE_TEST_REDIS_URL (default
 * redis://127.0.0.1:6379). A missing server fails the tests; it never skips them.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { newId } from "@mandate/core";
import { Redis, type RedisOptions } from "ioredis";
import {
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
  redisRevocationKeys,
  redisRevocationStore,
} from "../src/index.js";

export const REDIS_URL = process.env.MANDATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const url = new URL(REDIS_URL);
export const REDIS_HOST = url.hostname;
export const REDIS_PORT = Number(url.port || 6379);

const run = promisify(execFile);

/** Clients made by the tests, quit by {@link closeClients}. */
const clients = new Set<Redis>();

/** A client that retries fast (tests restart servers and cut proxies). */
export function newClient(options: RedisOptions = {}, url = REDIS_URL): Redis {
  const client = new Redis(url, {
    retryStrategy: () => 50,
    maxRetriesPerRequest: 2,
    ...options,
  });
  client.on("error", () => {});
  clients.add(client);
  return client;
}

export async function closeClients(): Promise<void> {
  for (const c of clients) c.disconnect();
  clients.clear();
}

let available: Promise<void> | undefined;

/**
 * Fails with a clear message when the server is not there. Run before each test (not once before
 * all), so that every test fails, rather than being reported as skipped.
 */
export function requireRedis(): Promise<void> {
  available ??= probeRedis();
  return available;
}

async function probeRedis(): Promise<void> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${String(err)}); the @mandate/redis tests need it. ` +
        "Start it (see .ci/run) or set MANDATE_TEST_REDIS_URL.",
    );
  } finally {
    probe.disconnect();
  }
}

const prefixes = new Set<string>();

/** A namespace of its own for each test (its keys are deleted by {@link dropPrefixes}). */
export function freshPrefix(): string {
  const prefix = `mandate-test-${newId()}`;
  prefixes.add(prefix);
  return prefix;
}

/** Deletes the keys of every namespace this test file made; call once its stores are closed. */
export async function dropPrefixes(): Promise<void> {
  const admin = newClient();
  for (const prefix of prefixes) {
    const keys = redisRevocationKeys(prefix);
    await admin.del(keys.state, keys.expiry, keys.meta);
  }
  prefixes.clear();
}

/** A store on a client of its own (another "process"), ready. */
export async function readyStore(
  prefix: string,
  options: Partial<RedisRevocationStoreOptions> = {},
): Promise<RedisRevocationStore> {
  const store = redisRevocationStore({ client: newClient(), prefix, ...options });
  await store.ready(10_000);
  return store;
}

/** Whether the local Redis answers PING. */
export async function redisUp(): Promise<boolean> {
  try {
    const { stdout } = await run("redis-cli", ["-h", REDIS_HOST, "-p", String(REDIS_PORT), "ping"], {
      timeout: 2_000,
    });
    return stdout.trim() === "PONG";
  } catch {
    return false;
  }
}

/** Stops the local Redis without saving (its data is lost, as on a crash without persistence). */
export async function stopRedis(): Promise<void> {
  await run("redis-cli", ["-h", REDIS_HOST, "-p", String(REDIS_PORT), "shutdown", "nosave"]).catch(() => {});
  for (let i = 0; i < 100 && (await redisUp()); i++) await sleep(50);
}

/** Starts the local Redis (the CI command) unless it is up, and waits for it. */
export async function startRedis(): Promise<void> {
  if (await redisUp()) return;
  await run("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    String(REDIS_PORT),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
  ]);
  for (let i = 0; i < 200; i++) {
    if (await redisUp()) return;
    await sleep(50);
  }
  throw new Error("Redis did not come back up");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
