import { readFile } from "node:fs/promises";
import { MandateError } from "@mandate/core";
import { parse as parseYaml } from "yaml";
import { type CatalogInput, createCatalog, type DataCatalog } from "./data-catalog.js";

/** The text formats a catalog file may be written in. */
export type CatalogFormat = "json" | "yaml";

/**
 * Parses a catalog written as JSON or YAML (the {@link CatalogInput} shape).
 *
 * @throws MandateError `ERR_INVALID_CONFIG` when the text does not parse or the catalog is invalid.
 */
export function parseCatalog(text: string, format: CatalogFormat): DataCatalog {
  let data: unknown;
  try {
    // The core schema only: no custom tags, and yaml's alias limit guards against expansion bombs.
    data = format === "json" ? JSON.parse(text) : parseYaml(text, { schema: "core", maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new MandateError("ERR_INVALID_CONFIG", `invalid catalog: not ${format.toUpperCase()}: ${message}`, [
      { field: "", rule: "syntax", message },
    ]);
  }
  return createCatalog((data ?? {}) as CatalogInput);
}

/**
 * Loads a catalog file: `.json` as JSON, `.yaml`/`.yml` as YAML.
 *
 * @throws MandateError `ERR_INVALID_CONFIG` for another extension or an invalid catalog.
 */
export async function loadCatalogFile(path: string): Promise<DataCatalog> {
  const lower = path.toLowerCase();
  const format: CatalogFormat | undefined = lower.endsWith(".json")
    ? "json"
    : lower.endsWith(".yaml") || lower.endsWith(".yml")
      ? "yaml"
      : undefined;
  if (!format) {
    throw new MandateError("ERR_INVALID_CONFIG", `catalog file "${path}" must end in .json, .yaml or .yml`, [
      { field: "path", rule: "extension", message: "unknown catalog file extension" },
    ]);
  }
  return parseCatalog(await readFile(path, "utf8"), format);
}
