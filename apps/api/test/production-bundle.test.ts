// What the Dockerfile and compose run: `pnpm build`'s bundles under plain node, no TypeScript loader.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { dropPrefix, freePort, json, testRedis, uniquePrefix, until } from "@mjg/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, ENTRIES } from "../../../scripts/build.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
const redis = testRedis();
const prefix = uniquePrefix("bundle");
const children: ChildProcess[] = [];
let errors = "";

function run(outfile: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [resolve(repoRoot, outfile)], {
    cwd: repoRoot,
    env: { ...process.env, MJ_KEY_PREFIX: prefix, LOG_LEVEL: "warn", SIM_STEP_DELAY_MS: "50", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // Drained, so a chatty process never blocks on a full pipe; shown if the test fails.
  child.stderr!.on("data", (chunk) => {
    errors += chunk;
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  for (const { entry, outfile } of ENTRIES) await bundle(entry, outfile);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe("the production bundles", () => {
  it("serve a task from submit to SUCCESS under plain node", async () => {
    const port = await freePort();
    const [worker, api] = [
      run("apps/worker/dist/main.js", {}),
      run("apps/api/dist/main.js", { PORT: String(port), HOST: "127.0.0.1" }),
    ];
    const base = `http://127.0.0.1:${port}`;
    await until(
      () =>
        fetch(`${base}/readyz`).then(
          (response) => response.status,
          () => 0,
        ),
      (status) => status === 200,
    );
    const submitted = await json(
      await until(
        () =>
          fetch(`${base}/mj/submit/imagine`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ prompt: "a lighthouse at dawn" }),
          }),
        // The worker registers its simulated accounts moments after it starts.
        (response) => response.status !== 503,
      ),
    );
    expect(submitted.code).toBe(1);
    const done = await until(
      async () => json(await fetch(`${base}/mj/task/${submitted.result}/fetch`)),
      (task) => task.status === "SUCCESS" || task.status === "FAILURE",
    );
    expect(done.status, errors).toBe("SUCCESS");
    expect(done.imageUrl).toMatch(/^http/);
    // Both stop cleanly on SIGTERM, as under compose.
    for (const child of [api, worker]) {
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    }
  });

  it("refuse an npm import that the app's package.json does not list", async () => {
    // The CLI imports commander, which the worker does not depend on: a production install lacks it.
    await expect(bundle("packages/client/src/cli/main.ts", "apps/worker/dist/refused.js")).rejects.toThrow(
      /commander.*apps\/worker\/package\.json/,
    );
    expect(existsSync(resolve(repoRoot, "apps/worker/dist/refused.js"))).toBe(false);
  });
});
