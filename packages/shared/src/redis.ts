import { createHash } from "node:crypto";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { parseEnv, redisEnv } from "./env.js";

export interface RedisConnectOptions {
  /** Fail commands at once while disconnected instead of queueing them (the API answers 503). */
  failFast?: boolean;
  /** BullMQ workers need blocking commands to wait forever. */
  forBullWorker?: boolean;
  /**
   * Commands issued in the same tick leave in one write (far fewer syscalls under load). Order on
   * the connection is kept for plain commands; an explicit pipeline or MULTI may go ahead of them.
   */
  autoPipelining?: boolean;
  name?: string;
  /** Where Redis is; defaults to the process environment (REDIS_CLUSTER_NODES, REDIS_PASSWORD, …). */
  settings?: RedisSettings;
}

/** The connection settings of `redisEnv` as parsed; `url` is only used without cluster nodes. */
export interface RedisSettings {
  clusterNodes?: { host: string; port: number }[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  /** Replicas that must hold a new task before it is acknowledged, and how long to wait for them. */
  waitReplicas?: number | undefined;
  waitTimeoutMs?: number | undefined;
}

/** The Redis settings of this process's environment (validated like every other variable). */
export function redisSettings(source: Record<string, string | undefined> = process.env): RedisSettings {
  const env = parseEnv(redisEnv, source);
  return {
    clusterNodes: env.REDIS_CLUSTER_NODES,
    username: env.REDIS_USERNAME,
    password: env.REDIS_PASSWORD,
    tls: env.REDIS_TLS,
    waitReplicas: env.REDIS_WAIT_REPLICAS,
    waitTimeoutMs: env.REDIS_WAIT_TIMEOUT_MS,
  };
}

/**
 * The one connection factory: one ioredis connection to `url`, or, when REDIS_CLUSTER_NODES is set,
 * an ioredis Cluster (the url is then unused). Every process — API, worker, BullMQ's blocking
 * connections, pub/sub, benchmarks — gets its clients here, so the environment alone picks the mode.
 * A Cluster answers the same command interface as a Redis, so it is handed out under that type; the
 * few places that must know (key scans, multi-key reads) ask `isCluster`.
 */
export function connectRedis(url: string, options: RedisConnectOptions = {}): Redis {
  const settings = options.settings ?? redisSettings();
  const perMode = modeOptions(options, settings.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  const auth: RedisOptions = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
  };
  const base: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    // Reconnect forever with a capped delay: Redis coming back must heal every process.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  const client =
    settings.clusterNodes && settings.clusterNodes.length > 0
      ? (connectCluster(
          settings.clusterNodes,
          { ...base, ...auth, ...perMode.node },
          options,
        ) as unknown as Redis)
      : new Redis(url, { ...base, ...perMode.node, ...perMode.client, ...auth });
  replicaAcks.set(client, {
    replicas: settings.waitReplicas ?? 0,
    timeoutMs: settings.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
  });
  return client;
}

const DEFAULT_WAIT_TIMEOUT_MS = 1_000;

const replicaAcks = new WeakMap<Redis, { replicas: number; timeoutMs: number }>();

/** The replica acknowledgement (WAIT) the connection was configured with; null when it waits for none. */
export function replicaAck(redis: Redis): { replicas: number; timeoutMs: number } | null {
  const ack = replicaAcks.get(redis);
  return ack && ack.replicas > 0 ? ack : null;
}

/**
 * Waits until the configured number of replicas hold every write this process sent to the master of
 * `key`, and throws (a Redis-unavailable error: the caller takes its writes back and answers 503)
 * when fewer confirm in time: a write only the master holds is lost if that master fails next.
 * WAIT counts the writes of one connection; a pipeline goes to the key's master over the connection
 * the writes took, so WAIT rides in a pipeline behind a read of that key.
 */
export async function waitForReplicas(redis: Redis, key: string): Promise<number> {
  const ack = replicaAck(redis);
  if (!ack) return 0;
  // A master whose replica was just promoted elsewhere has none left: nothing can hold a copy, so
  // the write stands (the cluster is degraded until a replica rejoins) rather than every submit failing.
  // A cluster's masters each have their own replicas: the key's master is counted before each wait.
  if (isCluster(redis))
    return confirmWrites(
      redis,
      key,
      Math.min(ack.replicas, await connectedReplicas(redis, key)),
      ack.timeoutMs,
    );
  // One server: wait for as many as the last count saw, and count again beside the WAIT for the next
  // one. (A replica gone since the last count costs the waits sent before the count saw it go their timeout.)
  const guess = Math.min(ack.replicas, knownReplicas.get(redis) ?? (await connectedReplicas(redis, key)));
  const [info, reply] = await onKeyMaster(redis, key, (pipeline) =>
    pipeline.info("replication").call("WAIT", guess, ack.timeoutMs),
  );
  const connected = replicasIn(info);
  knownReplicas.set(redis, connected);
  const wanted = Math.min(ack.replicas, connected);
  const confirmed = Number(reply);
  if (confirmed >= wanted) return confirmed;
  // A replica that joined since the last count was not waited for: wait for it now.
  if (guess < wanted) return confirmWrites(redis, key, wanted, ack.timeoutMs);
  throw new ReplicasBehindError(confirmed, wanted, ack.timeoutMs);
}

/** WAITs for `wanted` replicas to hold this connection's writes to the master of `key`. */
async function confirmWrites(redis: Redis, key: string, wanted: number, timeoutMs: number): Promise<number> {
  if (wanted === 0) return 0;
  const [reply] = await onKeyMaster(redis, key, (pipeline) => pipeline.call("WAIT", wanted, timeoutMs));
  const confirmed = Number(reply);
  if (confirmed < wanted) throw new ReplicasBehindError(confirmed, wanted, timeoutMs);
  return confirmed;
}

// One Redis server's replica count as the last wait read it, per connection.
const knownReplicas = new WeakMap<Redis, number>();

/** How many replicas are connected to the master of `key` (INFO replication's connected_slaves). */
async function connectedReplicas(redis: Redis, key: string): Promise<number> {
  const [info] = await onKeyMaster(redis, key, (pipeline) => pipeline.info("replication"));
  return replicasIn(info);
}

function replicasIn(info: unknown): number {
  return Number(/connected_slaves:(\d+)/.exec(String(info))?.[1] ?? 0);
}

/** Runs keyless commands on the master of `key`: a pipeline goes to its key's node, behind a read of it. */
async function onKeyMaster(
  redis: Redis,
  key: string,
  add: (pipeline: ReturnType<Redis["pipeline"]>) => unknown,
): Promise<unknown[]> {
  const pipeline = redis.pipeline().exists(key);
  add(pipeline);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results.slice(1).map(([, value]) => value);
}

/** Fewer replicas than REDIS_WAIT_REPLICAS confirmed a write within REDIS_WAIT_TIMEOUT_MS. */
export class ReplicasBehindError extends Error {
  constructor(confirmed: number, wanted: number, timeoutMs: number) {
    // Named like Redis's own refusal under min-replicas-to-write, so both read as "unavailable".
    super(`NOREPLICAS ${confirmed} of ${wanted} replicas confirmed the write within ${timeoutMs} ms`);
  }
}

function modeOptions(
  options: RedisConnectOptions,
  waitTimeoutMs: number,
): { node: RedisOptions; client: RedisOptions } {
  if (options.forBullWorker)
    return { node: { maxRetriesPerRequest: null, enableReadyCheck: false }, client: {} };
  if (options.failFast) {
    return {
      // A WAIT for replicas may block its full timeout: the command timeout leaves it room.
      node: {
        maxRetriesPerRequest: 0,
        commandTimeout: Math.max(1_000, waitTimeoutMs + 500),
        connectTimeout: 1_000,
      },
      client: { enableOfflineQueue: false, enableAutoPipelining: true },
    };
  }
  return {
    node: { maxRetriesPerRequest: 3 },
    client: { enableAutoPipelining: options.autoPipelining ?? false },
  };
}

function connectCluster(
  nodes: { host: string; port: number }[],
  redisOptions: RedisOptions,
  options: RedisConnectOptions,
): Cluster {
  const clusterOptions: ClusterOptions = {
    redisOptions,
    // Replicas serve nothing: every read must see the write that preceded it (compare-and-set).
    scaleReads: "master",
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A failover takes a few seconds (cluster-node-timeout + election): retry through it rather than fail.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    retryDelayOnMoved: 0,
    maxRedirections: 16,
    slotsRefreshTimeout: 2_000,
    // Managed clusters behind TLS announce addresses that must not be re-resolved (SNI follows the name).
    ...(redisOptions.tls ? { dnsLookup: (address, done) => done(null, address) } : {}),
  };
  if (options.failFast) clusterOptions.enableOfflineQueue = false;
  if (options.failFast || options.autoPipelining) clusterOptions.enableAutoPipelining = true;
  if (options.forBullWorker) clusterOptions.enableReadyCheck = false;
  return new Cluster(nodes, clusterOptions);
}

/** True for an ioredis Cluster handed out by `connectRedis`. */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/** The connections to scan key by key: every master of a cluster, or the one server. */
export function scanTargets(redis: Redis): Redis[] {
  return isCluster(redis) ? (redis as unknown as Cluster).nodes("master") : [redis];
}

/** Every key under a prefix, master by master (SCAN only sees the node it is sent to). */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of scanTargets(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}

/** Deletes keys that may live in different slots: one UNLINK per key on a cluster, one for all otherwise. */
export async function unlinkKeys(redis: Redis, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  if (!isCluster(redis)) {
    await redis.unlink(...keys);
    return;
  }
  await Promise.all(keys.map((key) => redis.unlink(key)));
}

/** True when the error means Redis could not be reached (as opposed to a bad command). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.name} ${error.message}`;
  return /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Command timed out|MaxRetriesPerRequest|connect ETIMEDOUT|LOADING|ENOTFOUND|EPIPE|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|NOREPLICAS|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections/.test(
    text,
  );
}

/** Resolves once the connection is ready (fail-fast connections refuse commands before that). */
export function redisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}

/** A Lua script run by its SHA (EVALSHA), loading it on first use: hot paths never resend the source. */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
