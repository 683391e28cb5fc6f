import { defineConfig } from "vitest/config";

export default defineConfig({
  // Tests run against the TypeScript sources of the workspace packages, not their builds.
  resolve: { conditions: ["@mandate/source"] },
  ssr: { resolve: { conditions: ["@mandate/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
