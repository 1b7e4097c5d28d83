import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_REDIS_URL } from "@mjg/shared/testing";
import type { WorkerOptions } from "../src/worker.js";
import type { Stack } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = resolve(here, "fixtures/worker-process.ts");
const repoRoot = resolve(here, "../../..");

export interface WorkerChild {
  readonly workerId: string;
  /** Accounts the child owned when it said ready. */
  readonly owned: string[];
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
  output(): string;
}

type Extra = Partial<Omit<WorkerOptions, "keys" | "logger" | "notify">>;

/** Starts a real worker process (node --import tsx) on the stack's Redis prefix and simulator. */
export async function spawnWorker(stack: Stack, workerId: string, extra: Extra = {}): Promise<WorkerChild> {
  const options = {
    prefix: stack.prefix,
    redisUrl: TEST_REDIS_URL,
    accounts: stack.accounts,
    discord: { apiUrl: stack.sim.apiUrl, gatewayUrl: stack.sim.gatewayUrl },
    workerId,
    timeoutMs: 60_000,
    retentionMs: 3_600_000,
    leaseMs: 3_000,
    jobLockMs: 3_000,
    shutdownGraceMs: 5_000,
    queueFullRetryMs: 200,
    logLevel: process.env.TEST_LOG_LEVEL ?? "silent",
    ...extra,
  };
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: { ...process.env, WORKER_TEST_OPTIONS: JSON.stringify(options) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | string>((done) =>
    child.once("exit", (code, signal) => done(code ?? signal ?? -1)),
  );
  const line = await new Promise<string>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker ${workerId} not ready:\n${output}`)), 45_000);
    const onData = () => {
      const match = /^ready .*$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      ready(match[0]);
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`worker ${workerId} exited (${code}) before ready:\n${output}`));
    });
  });
  const owned = (line.split(" ")[2] ?? "").split(",").filter(Boolean);
  return { workerId, owned, process: child, exited, output: () => output };
}

/** Stops children that are still running (SIGKILL: the test is over). */
export async function killAll(children: WorkerChild[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
      await child.exited;
    }),
  );
}
