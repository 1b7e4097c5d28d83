import { CLUSTER_TEST_PASSWORD, redisBinariesMissing, startLocalCluster } from "./local-cluster.js";

/**
 * Starts a 3-master cluster for the whole cluster suite and points every process at it through
 * REDIS_CLUSTER_NODES (test workers and the processes they spawn inherit the environment).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const missing = redisBinariesMissing();
  if (missing.length > 0) {
    const line = "!".repeat(100);
    console.error(
      `\n${line}\n!!! ${missing.join(" and ")} not found: the Redis Cluster suite cannot run.\n` +
        `!!! Install Redis 7 (e.g. apt-get install redis-server) and run \`pnpm test:cluster\` again.\n${line}\n`,
    );
    throw new Error(`Redis Cluster suite: ${missing.join(", ")} missing`);
  }
  // A password on every node: the suite also proves REDIS_PASSWORD reaches every connection.
  process.env.REDIS_PASSWORD = CLUSTER_TEST_PASSWORD;
  const cluster = await startLocalCluster(3, 0, CLUSTER_TEST_PASSWORD);
  process.env.REDIS_CLUSTER_NODES = cluster.seeds;
  console.log(`Redis Cluster suite: 3 masters at ${cluster.seeds}, password-protected`);
  return () => cluster.stop();
}
