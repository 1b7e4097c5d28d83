import type { MjTask } from "@mjg/shared/mj-task";
import { MjgClient } from "../client.js";
import type { Submitted } from "../types.js";
import { EXIT } from "./exit.js";
import { saveImages } from "./files.js";
import { progressView, seconds } from "./progress.js";

/** What every command runs with: the client, where to write, and how the user wants output. */
export interface Context {
  client: MjgClient;
  json: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  /** Resolves a path as typed by the user. */
  path(path: string): string;
}

export function makeClient(
  url: string,
  secret: string | undefined,
  stderr: NodeJS.WriteStream,
  json: boolean,
) {
  return new MjgClient({
    baseUrl: url,
    secret,
    userAgent: "mjg-cli/0.1",
    onRetry: ({ status, delayMs, attempt }) => {
      if (!json) stderr.write(`gateway busy (HTTP ${status}); retry ${attempt} in ${seconds(delayMs)}\n`);
    },
  });
}

export function print(ctx: Context, human: string, json: unknown): void {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
}

/** Options every submit command takes. */
export interface WaitFlags {
  wait?: boolean;
  out?: string;
  timeout?: number;
}

/** Prints an accepted submit; with --wait or --out follows the task to its end. */
export async function afterSubmit(ctx: Context, submitted: Submitted, flags: WaitFlags): Promise<number> {
  if (submitted.modal) {
    print(
      ctx,
      `task ${submitted.id} waits for its pop-up: mjg modal ${submitted.id} --prompt "…"`,
      submitted,
    );
    return EXIT.OK;
  }
  if (!flags.wait && !flags.out) {
    const queued = submitted.queued ? ` (${submitted.queued} ahead)` : "";
    print(ctx, `submitted task ${submitted.id}${queued}\nfollow it: mjg wait ${submitted.id}`, submitted);
    return EXIT.OK;
  }
  if (!ctx.json && ctx.stdout.isTTY !== true) ctx.stdout.write(`submitted task ${submitted.id}\n`);
  return waitAndReport(ctx, submitted.id, flags);
}

/** Waits with a progress view, saves the images with --out, and says how it ended. */
export async function waitAndReport(ctx: Context, id: string, flags: WaitFlags): Promise<number> {
  const started = Date.now();
  const view = ctx.json ? null : progressView(ctx.stdout, id);
  let task: MjTask;
  try {
    task = await ctx.client.waitFor(id, {
      signal: ctx.signal,
      timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
      onProgress: (t) => view?.update(t),
    });
  } finally {
    view?.stop();
  }
  const files = flags.out && task.status === "SUCCESS" ? await saveImages(task, ctx.path(flags.out)) : [];
  print(ctx, summary(task, Date.now() - started, files), flags.out ? { ...task, files } : task);
  return task.status === "SUCCESS" ? EXIT.OK : EXIT.TASK_FAILED;
}

function summary(task: MjTask, elapsedMs: number, files: string[]): string {
  const lines = [`${task.status} task ${task.id} (${task.action}) after ${seconds(elapsedMs)}`];
  if (task.failReason) lines.push(`reason: ${task.failReason}`);
  if (task.status === "SUCCESS") {
    if (task.action === "DESCRIBE" || task.action === "SHORTEN")
      lines.push(task.properties.finalPrompt ?? "");
    if (task.imageUrl) lines.push(`image: ${task.imageUrl}`);
    for (const file of files) lines.push(`saved: ${file}`);
    if (task.buttons.some((b) => /^MJ::JOB::upsample::\d::/.test(b.customId)))
      lines.push(`next: mjg upscale ${task.id} 1-4 · mjg vary ${task.id} 1-4 · mjg fetch ${task.id}`);
  }
  return lines.join("\n");
}
