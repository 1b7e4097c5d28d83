import { CallbackQueue, notifyEnv, notifySettings } from "@mjg/notify";
import { MJ_CODES, MJ_TEXTS, MjError, type MjTask, mjTask, parseEnv, type TaskRecord } from "@mjg/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { streamTask } from "../../events/index.js";
import { openApiSchema } from "../../http/openapi.js";
import type { MjDeps } from "../index.js";
import { cancelTask } from "./cancel.js";
import { mjResultResponse, mjTaskListResponse, mjTaskResponse } from "./openapi.js";
import { queuedTasks } from "./queue.js";
import {
  IdsInputSchema,
  isTaskId,
  ListQuerySchema,
  MAX_IDS,
  parseIds,
  parseListQuery,
  TaskIdParamsSchema,
} from "./schema.js";
import { imageSeed } from "./seed.js";

const TAGS = ["mj"];
const params = openApiSchema(TaskIdParamsSchema);

function pathId(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/**
 * `/mj/task/*`: reads answer bare JSON (a Task or an array of them), refusals the `/mj` envelope.
 * Tasks of both APIs are one store: a seed task's 24-hex id reads here as well.
 */
export function mjTaskRoutes(app: FastifyInstance, deps: MjDeps): void {
  const { store, directory, redis, keys } = deps;
  const queueFor = (accountId: string) => deps.submitter.queueFor(accountId);
  // A cancel is a status change the worker never sees: its callback is queued here, to the task's
  // own hook (the default hook and delivery settings belong to the workers that deliver it).
  const callbacks = new CallbackQueue({
    connection: redis,
    keys,
    settings: notifySettings(parseEnv(notifyEnv, {})),
  });
  app.addHook("onClose", async () => callbacks.close());

  async function known(request: FastifyRequest): Promise<TaskRecord> {
    const id = pathId(request);
    const record = isTaskId(id) ? await store.get(id) : null;
    if (!record) throw new MjError("TASK_NOT_FOUND");
    return record;
  }

  app.get(
    "/task/:id/events",
    {
      schema: {
        tags: TAGS,
        summary: "Follow one task as Server-Sent Events (/mj Task JSON per event)",
        description:
          "`text/event-stream`: the task now and on every change (status, progress, preview image), each event's id its revision; `: heartbeat` comments every 15 s; the stream ends after SUCCESS, FAILURE or CANCEL. `Last-Event-ID` resumes: only newer versions are sent. Unknown id: 404 code 3.",
        params,
        produces: ["text/event-stream"],
      },
    },
    async (request, reply) => {
      const id = pathId(request);
      if (!isTaskId(id)) throw new MjError("TASK_NOT_FOUND");
      await streamTask(request, reply, { hub: deps.events, store }, id, {
        view: mjTask,
        notFound: () => new MjError("TASK_NOT_FOUND"),
      });
    },
  );

  app.get(
    "/task/:id/fetch",
    {
      schema: {
        tags: TAGS,
        summary: "One task as /mj Task JSON",
        description: 'Unknown id: HTTP 404 with `{code: 3, description: "任务不存在"}`.',
        params,
        response: mjTaskResponse,
      },
    },
    async (request): Promise<MjTask> => mjTask(await known(request)),
  );

  const byIds = async (request: FastifyRequest): Promise<MjTask[]> => {
    const ids = parseIds(request.body);
    const records = await store.getMany(ids);
    return records.flatMap((record) => (record ? [mjTask(record)] : []));
  };
  const byIdsSchema = {
    tags: TAGS,
    body: openApiSchema(IdsInputSchema),
    response: mjTaskListResponse,
  };
  app.post(
    "/task/list-by-condition",
    {
      schema: {
        ...byIdsSchema,
        summary: "Tasks by id (new-api's poller)",
        description: `Ids as strings or numbers, at most ${MAX_IDS}; unknown ids are skipped; null or empty gives [].`,
      },
    },
    byIds,
  );
  app.post("/task/list-by-ids", { schema: { ...byIdsSchema, summary: "Tasks by id (alias)" } }, byIds);

  app.get(
    "/task/list",
    {
      schema: {
        tags: TAGS,
        summary: "The newest tasks, newest first",
        querystring: openApiSchema(ListQuerySchema),
        response: mjTaskListResponse,
      },
    },
    async (request): Promise<MjTask[]> => {
      const { limit } = parseListQuery(request.query);
      const page = await store.list({ limit });
      return page.tasks.map(mjTask);
    },
  );

  app.get(
    "/task/queue",
    {
      schema: {
        tags: TAGS,
        summary: "Queued and running tasks, oldest submit first",
        response: mjTaskListResponse,
      },
    },
    async (): Promise<MjTask[]> => {
      const accounts = await directory.list();
      const records = await queuedTasks(
        redis,
        keys,
        store,
        accounts.map((account) => account.id),
      );
      return records.map(mjTask);
    },
  );

  app.get(
    "/task/:id/image-seed",
    {
      schema: {
        tags: TAGS,
        summary: "The Midjourney seed of a finished task",
        description:
          "Read by the worker on first ask (up to 30 s). Unknown id: 404 code 3; not a finished image: 400 code 4; not read in time: 503 code 9.",
        params,
        response: mjResultResponse,
      },
    },
    async (request) => {
      const seed = await imageSeed(store, await known(request), queueFor);
      return { code: MJ_CODES.SUCCESS, description: MJ_TEXTS.SUCCESS, result: seed, properties: {} };
    },
  );

  app.post(
    "/task/:id/cancel",
    {
      schema: {
        tags: TAGS,
        summary: "Cancel an unfinished task",
        description:
          "The task ends as CANCEL with failReason 取消任务. Unknown id: 404 code 3; already ended: 400 code 4.",
        params,
        response: mjResultResponse,
      },
    },
    async (request) => {
      const id = pathId(request);
      if (!isTaskId(id)) throw new MjError("TASK_NOT_FOUND");
      const record = await cancelTask(store, directory, id, queueFor);
      await callbacks.enqueueFor(record);
      return { code: MJ_CODES.SUCCESS, description: MJ_TEXTS.SUCCESS, result: record._id, properties: {} };
    },
  );
}
