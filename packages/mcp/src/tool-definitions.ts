import type { AnyTool, ToolDefinition } from "@mandate/core";

/** What an MCP tool says about itself (its `annotations`), as far as Mandate reads it. */
export interface McpToolHints {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** The data class a derived access carries when the tool may reach outside its server. */
export const OPEN_WORLD_DATA_CLASS = "mcp.open_world";

/**
 * How an MCP tool maps to Mandate: the name of a tool registered with the Mandate, or a definition.
 * By default an MCP tool maps to the Mandate tool of the same name.
 */
export type McpToolMapping = string | AnyTool;

/** Options shared by {@link guardServer} and {@link guardClient} for finding a tool's definition. */
export interface ToolResolutionOptions {
  /**
   * Mandate tools by MCP tool name, for MCP tools whose Mandate tool has another name or is not
   * registered with the Mandate. Unlisted MCP tools map to the registered Mandate tool of the same
   * name.
   */
  readonly tools?: Readonly<Record<string, McpToolMapping>>;
  /**
   * Derive a definition from the MCP tool's annotations for tools the Mandate does not know (see
   * {@link deriveToolDefinition}). Default `false`: such calls are denied with `tool.unknown`.
   */
  readonly derive?: boolean;
}

const SEGMENT = /[^A-Za-z0-9_-]+/g;

/**
 * A conservative Mandate definition for an MCP tool the application did not declare, from its
 * annotations. Annotations are hints: a server can claim anything, so the mapping only ever makes a
 * tool *look more dangerous* when a hint is absent, never less.
 *
 * - action: `mcp.read` when `readOnlyHint` is true; otherwise `mcp.write` when `destructiveHint` is
 *   explicitly false; otherwise `mcp.destructive` (the MCP defaults: a tool that says nothing may
 *   write and destroy).
 * - resource: `mcp://<server>/<tool>`.
 * - data: `mcp.open_world` unless `openWorldHint` is explicitly false (the MCP default is an open
 *   world): an intent must name that data class to let a call reach outside the server.
 *
 * An intent such as `{ action: "mcp.read", resource: "mcp://crm/**" }` then allows the read-only,
 * closed-world tools of server `crm`, and nothing else.
 */
export function deriveToolDefinition(
  server: string,
  tool: string,
  hints: McpToolHints | undefined = {},
): ToolDefinition<unknown> {
  const action =
    hints?.readOnlyHint === true
      ? "mcp.read"
      : hints?.destructiveHint === false
        ? "mcp.write"
        : "mcp.destructive";
  const data = hints?.openWorldHint === false ? [] : [OPEN_WORLD_DATA_CLASS];
  return {
    // A Mandate tool name allows [A-Za-z0-9_.:-]; the server keeps derived names apart from the app's.
    name: `mcp:${server.replace(SEGMENT, "_")}:${tool.replace(/[^A-Za-z0-9_.:-]+/g, "_")}`,
    action,
    resource: `mcp://${encodeURIComponent(server)}/${encodeURIComponent(tool)}`,
    data,
    description: `MCP tool "${tool}" of server "${server}" (derived from its annotations)`,
  };
}
