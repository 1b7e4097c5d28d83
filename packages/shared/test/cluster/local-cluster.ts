import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../src/testing.js";

const run = promisify(execFile);

/** Password of the throwaway test clusters (not a secret: loopback only, gone after the run). */
export const CLUSTER_TEST_PASSWORD = "cluster-suite-pass";

export interface LocalCluster {
  /** `host:port,…` of the masters, as REDIS_CLUSTER_NODES takes it. */
  readonly seeds: string;
  readonly nodes: { port: number; process: ChildProcess }[];
  /** Kills one node at once (SIGKILL), as a crashed machine would go. */
  kill(port: number): void;
  stop(): Promise<void>;
}

/** Whether redis-server and redis-cli are on the PATH; the cluster suite cannot run without them. */
export function redisBinariesMissing(): string[] {
  return ["redis-server", "redis-cli"].filter(
    (binary) => spawnSync(binary, ["--version"], { stdio: "ignore" }).error !== undefined,
  );
}

/**
 * A throwaway Redis Cluster on free loopback ports: `masters` masters with `replicas` replicas each,
 * started from `redis-server --cluster-enabled yes` and joined by `redis-cli --cluster create`.
 */
export async function startLocalCluster(masters = 3, replicas = 0, password?: string): Promise<LocalCluster> {
  const auth = password ? ["--no-auth-warning", "-a", password] : [];
  const dir = mkdtempSync(join(tmpdir(), "mjg-cluster-"));
  const ports: number[] = [];
  while (ports.length < masters * (1 + replicas)) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: both must be free and below 65536.
    if (port < 55_000 && !ports.includes(port)) ports.push(port);
  }
  const nodes = await Promise.all(
    ports.map(async (port) => ({ port, process: await startNode(port, dir, password) })),
  );
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  await run("redis-cli", [
    ...auth,
    "--cluster",
    "create",
    ...addresses,
    "--cluster-replicas",
    String(replicas),
    "--cluster-yes",
  ]);
  await waitForClusterOk(ports, auth);
  return {
    seeds: addresses.slice(0, masters).join(","),
    nodes,
    kill(port) {
      nodes.find((node) => node.port === port)?.process.kill("SIGKILL");
    },
    async stop() {
      await Promise.all(
        nodes.map(
          (node) =>
            new Promise<void>((resolve) => {
              if (node.process.exitCode !== null || node.process.signalCode !== null) return resolve();
              node.process.once("exit", () => resolve());
              node.process.kill("SIGKILL");
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startNode(port: number, dir: string, password?: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, `nodes-${port}.conf`),
      // A dead master is noticed within 2 s, so a failover test finishes in seconds.
      "--cluster-node-timeout",
      "2000",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      // Replicas authenticate to their master with the same password the clients use.
      ...(password ? ["--requirepass", password, "--masterauth", password] : []),
    ]);
    let output = "";
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${output}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(child);
    });
  });
}

/** Every node agrees the cluster is up and every slot is served. */
async function waitForClusterOk(ports: number[], auth: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      ports.map(async (port) => {
        const { stdout } = await run("redis-cli", [...auth, "-p", String(port), "cluster", "info"]);
        return /cluster_state:ok/.test(stdout) && /cluster_slots_ok:16384/.test(stdout);
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error("the local cluster did not come up");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
