import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * `pnpm test:cluster`: the end-to-end flows, the crash tests and the API contract again, on a local
 * 3-master Redis Cluster, plus the cluster's own checks (slots, spread, failover). Tests that take a
 * single Redis away and bring it back stay in the main suite: failover is their cluster counterpart.
 */
export default defineConfig({
  test: {
    root,
    include: [
      "packages/shared/test/cluster/**/*.test.ts",
      "packages/shared/test/store.test.ts",
      "apps/api/test/seed-api.test.ts",
      "apps/api/test/mj-*.test.ts",
      "apps/api/test/ops.test.ts",
      "apps/api/test/events.test.ts",
      "apps/api/test/idempotency.test.ts",
      "apps/api/test/batch.test.ts",
      "apps/worker/test/flows.test.ts",
      "apps/worker/test/processes.test.ts",
      "apps/worker/test/index-repair.test.ts",
      "apps/worker/test/callbacks.test.ts",
      "packages/notify/test/crash.test.ts",
      "packages/notify/test/delivery.test.ts",
    ],
    globalSetup: [resolve(root, "packages/shared/test/cluster/global-setup.ts")],
    pool: "forks",
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
