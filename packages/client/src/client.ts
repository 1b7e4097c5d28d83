import { MjAccountSchema } from "@mjg/shared/mj-account";
import type {
  ActionSchema,
  BlendSchema,
  ChangeSchema,
  DescribeSchema,
  imagineSchema,
  modalSchema,
  shortenSchema,
} from "@mjg/shared/mj-requests";
import { type MjTask, MjTaskSchema } from "@mjg/shared/mj-task";
import { type PublicTask, PublicTaskSchema, type SpeedMode } from "@mjg/shared/task";
import type { z } from "zod";
import { MjgProtocolError } from "./errors.js";
import { type Answer, envelopeOf, type RequestSpec, refusalOf, Transport } from "./http.js";
import type {
  AccountFilter,
  ActionInput,
  BlendInput,
  ClientOptions,
  DescribeInput,
  ImagineInput,
  ListOptions,
  MjAccount,
  ModalInput,
  SubmitOptions,
  Submitted,
  TaskPage,
  WaitOptions,
} from "./types.js";
import { waitForTask } from "./wait.js";

// Codes of an accepted /mj submit: submitted, waiting for the pop-up, queued (contract §2).
const SUBMIT_OK = [1, 21, 22] as const;
const MODE_PREFIX: Record<SpeedMode, string> = {
  FAST: "/mj-fast/mj",
  RELAX: "/mj-relax/mj",
  TURBO: "/mj-turbo/mj",
};

/** Body fields with nothing in them are left out, so the server's defaults apply. */
function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function accountFilterField(filter: AccountFilter | undefined) {
  return filter ? compact({ ...filter }) : undefined;
}

/** The `/mj` Task JSON of an answer, checked against the server's own schema. */
function parsed<S extends z.ZodType>(schema: S, answer: Answer): z.output<S> {
  const result = schema.safeParse(answer.body);
  if (!result.success)
    throw new MjgProtocolError(
      `the answer is not the documented shape: ${result.error.issues[0]?.message ?? "?"}`,
      answer.status,
      answer.text,
    );
  return result.data;
}

const MjTaskListSchema = MjTaskSchema.array();
const MjAccountListSchema = MjAccountSchema.array();

/**
 * The body of each `/mj/submit/*` route as the server's own schemas read it: a field the server
 * renamed or retyped breaks this package's build, not a user's request.
 */
export interface MjSubmitBodies {
  imagine: z.input<ReturnType<typeof imagineSchema>>;
  change: z.input<typeof ChangeSchema>;
  action: z.input<typeof ActionSchema>;
  modal: z.input<ReturnType<typeof modalSchema>>;
  describe: z.input<typeof DescribeSchema>;
  blend: z.input<typeof BlendSchema>;
  shorten: z.input<ReturnType<typeof shortenSchema>>;
}

/**
 * A typed client of the gateway's `/mj` API (the midjourney-proxy one) and its seed API
 * (`client.seed`). Built on `fetch`; retries 429 / 503 after their `Retry-After`; sends an
 * `Idempotency-Key` with every submit; throws {@link MjgApiError} with the server's code and text.
 *
 * @example
 * ```ts
 * const mj = new MjgClient({ baseUrl: "http://127.0.0.1:3000" });
 * const { id } = await mj.imagine({ prompt: "a lighthouse at dawn" });
 * const task = await mj.waitFor(id, { onProgress: (t) => console.log(t.status, t.progress) });
 * console.log(task.imageUrl);
 * ```
 */
export class MjgClient {
  readonly transport: Transport;
  /** The seed API (`/api/v1`): IMAGINE / UPSCALE / VARIATION with the seed's task view. */
  readonly seed: SeedApi;

