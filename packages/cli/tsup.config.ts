import { defineConfig } from "tsup";

export default defineConfig({
  // `bin` keeps its `#!/usr/bin/env node` line; tsup marks the output executable.
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  clean: true,
  sourcemap: true,
  target: "node20",
});
