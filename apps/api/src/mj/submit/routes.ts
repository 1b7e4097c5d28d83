import { MjError, type TaskRecord } from "@mjg/shared";
import { IMAGE_BODY_LIMIT } from "@mjg/shared/images";
import {
  ActionSchema,
  BlendSchema,
  ChangeSchema,
  DescribeSchema,
  imagineSchema,
  modalSchema,
  parseMj,
  SimpleChangeSchema,
  shortenSchema,
  UploadSchema,
} from "@mjg/shared/mj-requests";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { openApiSchema } from "../../http/openapi.js";
import { type MjEnvelope, mjSuccess } from "../envelope.js";
import type { MjDeps } from "../index.js";
import { mjSubmitResponses, mjUploadResponses } from "./openapi.js";
import { MjSubmitService } from "./tasks.js";

interface MjPost<S extends z.ZodType> {
  url: string;
  summary: string;
  description?: string;
  schema: S;
  /** Image routes take up to five 10 MB images; the others keep the app's limit. */
  images?: boolean;
  response?: Record<string, unknown>;
  handler: (input: z.output<S>) => Promise<MjEnvelope<string | string[]>>;
}

function mjPost<S extends z.ZodType>(app: FastifyInstance, deps: MjDeps, route: MjPost<S>): void {
  app.post(
    route.url,
    {
      ...deps.idempotency,
      ...(route.images ? { bodyLimit: IMAGE_BODY_LIMIT } : {}),
      schema: {
        tags: ["mj"],
        summary: route.summary,
        description: route.description,
        body: openApiSchema(route.schema),
        response: route.response ?? mjSubmitResponses,
        security: [{ apiSecret: [] }],
      },
    },
    async (request) => route.handler(parseMj(route.schema, request.body)),
  );
}

// How long `upload-discord-images` waits for the worker's UPLOAD task, and how often it looks.
const UPLOAD_WAIT_MS = 60_000;
const UPLOAD_POLL_MS = 200;