  constructor(options: ClientOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl))
      throw new TypeError(`baseUrl must be http(s): ${options.baseUrl}`);
    this.transport = new Transport({
      baseUrl: options.baseUrl,
      secret: options.secret,
      fetch: options.fetch ?? globalThis.fetch,
      retry: { retries: 3, maxDelayMs: 60_000, baseDelayMs: 1_000, ...options.retry },
      onRetry: options.onRetry,
      userAgent: options.userAgent ?? "mjg-client/0.1",
    });
    this.seed = new SeedApi(this.transport);
  }

  private async submit<R extends keyof MjSubmitBodies>(
    route: R,
    body: MjSubmitBodies[R],
    options: SubmitOptions = {},
  ): Promise<Submitted> {
    const prefix = options.mode ? MODE_PREFIX[options.mode] : "/mj";
    const answer = await this.transport.request({
      method: "POST",
      api: "mj",
      path: `${prefix}/submit/${route}`,
      body: compact({ ...body, state: options.state, notifyHook: options.notifyHook }),
      idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
      signal: options.signal,
    });
    const envelope = envelopeOf("mj", answer, SUBMIT_OK);
    const ids = String(envelope.result ?? "")
      .split(",")
      .filter((id) => id !== "");
    if (ids.length === 0) throw refusalOf("mj", answer);
    const properties = envelope.properties ?? {};
    return {
      id: ids[0]!,
      ids,
      code: envelope.code,
      description: envelope.description,
      properties,
      modal: envelope.code === 21,
      queued: typeof properties.numberOfQueues === "number" ? properties.numberOfQueues : 0,
    };
  }

  private async get<S extends z.ZodType>(
    schema: S,
    path: string,
    query: RequestSpec["query"] = {},
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    const answer = await this.transport.request({ method: "GET", api: "mj", path, query, signal });
    if (answer.status !== 200) throw refusalOf("mj", answer);
    return parsed(schema, answer);
  }

  /** `/imagine`: a new grid of four from a prompt (and up to five reference images). */
  imagine(input: ImagineInput): Promise<Submitted> {
    const { prompt, images, botType, accountFilter, ...options } = input;
    return this.submit(
      "imagine",
      {
        prompt,
        base64Array: images,
        botType,
        accountFilter: accountFilterField(accountFilter),
      },
      options,
    );
  }

  /** U1–U4 of a finished grid. */
  upscale(taskId: string, index: 1 | 2 | 3 | 4, options?: SubmitOptions): Promise<Submitted> {
    return this.submit("change", { taskId, action: "UPSCALE", index }, options);
  }

  /** V1–V4 of a finished grid. */
  variation(taskId: string, index: 1 | 2 | 3 | 4, options?: SubmitOptions): Promise<Submitted> {
    return this.submit("change", { taskId, action: "VARIATION", index }, options);
  }

  /** 🔄: the same prompt drawn again. */
  reroll(taskId: string, options?: SubmitOptions): Promise<Submitted> {
    return this.submit("change", { taskId, action: "REROLL" }, options);
  }

  /**
   * Clicks one of a finished task's buttons by its `customId` (from `task.buttons`). A button that
   * opens a pop-up answers `modal: true`: confirm it with {@link MjgClient.modal}.
   */
  action(taskId: string, customId: string, input: ActionInput = {}): Promise<Submitted> {
    const { enableRemix, accountFilter, ...options } = input;
    return this.submit(
      "action",
      { taskId, customId, enableRemix, accountFilter: accountFilterField(accountFilter) },
      options,
    );
  }

  /** Answers the pop-up of a MODAL task: its prompt, and the mask for Vary (Region). */
  modal(taskId: string, input: ModalInput = {}): Promise<Submitted> {
    const { prompt, mask, ...options } = input;
    return this.submit("modal", { taskId, prompt, maskBase64: mask }, options);
  }

  /** `/describe`: four prompts for an image (a data URL or an http(s) link). */
  describe(input: DescribeInput): Promise<Submitted> {
    const { image, link, botType, accountFilter, ...options } = input;
    return this.submit(
      "describe",
      {
        base64: image,
        link,
        botType,
        accountFilter: accountFilterField(accountFilter),
      },
      options,
    );
  }

  /** `/blend`: 2–5 images into one. */
  blend(input: BlendInput): Promise<Submitted> {
    const { images, dimensions, botType, accountFilter, ...options } = input;
    return this.submit(
      "blend",
      {
        base64Array: images,
        dimensions,
        botType,
        accountFilter: accountFilterField(accountFilter),
      },
      options,
    );
  }

  /** `/shorten`: Midjourney's reading of a prompt and five shorter ones (in `properties.finalPrompt`). */
  shorten(prompt: string, options?: SubmitOptions): Promise<Submitted> {
    return this.submit("shorten", { prompt }, options);
  }

  /** One task as `/mj` Task JSON. Unknown id: {@link MjgApiError} with `notFound`. */
  fetch(id: string, signal?: AbortSignal): Promise<MjTask> {
    return this.get(MjTaskSchema, `/mj/task/${encodeURIComponent(id)}/fetch`, {}, signal);
  }

  /** Several tasks at once, in the order asked; unknown ids are left out. */
  async fetchMany(ids: string[], signal?: AbortSignal): Promise<MjTask[]> {
    if (ids.length === 0) return [];
    const answer = await this.transport.request({
      method: "POST",
      api: "mj",
      path: "/mj/task/list-by-ids",
      body: { ids },
      signal,
    });
    if (answer.status !== 200) throw refusalOf("mj", answer);
    return parsed(MjTaskListSchema, answer);
  }

  /**
   * Tasks, newest first, filtered by status, action or state, a page at a time. The seed API's
   * list gives the filters and the cursor, `list-by-ids` the `/mj` view of each task.
   */
  async list(options: ListOptions = {}): Promise<TaskPage> {
    const page = await this.seed.list(options);
    const tasks = await this.fetchMany(
      page.tasks.map((task) => task._id),
      options.signal,
    );
    return { tasks, nextCursor: page.nextCursor };
  }

  /** Tasks waiting or running, oldest submit first. */
  queue(signal?: AbortSignal): Promise<MjTask[]> {
    return this.get(MjTaskListSchema, "/mj/task/queue", {}, signal);
  }

  /** Ends an unfinished task as CANCEL. */
  async cancel(id: string, signal?: AbortSignal): Promise<void> {
    const answer = await this.transport.request({
      method: "POST",
      api: "mj",
      path: `/mj/task/${encodeURIComponent(id)}/cancel`,
      signal,
    });
    envelopeOf("mj", answer, [1]);
  }

  /** The Midjourney seed of a finished image task. */
  async imageSeed(id: string, signal?: AbortSignal): Promise<string> {
    const answer = await this.transport.request({
      method: "GET",
      api: "mj",
      path: `/mj/task/${encodeURIComponent(id)}/image-seed`,
      signal,
    });
    return String(envelopeOf("mj", answer, [1]).result);
  }

  /** The gateway's Discord accounts: safe fields, running and queued counts. */
  async accounts(signal?: AbortSignal): Promise<MjAccount[]> {
    const answer = await this.transport.request({
      method: "GET",
      api: "mj",
      path: "/mj/account/list",
      signal,
    });
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw refusalOf("mj", answer);
    return parsed(MjAccountListSchema, answer);
  }

  /**
   * Resolves with the task once it is SUCCESS, FAILURE or CANCEL (a failed task resolves too:
   * check `status`). Follows `GET /mj/task/{id}/events` when the gateway streams; otherwise polls
   * fetch, more slowly while nothing changes.
   */
  waitFor(id: string, options: WaitOptions = {}): Promise<MjTask> {
    return waitForTask(
      { transport: this.transport, fetchTask: (taskId, signal) => this.fetch(taskId, signal) },
      id,
      options,
    );
  }
}

