import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // The Redis Cluster suite starts its own cluster: `pnpm test:cluster`.
    exclude: ["**/node_modules/**", "packages/shared/test/cluster/**"],
    pool: "forks",
    // Shared 2-core machines: real sockets and Redis need room, never timing assertions.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
