import { type Access, type Inspector, uninspectable } from "./access.js";
import type { Retention } from "./audit/redact.js";

/**
 * A tool as Mandate sees it: the action it performs, how its arguments map to the resources and
 * data it touches, and what a call costs.
 */
export interface ToolDefinition<A = never> {
  /** Unique tool name, as frameworks and audit events call it. */
  readonly name: string;
  /** The action the tool performs when no inspector says otherwise, e.g. `db.read`. */
  readonly action: string;
  /** The resource it touches: fixed, or computed from the arguments. Ignored when `inspect` is set. */
  readonly resource?: string | ((args: A) => string);
  /** Data classes every call touches. Ignored when `inspect` is set. */
  readonly data?: readonly string[];
  /** Turns the arguments into the accesses the call really makes. */
  readonly inspect?: Inspector<A>;
  /** Cost of one call against an intent's budget (default 1). */
  readonly cost?: number;
  /** What the tool does, for people and for intent resolvers. */
  readonly description?: string;
  /**
   * What the audit trail keeps of arguments and output: `none`, `digest`, `preview` (a digest and
   * a redacted preview: the default) or `full` (a digest and the value; secret-like fields are
   * masked even then).
   */
  readonly audit?: { readonly args?: Retention; readonly output?: Retention };
  /** How the tool's output is treated once it has run. */
  readonly output?: ToolOutput<A>;
}

/** How a tool's output is treated. */
export interface ToolOutput<A> {
  /**
   * The output is untrusted content (a web page, an inbound email, a file from outside): reading it
   * taints the context, which history-aware policies such as `untrustedEgress` act on.
   */
  readonly untrusted?: boolean;
  /** Turns the output into the accesses it reveals (e.g. the columns of a SQL result). */
  readonly inspect?: (output: unknown, args: A) => readonly Access[];
  /**
   * What to do when the output carries data classes the intent does not declare: `flag` (default:
   * a deviation in the audit trail and a `deviation` event) or `withhold` (the guarded call fails
   * with a DeniedError instead of returning it).
   */
  readonly onUndeclared?: "flag" | "withhold";
}

/** Any tool definition, whatever its argument type. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every argument type
export type AnyTool = ToolDefinition<any>;

/**
 * Declares a tool. Typing the arguments here types the `resource` function and inspector.
 *
 * @example
 * const fetchPage = defineTool<{ url: string }>({ name: "fetch", action: "http.get", inspect: urlInspector() });
 */
export function defineTool<A>(definition: ToolDefinition<A>): ToolDefinition<A> {
  return definition;
}

/**
 * Runs a tool's inspector (or its static mapping) over the arguments. Never throws: an inspector
 * that throws, returns nothing, or returns something that is not an access yields an uninspectable
 * access, which the guard denies.
 */
export function inspectCall(tool: AnyTool, args: unknown): readonly Access[] {
  try {
    if (tool.inspect) {
      const accesses = tool.inspect(args);
      if (!Array.isArray(accesses) || accesses.length === 0) {
        return [uninspectable(tool.action, "", `inspector of "${tool.name}" reported no access`)];
      }
      for (const a of accesses) {
        if (!isAccess(a))
          return [uninspectable(tool.action, "", `inspector of "${tool.name}" returned a malformed access`)];
      }
      return accesses;
    }
    const resource = typeof tool.resource === "function" ? tool.resource(args) : tool.resource;
    if (typeof resource !== "string" || resource === "") {
      return [uninspectable(tool.action, "", `tool "${tool.name}" mapped its arguments to no resource`)];
    }
    return [{ action: tool.action, resource, data: tool.data ?? [] }];
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return [uninspectable(tool.action, "", `inspector of "${tool.name}" failed: ${message}`)];
  }
}

function isAccess(a: unknown): a is Access {
  if (a === null || typeof a !== "object") return false;
  const x = a as Record<string, unknown>;
  return (
    typeof x.action === "string" &&
    typeof x.resource === "string" &&
    Array.isArray(x.data) &&
    x.data.every((d) => typeof d === "string")
  );
}
