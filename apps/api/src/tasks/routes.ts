import { readAttempts } from "@mjg/notify";
import { ApiError, InvalidCursorError, publicTask, type TaskStore } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { streamTask, type TaskEventHub } from "../events/index.js";
import { requestFields } from "../http/fields.js";
import { openApiSchema, taskListResponse, taskResponse } from "../http/openapi.js";
import { seedRoute } from "../http/seed-route.js";
import { FetchInputSchema, ListInputSchema, parseFetchInput, parseListInput } from "./schema.js";

export const NEXT_CURSOR_HEADER = "x-next-cursor";

export function taskRoutes(app: FastifyInstance, store: TaskStore, redis: Redis, hub: TaskEventHub): void {
  app.get(
    "/api/v1/task/events",
    {
      schema: {
        summary: "Follow one task as Server-Sent Events",
        description:
          "`text/event-stream`: the task record (as fetch answers it) now and on every change, each event's id its revision; `: heartbeat` comments every 15 s; the stream ends after SUCCESS, FAILURE or CANCEL. Send `Last-Event-ID` to resume: only newer versions are sent.",
        tags: ["seed"],
        querystring: openApiSchema(FetchInputSchema),
        produces: ["text/event-stream"],
      },
    },
    async (request, reply) => {
      const { _id } = parseFetchInput(requestFields(request));
      await streamTask(request, reply, { hub, store }, _id, {
        view: publicTask,
        notFound: () => new ApiError("TASK_NOT_FOUND"),
      });
    },
  );

  seedRoute(app, {
    url: "/api/v1/task/fetch",
    summary: "Fetch one task record by _id",
    fields: FetchInputSchema,
    response: taskResponse,
    handler: async (request) => {
      const { _id } = parseFetchInput(requestFields(request));
      const record = await store.get(_id);
      if (!record) throw new ApiError("TASK_NOT_FOUND");
      return publicTask(record);
    },
  });

  seedRoute(app, {
    url: "/api/v1/task/callbacks",
    summary: "Callback delivery attempts of one task, newest first",
    fields: FetchInputSchema,
    response: { 200: { description: "Delivery attempts", type: "array" } },
    handler: async (request) => {
      const { _id } = parseFetchInput(requestFields(request));
      if (!(await store.get(_id))) throw new ApiError("TASK_NOT_FOUND");
      return readAttempts(redis, store.keys, _id);
    },
  });

  seedRoute(app, {
    url: "/api/v1/task/list",
    summary: "List task records, newest first",
    description: `One page as a plain array, filtered by status, action and state. For the next (older) page pass the \`${NEXT_CURSOR_HEADER}\` response header back as \`cursor\`; it is absent on the last page.`,
    fields: ListInputSchema,
    response: taskListResponse,
    handler: async (request, reply) => {
      const query = parseListInput(requestFields(request));
      try {
        const page = await store.list(query);
        if (page.nextCursor) reply.header(NEXT_CURSOR_HEADER, page.nextCursor);
        return page.tasks.map(publicTask);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new ApiError("INVALID_CURSOR");
        throw error;
      }
    },
  });
}
