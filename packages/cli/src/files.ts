import { readFile, stat } from "node:fs/promises";
import type { JsonWebKeySet } from "@mandate/core";
import { CliError } from "./cli-io.js";

function ioMessage(err: unknown, path: string, what: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${what} not found: ${path}`;
  if (code === "EACCES" || code === "EPERM") return `${what} not readable (permission denied): ${path}`;
  if (code === "EISDIR") return `${what} is a directory, not a file: ${path}`;
  return `cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`;
}

/** Checks that a path names a readable regular file; exit 2 with a clear message otherwise. */
export async function requireFile(path: string, what = "file"): Promise<number> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(path);
  } catch (err) {
    throw new CliError(ioMessage(err, path, what));
  }
  if (s.isDirectory()) throw new CliError(`${what} is a directory, not a file: ${path}`);
  return s.size;
}

/** Reads a text file; exit 2 with a clear message when it cannot be read. */
export async function readText(path: string, what = "file"): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(ioMessage(err, path, what));
  }
}

/**
 * Reads a JWKS file (`{"keys": [...]}`, as `mandate.jwks()` returns it). A single public JWK is
 * accepted too. Private keys are refused later by core's key set, with a message naming the kid.
 */
export async function readKeySet(path: string): Promise<JsonWebKeySet> {
  const text = await readText(path, "key file");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`key file ${path} is not JSON (expected a JWKS: {"keys": [...]})`);
  }
  if (value !== null && typeof value === "object" && Array.isArray((value as { keys?: unknown }).keys)) {
    const keys = (value as { keys: unknown[] }).keys;
    if (keys.every((k) => k !== null && typeof k === "object" && !Array.isArray(k))) {
      return value as JsonWebKeySet;
    }
  }
  if (value !== null && typeof value === "object" && typeof (value as { kty?: unknown }).kty === "string") {
    return { keys: [value as JsonWebKeySet["keys"][number]] };
  }
  throw new CliError(`key file ${path} is not a JWKS (expected {"keys": [...]} or one public JWK)`);
}

/** Reads every `--keys` file. */
export async function readKeySets(paths: readonly string[] | undefined): Promise<JsonWebKeySet[]> {
  const sets: JsonWebKeySet[] = [];
  for (const p of paths ?? []) sets.push(await readKeySet(p));
  return sets;
}
