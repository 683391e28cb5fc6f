import { type Access, type Inspector, uninspectable } from "../access.js";

/** Options for {@link pathInspector}. */
export interface PathInspectorOptions {
  /** Name of the argument that holds the file path. Default `"path"`. */
  readonly field?: string;
  /**
   * Directories the tool may touch: absolute POSIX paths, at least one. A relative path argument is
   * resolved against the first root. Roots should be real paths (symlinks already resolved, see
   * {@link pathInspector}). The factory throws if a root is not absolute or is malformed.
   */
  readonly roots: readonly string[];
  /** Action of the access. Default `"file.read"`. */
  readonly action?: string;
}

/** C0 controls, DEL and C1 controls (NUL included). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Inspects a tool that touches one file named in its arguments. The resource is `file:` followed by
 * the normalised absolute path, e.g. `file:/srv/reports/q3.csv`.
 *
 * The path is normalised with pure string code (no filesystem, no `node:path`): a relative path is
 * resolved against the first root, `.` segments and duplicate slashes are removed, `..` removes the
 * previous segment (`/..` is `/`), and a trailing slash is dropped. The normalised path must then be
 * a root or lie below one, segment by segment (`/srv/reports2` is not inside `/srv/reports`).
 *
 * Uninspectable: non-strings, empty strings, NUL bytes and other control characters, backslashes,
 * paths starting with `~` (a shell would expand it) or `file:` (a URL, not a path), and any path
 * outside the roots.
 *
 * Symlinks are NOT resolved: the inspector has no filesystem access, so a symlink inside a root that
 * points outside it is not detected. Give real paths as roots and make sure the directories under
 * them cannot contain links the agent controls. Matching is case- and Unicode-normalisation-
 * sensitive, like a POSIX filesystem; on case-insensitive filesystems a differently-cased spelling
 * is reported as outside the roots (denied), never as inside.
 *
 * `facts`: `{ path, root }`: the normalised path and the (longest) root that contains it.
 *
 * @param options - see {@link PathInspectorOptions}
 * @throws TypeError when `roots` is empty or holds a non-absolute or malformed path (at construction)
 */
export function pathInspector(options: PathInspectorOptions): Inspector<object> {
  const field = options.field ?? "path";
  const action = options.action ?? "file.read";
  const rawRoots: unknown = options.roots;
  if (!Array.isArray(rawRoots) || rawRoots.length === 0) {
    throw new TypeError("pathInspector: `roots` must be a non-empty array of absolute paths");
  }
  const roots = rawRoots.map((root: unknown) => {
    if (typeof root !== "string" || !root.startsWith("/") || CONTROL.test(root) || root.includes("\\")) {
      throw new TypeError(`pathInspector: root ${JSON.stringify(root)} is not an absolute POSIX path`);
    }
    return normalizeAbsolute(root);
  });
  const firstRoot = roots[0] ?? "/";
  const rootList = roots.join(", ");

  return (input) => {
    // Arguments arrive untyped from models and frameworks: every field is checked before use.
    const args = input as Record<string, unknown> | null;
    try {
      if (typeof args !== "object" || args === null) {
        return [uninspectable(action, field, "the arguments are not an object")];
      }
      const raw = Object.hasOwn(args, field) ? args[field] : undefined;
      const reason = rejectRaw(raw);
      if (reason !== undefined) return [uninspectable(action, field, reason)];
      const input = raw as string;
      const path = normalizeAbsolute(input.startsWith("/") ? input : `${firstRoot}/${input}`);
      let root: string | undefined;
      for (const candidate of roots) {
        if (isInside(path, candidate) && (root === undefined || candidate.length > root.length)) {
          root = candidate;
        }
      }
      if (root === undefined) {
        return [uninspectable(action, field, `the path ${path} is outside the allowed roots (${rootList})`)];
      }
      const access: Access = { action, resource: `file:${path}`, data: [], facts: { path, root } };
      return [access];
    } catch (error) {
      return [uninspectable(action, field, `inspection failed: ${String(error)}`)];
    }
  };
}

function rejectRaw(raw: unknown): string | undefined {
  if (raw === undefined) return "the path is missing";
  if (typeof raw !== "string") return `the path must be a string, got ${raw === null ? "null" : typeof raw}`;
  if (raw === "") return "the path is empty";
  if (raw.includes("\u0000")) return "the path contains a NUL byte";
  if (CONTROL.test(raw)) return "the path contains a control character";
  if (raw.includes("\\")) return "the path contains a backslash";
  if (raw.startsWith("~")) return "the path starts with ~, which a shell would expand";
  if (/^file:/i.test(raw)) return "the path is a file: URL, not a path";
  return undefined;
}

/** Normalises an absolute POSIX path: resolves `.` and `..`, collapses slashes, drops a trailing slash. */
function normalizeAbsolute(path: string): string {
  const stack: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") stack.pop();
    else stack.push(segment);
  }
  return `/${stack.join("/")}`;
}

function isInside(path: string, root: string): boolean {
  if (root === "/") return true;
  return path === root || path.startsWith(`${root}/`);
}
