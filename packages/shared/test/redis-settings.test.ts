import { afterAll, describe, expect, it } from "vitest";
import { EnvError } from "../src/env.js";
import { connectRedis, isCluster, redisReady, redisSettings } from "../src/redis.js";
import { freePort, startRedisServer } from "../src/testing.js";

describe("Redis settings from the environment", () => {
  it("reads cluster seed nodes, IPv6 included, and leaves one server as the default", () => {
    expect(redisSettings({}).clusterNodes).toBeUndefined();
    expect(redisSettings({ REDIS_CLUSTER_NODES: "a:7000, b:7001,[::1]:7002" }).clusterNodes).toEqual([
      { host: "a", port: 7000 },
      { host: "b", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(redisSettings({ REDIS_CLUSTER_NODES: "" }).clusterNodes).toBeUndefined();
  });

  it("names the variable when a seed node or a flag is malformed", () => {
    for (const bad of ["a", "a:", "a:99999", "a:1,b"]) {
      expect(() => redisSettings({ REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES/);
    }
    expect(() => redisSettings({ REDIS_TLS: "maybe" })).toThrow(EnvError);
    expect(() => redisSettings({ REDIS_WAIT_REPLICAS: "-1" })).toThrow(/REDIS_WAIT_REPLICAS/);
  });
});

describe("a password-protected Redis", () => {
  const stops: (() => void)[] = [];
  afterAll(() => {
    for (const stop of stops) stop();
  });

  it("is reached with REDIS_PASSWORD when the URL carries none", async () => {
    const port = await freePort();
    const server = await startRedisServer(port, ["--requirepass", "s3cret-pass"]);
    stops.push(() => server.kill("SIGKILL"));
    const client = connectRedis(`redis://127.0.0.1:${port}`, {
      settings: { password: "s3cret-pass" },
      failFast: true,
    });
    await redisReady(client);
    expect(isCluster(client)).toBe(false);
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
  });
});