/** `/mj/submit/*` (contract §2): every route creates tasks through the shared submitter. */
export function mjSubmitRoutes(app: FastifyInstance, deps: MjDeps): void {
  const service = new MjSubmitService(deps);
  const max = deps.promptMaxLength;

  mjPost(app, deps, {
    url: "/submit/imagine",
    summary: "Imagine: a new grid from a prompt, with up to 5 reference images",
    description:
      "base64Array (and the older base64) are data URLs (png, jpeg, webp, gif; ≤ 10 MB each). botType mj|MID_JOURNEY|niji|NIJI_JOURNEY. Answers code 1, or 22 with properties.numberOfQueues when tasks wait ahead.",
    schema: imagineSchema(max),
    images: true,
    handler: async (input) => {
      const images = input.base64 ? [...input.base64Array, input.base64] : input.base64Array;
      if (images.length > 5) throw new MjError("TOO_MANY_IMAGES");
      return service.submitted(await service.command({ ...input, action: "IMAGINE", images }));
    },
  });

  mjPost(app, deps, {
    url: "/submit/change",
    summary: "U1–U4, V1–V4 or reroll of a finished grid",
    schema: ChangeSchema,
    handler: (input) => service.change(input),
  });

  mjPost(app, deps, {
    url: "/submit/simple-change",
    summary: 'The same as change, written "<taskId> U1" (U1–U4, V1–V4, R)',
    schema: SimpleChangeSchema,
    handler: (input) => service.change({ ...input, ...parseSimpleChange(input.content) }),
  });

  mjPost(app, deps, {
    url: "/submit/action",
    summary: "Click one of a finished task's buttons (its customId)",
    description:
      "Answers 21 with a MODAL task when the button opens a pop-up (Custom Zoom, Vary Region, PicReader, Remix); confirm it with /submit/modal. ❤️ answers the parent's id; 🎉 Imagine all answers up to four ids joined by commas.",
    schema: ActionSchema,
    handler: (input) => service.action(input),
  });

  mjPost(app, deps, {
    url: "/submit/modal",
    summary: "Answer the pop-up of a MODAL task (code 21): its prompt, and the mask for Vary Region",
    description:
      "A blank prompt falls back to the task's own. Custom Zoom prompts need --zoom between 1 and 2.",
    schema: modalSchema(max),
    images: true,
    handler: (input) => service.modal(input),
  });

  mjPost(app, deps, {
    url: "/submit/describe",
    summary: "Describe: four prompts for an image given as a data URL (base64) or an http(s) link",
    schema: DescribeSchema,
    images: true,
    handler: async (input) => {
      if (!input.base64 && !input.link) throw new MjError("BASE64_OR_LINK_REQUIRED");
      const images = input.base64 ? [input.base64] : [];
      return service.submitted(
        await service.command({
          ...input,
          action: "DESCRIBE",
          prompt: null,
          images,
          params: { link: input.base64 ? null : (input.link ?? null) },
        }),
      );
    },
  });

  mjPost(app, deps, {
    url: "/submit/blend",
    summary: "Blend 2–5 images into one (dimensions PORTRAIT, SQUARE or LANDSCAPE)",
    schema: BlendSchema,
    images: true,
    handler: async (input) =>
      service.submitted(
        await service.command({
          ...input,
          action: "BLEND",
          prompt: null,
          images: input.base64Array,
          params: { dimensions: input.dimensions },
        }),
      ),
  });

  mjPost(app, deps, {
    url: "/submit/shorten",
    summary: "Shorten: Midjourney's analysis of a prompt and five shorter versions",
    schema: shortenSchema(max),
    handler: async (input) =>
      service.submitted(await service.command({ ...input, action: "SHORTEN", images: [] })),
  });

  mjPost(app, deps, {
    url: "/submit/upload-discord-images",
    summary: "Upload 1–5 images to Discord and answer their CDN URLs (result is an array)",
    description: `Waits up to ${UPLOAD_WAIT_MS / 1000} s for the upload.`,
    schema: UploadSchema,
    images: true,
    response: mjUploadResponses,
    handler: async (input) => {
      const submission = await service.command({
        ...input,
        action: "UPLOAD",
        prompt: null,
        images: input.base64Array,
      });
      const done = await waitForEnd(deps, submission.record._id);
      if (done?.status === "SUCCESS")
        return mjSuccess(done.imageUrls, { discordInstanceId: submission.account.id });
      if (done) throw new MjError("UPLOAD_FAILED", { failReason: done.failReason });
      throw new MjError("UPLOAD_TIMEOUT", { taskId: submission.record._id });
    },
  });
}

const SIMPLE_CHANGE = /^(\S+) ([uv][1-4]|r)$/i;
const CHANGE_ACTIONS = { U: "UPSCALE", V: "VARIATION", R: "REROLL" } as const;

/** `"<taskId> U1"`: exactly two parts, U/V with 1–4 or R (contract §2.4). */
export function parseSimpleChange(content: string) {
  const match = SIMPLE_CHANGE.exec(content.trim());
  if (!match) throw new MjError("CONTENT_INVALID");
  const code = match[2]!.toUpperCase();
  return {
    taskId: match[1]!,
    action: CHANGE_ACTIONS[code[0] as keyof typeof CHANGE_ACTIONS],
    index: code.length > 1 ? Number(code[1]) : undefined,
  };
}

/** The record once it has ended, or null when it has not within UPLOAD_WAIT_MS. */
async function waitForEnd(deps: MjDeps, taskId: string): Promise<TaskRecord | null> {
  const until = Date.now() + UPLOAD_WAIT_MS;
  while (Date.now() < until) {
    const record = await deps.store.get(taskId);
    if (!record) return null;
    if (record.status === "SUCCESS" || record.status === "FAILURE" || record.status === "CANCEL")
      return record;
    await new Promise((resolve) => setTimeout(resolve, UPLOAD_POLL_MS));
  }
  return null;
}
