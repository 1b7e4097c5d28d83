import type { DeliveryOutcome } from "@mjg/notify";
import { isTerminal, processMetrics, type TaskRecord } from "@mjg/shared";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AccountRuntime } from "../accounts/runtime.js";

const FIRST_PROGRESS_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300];
const COMPLETION_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200];

/** The accounts a worker owns now, as the owner keeps them. */
export interface OwnedRuntimes {
  readonly runtimes: ReadonlyMap<string, AccountRuntime>;
}

/**
 * A worker's Prometheus metrics, one registry per worker (tests run several in one process).
 * Task metrics come from every state change the worker writes; account gauges are read at scrape.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private owner: OwnedRuntimes | null = null;
  private readonly finished: Counter<"action" | "status">;
  private readonly firstProgress: Histogram<"action">;
  private readonly completion: Histogram<"action" | "status">;
  private readonly reconnects: Counter<"account">;
  private readonly rateLimited: Counter<"account">;
  private readonly callbacks: Counter<"outcome">;

  constructor() {
    const registers = [this.registry];
    this.finished = new Counter({
      name: "mj_tasks_finished_total",
      help: "Tasks this worker saw end, by action and final status",
      labelNames: ["action", "status"],
      registers,
    });
    this.firstProgress = new Histogram({
      name: "mj_task_first_progress_seconds",
      help: "From submission to the first progress Midjourney reported",
      labelNames: ["action"],
      buckets: FIRST_PROGRESS_BUCKETS,
      registers,
    });
    this.completion = new Histogram({
      name: "mj_task_duration_seconds",
      help: "From submission to the final status",
      labelNames: ["action", "status"],
      buckets: COMPLETION_BUCKETS,
      registers,
    });
    this.reconnects = new Counter({
      name: "mj_gateway_reconnects_total",
      help: "Gateway reconnections (resume or new session) per account",
      labelNames: ["account"],
      registers,
    });
    this.rateLimited = new Counter({
      name: "mj_discord_rate_limited_total",
      help: "Discord REST calls answered with 429, per account",
      labelNames: ["account"],
      registers,
    });
    this.callbacks = new Counter({
      name: "mj_callback_deliveries_total",
      help: "notifyHook delivery attempts by outcome (delivered, retry, gone, refused)",
      labelNames: ["outcome"],
      registers,
    });
    const owned = () => [...(this.owner?.runtimes.values() ?? [])];
    new Gauge({
      name: "mj_account_running_jobs",
      help: "Tasks of the account sent to Midjourney and awaiting their result, on this worker",
      labelNames: ["account"],
      registers,
      collect() {
        this.reset();
        for (const runtime of owned()) this.set({ account: runtime.id }, runtime.waiters.size);
      },
    });
    new Gauge({
      name: "mj_gateway_connected",
      help: "1 while the account's gateway session is ready, for accounts this worker owns",
      labelNames: ["account"],
      registers,
      collect() {
        this.reset();
        for (const runtime of owned())
          this.set({ account: runtime.id }, runtime.gateway.state === "ready" ? 1 : 0);
      },
    });
    new Gauge({
      name: "mj_gateway_not_ready_seconds",
      help: "How long the account's gateway session has not been ready (0 while it is), for accounts this worker owns",
      labelNames: ["account"],
      registers,
      collect() {
        this.reset();
        for (const runtime of owned()) this.set({ account: runtime.id }, seconds(runtime.notReadyForMs()));
      },
    });
    new Gauge({
      name: "mj_worker_owned_accounts",
      help: "Accounts whose lease this worker holds",
      registers,
      collect() {
        this.set(owned().length);
      },
    });
  }

  watchOwner(owner: OwnedRuntimes): void {
    this.owner = owner;
  }

  /** Called with every task state change the worker writes (TaskLifecycle). */
  callbackAttempt(outcome: DeliveryOutcome): void {
    this.callbacks.inc({ outcome });
  }

  taskChanged(before: TaskRecord, record: TaskRecord, now = Date.now()): void {
    const action = record.action;
    if (before.status !== "IN_PROGRESS" && record.status === "IN_PROGRESS") {
      this.firstProgress.observe({ action }, seconds(now - record.submitTime));
    }
    if (!isTerminal(before.status) && isTerminal(record.status)) {
      this.finished.inc({ action, status: record.status });
      this.completion.observe(
        { action, status: record.status },
        seconds((record.finishTime ?? now) - record.submitTime),
      );
    }
  }

  /** Counts an account's reconnects and 429s; called once per runtime the worker creates. */
  watchRuntime(runtime: AccountRuntime): void {
    const account = runtime.id;
    runtime.gateway.on("reconnect", () => this.reconnects.inc({ account }));
    // The REST client says how Discord answered each call: a 429 anywhere counts.
    runtime.rest.on("answer", (answer) => {
      if (answer.kind === "rate_limited") this.rateLimited.inc({ account });
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1_000;
}
