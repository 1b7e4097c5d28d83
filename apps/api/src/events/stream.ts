import { isTerminal, type TaskRecord, type TaskStore } from "@mjg/shared";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TaskEventHub, Watcher } from "./hub.js";

/** What one event stream sends: the task as its API shows it, and the refusal for an unknown id. */
export interface StreamView {
  view: (record: TaskRecord) => unknown;
  notFound: () => Error;
}

/** `Last-Event-ID`: the record revision the client saw last (events carry the revision as their id). */
export function lastEventIdOf(header: unknown): number | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (typeof raw !== "string" || !/^\d{1,15}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/** One SSE event of a record: its revision as the id, the view as the data. */
export function sseEvent(record: TaskRecord, view: (record: TaskRecord) => unknown): string {
  return `id: ${record.rev}\ndata: ${JSON.stringify(view(record))}\n\n`;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  // nginx would buffer the stream otherwise.
  "x-accel-buffering": "no",
};

/**
 * Streams a task: the record now (unless `Last-Event-ID` says the client has this version), then
 * each newer version as it is written, heartbeat comments in between; ends after the terminal state.
 */
export async function streamTask(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { hub: TaskEventHub; store: TaskStore },
  taskId: string,
  { view, notFound }: StreamView,
): Promise<void> {
  const lastEventId = lastEventIdOf(request.headers["last-event-id"]);
  const raw = reply.raw;
  let sent = -1;
  let open = false;
  let ended = false;
  let pending: TaskRecord[] = [];
  let stop: () => void = () => undefined;

  const finish = () => {
    if (ended) return;
    ended = true;
    stop();
    if (!raw.writableEnded) raw.end();
  };
  const deliver = (record: TaskRecord) => {
    if (ended) return;
    if (!open) {
      pending.push(record);
      return;
    }
    // Versions come in order per publisher, but a resync may repeat one: only newer ones go out.
    if (record.rev <= sent) return;
    sent = record.rev;
    raw.write(sseEvent(record, view));
    if (isTerminal(record.status)) finish();
  };
  const watcher: Watcher = {
    taskId,
    deliver,
    heartbeat: () => {
      if (open && !ended) raw.write(": heartbeat\n\n");
    },
    end: finish,
  };

  stop = await deps.hub.watch(watcher);
  let record: TaskRecord | null;
  try {
    record = await deps.store.get(taskId);
  } catch (error) {
    stop();
    throw error;
  }
  if (!record) {
    stop();
    throw notFound();
  }

  reply.hijack();
  raw.writeHead(200, SSE_HEADERS);
  raw.on("close", finish);
  // The client left while the record was read: nothing to stream to.
  if (raw.destroyed || request.raw.destroyed) return finish();
  open = true;
  raw.write(": stream of task changes\n\n");
  // The client already has this version (a resumed stream): only newer ones are sent.
  if (lastEventId !== null && lastEventId === record.rev) {
    sent = record.rev;
    if (isTerminal(record.status)) return finish();
  } else deliver(record);
  const early = pending;
  pending = [];
  for (const change of early) deliver(change);
}
