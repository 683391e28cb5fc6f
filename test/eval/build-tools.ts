import {
  type Access,
  type AnyTool,
  type Inspector,
  MandateError,
  pathInspector,
  recipientsInspector,
  uninspectable,
  urlInspector,
} from "@mandate/core";
import { type CatalogInput, createCatalog, createSqlInspector, type DataCatalog } from "@mandate/sql";
import {
  type Corpus,
  CorpusError,
  type CorpusIssue,
  type InspectorSpec,
  type ToolSpec,
} from "./corpus-schema.js";

/**
 * Turns the corpus's tool specs into real Mandate tool definitions, each with one of the built-in
 * inspectors (`urlInspector`, `pathInspector`, `recipientsInspector`, `@mandate/sql`'s
 * `createSqlInspector`) or a static template mapping. Built once per corpus and shared by every
 * episode: the SQL parser loads once.
 */
export async function buildTools(corpus: Corpus): Promise<AnyTool[]> {
  const issues: CorpusIssue[] = [];
  const catalogs = new Map<string, DataCatalog>();
  for (const [name, input] of Object.entries(corpus.catalogs ?? {})) {
    try {
      catalogs.set(name, createCatalog(input as CatalogInput));
    } catch (err) {
      issues.push(configIssue(`catalogs.${name}`, err));
    }
  }
  const tools: AnyTool[] = [];
  for (const [i, spec] of corpus.tools.entries()) {
    const ref = spec.inspector.kind === "sql" ? spec.inspector.catalog : undefined;
    // A tool on a catalog that failed to build is already reported through that catalog.
    if (typeof ref === "string" && !catalogs.has(ref)) continue;
    try {
      const inspect = await inspectorOf(spec, catalogs);
      const tool: { -readonly [K in keyof AnyTool]: AnyTool[K] } = {
        name: spec.name,
        action: spec.action,
        inspect,
      };
      if (spec.description !== undefined) tool.description = spec.description;
      if (spec.cost !== undefined) tool.cost = spec.cost;
      if (spec.audit !== undefined) tool.audit = spec.audit;
      if (spec.output?.untrusted !== undefined) tool.output = { untrusted: spec.output.untrusted };
      tools.push(tool);
    } catch (err) {
      issues.push(configIssue(`tools[${i}].inspector`, err));
    }
  }
  if (issues.length > 0) throw new CorpusError(issues);
  return tools;
}

function configIssue(field: string, err: unknown): CorpusIssue {
  if (err instanceof MandateError && err.field)
    return { field: `${field}.${err.field}`, message: err.message };
  return { field, message: err instanceof Error ? err.message : String(err) };
}

async function inspectorOf(
  spec: ToolSpec,
  catalogs: ReadonlyMap<string, DataCatalog>,
): Promise<ToolInspector> {
  const s: InspectorSpec = spec.inspector;
  switch (s.kind) {
    case "url": {
      const template = s.action;
      return urlInspector({
        ...(s.field !== undefined && { field: s.field }),
        ...(s.method !== undefined && { method: s.method }),
        ...(s.schemes !== undefined && { schemes: s.schemes }),
        ...(template !== undefined && {
          action: (m: string) => template.replaceAll("{method}", m.toLowerCase()),
        }),
      });
    }
    case "path":
      return pathInspector({
        roots: s.roots,
        action: spec.action,
        ...(s.field !== undefined && { field: s.field }),
      });
    case "recipients":
      return recipientsInspector({
        action: spec.action,
        ...(s.fields !== undefined && { fields: s.fields }),
      });
    case "sql": {
      const catalog =
        typeof s.catalog === "string"
          ? catalogs.get(s.catalog)
          : (() => {
              try {
                return createCatalog(s.catalog as CatalogInput);
              } catch (err) {
                throw new CorpusError([configIssue("catalog", err)]);
              }
            })();
      if (catalog === undefined) throw new Error(`catalog "${String(s.catalog)}" did not build`);
      return createSqlInspector({
        catalog,
        dialect: s.dialect,
        ...(s.field !== undefined && { field: s.field }),
        ...(s.prefix !== undefined && { prefix: s.prefix }),
        ...(s.searchPath !== undefined && { searchPath: s.searchPath }),
        ...(s.database !== undefined && { database: s.database }),
        ...(s.strict !== undefined && { strict: s.strict }),
        ...(s.unclassified !== undefined && { unclassified: s.unclassified }),
      });
    }
    case "static":
      return staticInspector(spec.action, s);
  }
}

type StaticSpec = Extract<InspectorSpec, { kind: "static" }>;
/** What a tool definition accepts as its inspector, whatever its argument type. */
type ToolInspector = NonNullable<AnyTool["inspect"]>;

/** An own property along a dotted path: a polluted prototype must not supply an argument. */
function argAt(args: unknown, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * A static mapping: the resource is a template whose placeholders are argument values, each
 * percent-encoded as one segment (so `../x` or `a/b` can never forge another path); data classes
 * are fixed, or looked up from an argument's values. A missing, empty or non-scalar placeholder
 * value is uninspectable, never guessed.
 */
function staticInspector(action: string, spec: StaticSpec): Inspector<unknown> {
  const parts = spec.resource.split(/(\{[^{}]*\})/).filter((p) => p !== "");
  return (args: unknown): Access[] => {
    let resource = "";
    for (const part of parts) {
      if (!part.startsWith("{")) {
        resource += part;
        continue;
      }
      const field = part.slice(1, -1);
      const value = argAt(args, field);
      if (typeof value === "number" && Number.isFinite(value)) resource += String(value);
      else if (typeof value === "boolean") resource += String(value);
      else if (typeof value === "string" && value !== "" && value.length <= 1024)
        resource += encodeURIComponent(value);
      else
        return [
          uninspectable(
            action,
            field,
            value === undefined
              ? "the argument is missing"
              : "the argument must be a non-empty string or a number",
          ),
        ];
    }
    const data = new Set(spec.data ?? []);
    if (spec.dataFrom !== undefined) {
      const { arg, classes, otherwise = "unknown" } = spec.dataFrom;
      const raw = argAt(args, arg);
      const values = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : undefined;
      if (values === undefined || values.length === 0 || values.some((v) => typeof v !== "string"))
        return [uninspectable(action, arg, "must be a string or a non-empty array of strings")];
      for (const v of values as string[]) {
        const mapped = Object.hasOwn(classes, v) ? classes[v] : otherwise;
        for (const c of typeof mapped === "string" ? [mapped] : (mapped ?? [])) data.add(c);
      }
    }
    return [{ action, resource, data: [...data], facts: { template: spec.resource } }];
  };
}
