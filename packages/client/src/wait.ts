import { type MjTask, MjTaskSchema } from "@mjg/shared/mj-task";
import { isTerminal } from "@mjg/shared/task";
import { MjgApiError, MjgNetworkError, MjgProtocolError, MjgTimeoutError } from "./errors.js";
import { sleep, type Transport } from "./http.js";
import { SseParser } from "./sse.js";
import type { ProgressSource, WaitOptions } from "./types.js";

/** What a change is made of, as a person watching would notice it. */
export function taskChanged(previous: MjTask | null, next: MjTask): boolean {
  return (
    !previous ||
    previous.status !== next.status ||
    previous.progress !== next.progress ||
    previous.imageUrl !== next.imageUrl
  );
}

/** How one event stream ended: the terminal state, no stream here, or a connection that broke. */
type StreamEnd =
  | { end: "terminal"; task: MjTask }
  | { end: "unsupported" }
  | { end: "dropped"; lastEventId: string | null };

interface WaitDeps {
  transport: Transport;
  fetchTask(id: string, signal?: AbortSignal): Promise<MjTask>;
}

// Reconnects of a stream that drops mid-task before falling back to polling.
const MAX_STREAM_DROPS = 3;

/**
 * Follows a task to SUCCESS, FAILURE or CANCEL: through `GET /mj/task/{id}/events` when the
 * gateway streams, else by polling fetch with a growing interval.
 */
export async function waitForTask(deps: WaitDeps, id: string, options: WaitOptions = {}): Promise<MjTask> {
  const timeout = options.timeoutMs === undefined ? null : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined && s !== null);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  let last: MjTask | null = null;
  const seen = (task: MjTask, source: ProgressSource) => {
    if (taskChanged(last, task)) options.onProgress?.(task, source);
    last = task;
  };
  try {
    if (options.events !== false) {
      let drops = 0;
      let lastEventId: string | null = null;
      while (drops < MAX_STREAM_DROPS) {
        const before = last;
        const result = await followEvents(deps.transport, id, lastEventId, seen, signal);
        if (result.end === "terminal") return result.task;
        if (result.end === "unsupported") break;
        lastEventId = result.lastEventId;
        drops = last !== before ? 0 : drops + 1;
      }
    }
    return await poll(deps, id, options, seen, signal);
  } catch (error) {
    if (timeout?.aborted && !options.signal?.aborted) throw new MjgTimeoutError(id, last);
    throw error;
  }
}

async function followEvents(
  transport: Transport,
  id: string,
  lastEventId: string | null,
  seen: (task: MjTask, source: ProgressSource) => void,
  signal: AbortSignal | undefined,
): Promise<StreamEnd> {
  let response: Response;
  try {
    response = await transport.send({
      method: "GET",
      api: "mj",
      path: `/mj/task/${encodeURIComponent(id)}/events`,
      headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
      signal,
    });
  } catch (error) {
    if (error instanceof MjgNetworkError) return { end: "unsupported" };
    throw error;
  }
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
    // 404 (no such route, or an unknown task: polling says which), 405, a proxy's page: poll instead.
    await response.body?.cancel().catch(() => undefined);
    return { end: "unsupported" };
  }
  const parser = new SseParser();
  parser.lastEventId = lastEventId;
  try {
    for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
      for (const event of parser.push(chunk)) {
        const task = parseTask(event.data);
        if (!task || task.id !== id) continue;
        seen(task, "events");
        if (isTerminal(task.status)) {
          await response.body.cancel().catch(() => undefined);
          return { end: "terminal", task };
        }
      }
    }
  } catch {
    if (signal?.aborted) throw signal.reason;
    // The connection broke mid-stream: the caller reconnects from the last event.
  }
  return { end: "dropped", lastEventId: parser.lastEventId };
}

function parseTask(data: string): MjTask | null {
  try {
    const parsed = MjTaskSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function poll(
  deps: WaitDeps,
  id: string,
  options: WaitOptions,
  seen: (task: MjTask, source: ProgressSource) => void,
  signal: AbortSignal | undefined,
): Promise<MjTask> {
  const min = options.pollIntervalMs ?? 500;
  const max = Math.max(min, options.maxPollIntervalMs ?? 5_000);
  let interval = min;
  let previous: MjTask | null = null;
  for (;;) {
    try {
      const task = await deps.fetchTask(id, signal);
      seen(task, "polling");
      if (isTerminal(task.status)) return task;
      // Something moved: look again soon; nothing did: back off.
      interval = taskChanged(previous, task) ? min : Math.min(max, Math.round(interval * 1.5));
      previous = task;
    } catch (error) {
      if (!transient(error)) throw error;
      interval = Math.min(max, interval * 2);
    }
    await sleep(interval, signal);
  }
}

/** Errors a poller rides out: the gateway briefly away, busy or restarting. */
function transient(error: unknown): boolean {
  if (error instanceof MjgNetworkError) return true;
  if (error instanceof MjgApiError) return error.status >= 500 || error.status === 429;
  return error instanceof MjgProtocolError && error.status >= 500;
}
