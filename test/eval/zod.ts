/**
 * zod, as `@mandate/core` itself resolves it.
 *
 * The workspace root does not list zod as a dependency, and pnpm does not hoist it, so a bare
 * `import "zod"` from `test/` does not resolve. Importing the file `@mandate/core` loads gives the
 * very same module instance (pnpm links it from one store path), which also lets the corpus schema
 * embed core's own schemas (`IntentInput`, `Scope`). Once zod is a root devDependency this becomes
 * `export { z } from "zod";`.
 */
export { z } from "../../packages/core/node_modules/zod/index.js";