/** The seed API's fields for `/api/v1/trigger/submit`. */
export interface SeedSubmitInput {
  action: "IMAGINE" | "UPSCALE" | "VARIATION";
  prompt?: string;
  /** The parent task's `_id` (UPSCALE, VARIATION). */
  taskId?: string;
  index?: 1 | 2 | 3 | 4;
  state?: string;
  notifyHook?: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface SeedPage {
  tasks: PublicTask[];
  nextCursor: string | null;
}

const PublicTaskListSchema = PublicTaskSchema.array();

/** The seed API (`/api/v1`): answers `{code: 1, result}` or refusals `{code: 0, description}`. */
export class SeedApi {
  constructor(private readonly transport: Transport) {}

  /** Submits a task; resolves with its `_id`. */
  async submit(input: SeedSubmitInput): Promise<string> {
    const { idempotencyKey, signal, ...fields } = input;
    const answer = await this.transport.request({
      method: "POST",
      api: "seed",
      path: "/api/v1/trigger/submit",
      body: compact(fields),
      idempotencyKey: idempotencyKey ?? crypto.randomUUID(),
      signal,
    });
    return String(envelopeOf("seed", answer, [1]).result);
  }

  /** One task in the seed's view. */
  async fetch(id: string, signal?: AbortSignal): Promise<PublicTask> {
    const answer = await this.transport.request({
      method: "GET",
      api: "seed",
      path: "/api/v1/task/fetch",
      query: { _id: id },
      signal,
    });
    if (answer.status !== 200) throw refusalOf("seed", answer);
    return parsed(PublicTaskSchema, answer);
  }

  /** A page of tasks, newest first; pass `nextCursor` back for the next one. */
  async list(options: ListOptions = {}): Promise<SeedPage> {
    const { signal, ...query } = options;
    const answer = await this.transport.request({
      method: "GET",
      api: "seed",
      path: "/api/v1/task/list",
      query: { ...query },
      signal,
    });
    if (answer.status !== 200) throw refusalOf("seed", answer);
    return {
      tasks: parsed(PublicTaskListSchema, answer),
      nextCursor: answer.headers.get("x-next-cursor"),
    };
  }
}
