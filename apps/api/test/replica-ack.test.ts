import type { ChildProcess } from "node:child_process";
import { freePort, startRedisServer, until } from "@mjg/shared/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startApi, submitImagine, taskKeys } from "./harness.js";

// A master and its replica of the test's own, so the replica can be frozen and killed.
let h: Harness | undefined;
const servers: ChildProcess[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) {
    server.kill("SIGCONT");
    server.kill("SIGKILL");
  }
});

const submit = (prompt: string) => submitImagine(h!, prompt);

async function masterWithReplica() {
  const [masterPort, replicaPort] = [await freePort(), await freePort()];
  const master = await startRedisServer(masterPort);
  const replica = await startRedisServer(replicaPort, ["--replicaof", "127.0.0.1", String(masterPort)]);
  servers.push(master, replica);
  const masterClient = new Redis(masterPort, "127.0.0.1");
  const replicaClient = new Redis(replicaPort, "127.0.0.1");
  clients.push(masterClient, replicaClient);
  // The test kills these servers: their clients' reconnect errors are expected.
  for (const client of [masterClient, replicaClient]) client.on("error", () => undefined);
  await until(
    () => replicaClient.info("replication"),
    (info) => info.includes("master_link_status:up"),
  );
  return { masterPort, master, replica, masterClient, replicaClient };
}

/** An API on that master, acknowledging a submit once one replica holds it. */
function apiWaitingForOne(masterPort: number, waitTimeoutMs: number): Promise<Harness> {
  return startApi({
    redisUrl: `redis://127.0.0.1:${masterPort}`,
    redisSettings: { waitReplicas: 1, waitTimeoutMs },
  });
}

/** The replica dies, and the master has noticed. */
async function loseReplica(replica: ChildProcess, masterClient: Redis): Promise<void> {
  replica.kill("SIGKILL");
  await until(
    () => masterClient.info("replication"),
    (info) => info.includes("connected_slaves:0"),
  );
}

describe("REDIS_WAIT_REPLICAS: an acknowledged submit is on a replica", () => {
  it("answers success only once the replica holds the task", async () => {
    const { masterPort, replicaClient } = await masterWithReplica();
    h = await apiWaitingForOne(masterPort, 2_000);
    const answer = await submit("a harbour at dusk");
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
    // Read at once from the replica: WAIT made it hold the record before the answer left.
    expect(await replicaClient.exists(h.keys.task(answer.body.result))).toBe(1);
  });

  it("a replica that does not confirm in time makes the submit 503 and leaves no task behind", async () => {
    const { masterPort, replica } = await masterWithReplica();
    h = await apiWaitingForOne(masterPort, 2_000);
    // Frozen, the replica stays connected but acknowledges nothing.
    replica.kill("SIGSTOP");
    const answer = await submit("a harbour at dusk");
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ code: 0, description: expect.stringContaining("retry") });
    expect(await taskKeys(h)).toEqual([]);
    replica.kill("SIGCONT");
    expect((await submit("a harbour at dawn")).status).toBe(200);
  });

  it("a master left without replicas keeps taking submits (there is nothing to wait for)", async () => {
    const { masterPort, replica, masterClient } = await masterWithReplica();
    h = await apiWaitingForOne(masterPort, 2_000);
    await loseReplica(replica, masterClient);
    const answer = await submit("a harbour at noon");
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
    expect(await masterClient.exists(h.keys.task(answer.body.result))).toBe(1);
  });

  it("a replica gone after acknowledged submits: the next submit still succeeds, with nothing left to wait for", async () => {
    const { masterPort, replica, masterClient } = await masterWithReplica();
    h = await apiWaitingForOne(masterPort, 1_000);
    // The API has seen the replica: its next waits count on it.
    expect((await submit("a harbour at dusk")).status).toBe(200);
    await loseReplica(replica, masterClient);
    const answer = await submit("a harbour at night");
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
    expect(await masterClient.exists(h.keys.task(answer.body.result))).toBe(1);
  });

  it("a replica that joins after submits went without one: the next acknowledged submit is on it", async () => {
    const { masterPort, replica, masterClient } = await masterWithReplica();
    h = await apiWaitingForOne(masterPort, 2_000);
    await loseReplica(replica, masterClient);
    // The API has seen the master alone: nothing to wait for.
    expect((await submit("a harbour at noon")).status).toBe(200);
    const port = await freePort();
    servers.push(await startRedisServer(port, ["--replicaof", "127.0.0.1", String(masterPort)]));
    const joined = new Redis(port, "127.0.0.1");
    clients.push(joined);
    joined.on("error", () => undefined);
    await until(
      () => joined.info("replication"),
      (info) => info.includes("master_link_status:up"),
    );
    const answer = await submit("a harbour at dawn");
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
    // Read at once from the new replica: the API waited for it although its last count had none.
    expect(await joined.exists(h.keys.task(answer.body.result))).toBe(1);
  });
});
