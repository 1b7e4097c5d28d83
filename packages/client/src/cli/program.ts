import { TASK_ACTIONS, TASK_STATUSES, type TaskAction, type TaskStatus } from "@mjg/shared/task";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { SpeedMode } from "../types.js";
import { resolveSettings, userPath } from "./config.js";
import { afterSubmit, type Context, makeClient, print, type WaitFlags, waitAndReport } from "./context.js";
import { EXIT, errorJson, errorLine, exitCodeOf, UsageError } from "./exit.js";
import { readImage } from "./files.js";
import { accountsTable, taskDetails, tasksTable } from "./format.js";
import { watch } from "./watch.js";

function index(value: string): 1 | 2 | 3 | 4 {
  if (!/^[1-4]$/.test(value)) throw new InvalidArgumentError("must be 1, 2, 3 or 4");
  return Number(value) as 1 | 2 | 3 | 4;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function whole(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return Number(value);
}

interface SubmitFlags extends WaitFlags {
  state?: string;
  notifyHook?: string;
  mode?: string;
  key?: string;
}

/** --wait, --out, --timeout and the fields every submit route takes. */
function submitOptions(command: Command): Command {
  return command
    .option("-w, --wait", "follow the task to its end with a progress bar")
    .option("-o, --out <dir>", "save the finished images into <dir> (implies --wait)")
    .option("--timeout <seconds>", "stop waiting after this long (exit 6)", positive)
    .option("--state <text>", "echoed back in the task's state")
    .option("--notify-hook <url>", "URL the gateway calls back on every change")
    .addOption(
      new Option("--mode <mode>", "speed mode (the /mj-fast, /mj-relax, /mj-turbo prefixes)").choices([
        "fast",
        "relax",
        "turbo",
      ]),
    )
    .option(
      "--key <idempotency-key>",
      "Idempotency-Key: resubmitting with the same key makes no second task",
    );
}

function submitFields(flags: SubmitFlags, signal: AbortSignal) {
  return {
    state: flags.state,
    notifyHook: flags.notifyHook,
    mode: flags.mode?.toUpperCase() as SpeedMode | undefined,
    idempotencyKey: flags.key,
    signal,
  };
}

const isLink = (value: string) => /^https?:\/\//i.test(value);

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/** Builds `mjg`; each action sets `result.code`. */
function build(io: Io, result: { code: number }): Command {
  const program = new Command("mjg")
    .description("Command line of the Midjourney API gateway")
    .version("0.1.0")
    .option("--url <url>", "gateway URL (env MJG_URL; default http://127.0.0.1:3000)")
    .option("--secret <secret>", "the gateway's MJ_API_SECRET (env MJG_SECRET)")
    .option(
      "--config <file>",
      "JSON config file {url, secret} (env MJG_CONFIG; default ~/.config/mjg/config.json)",
    )
    .option("--json", "print JSON for scripts instead of text")
    .exitOverride()
    .showHelpAfterError("(mjg --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText(
      "after",
      `
Exit codes: 0 ok · 1 unexpected error · 2 bad arguments · 3 refused by the gateway ·
4 task FAILURE/CANCEL · 5 gateway unreachable or busy · 6 --timeout · 130 Ctrl-C

Example:
  mjg imagine "a lighthouse at dawn" --wait --out ./out`,
    );

  // Every action: settings resolved, a client made, errors turned into exit codes.
  const action =
    <A extends unknown[]>(run: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals() as {
        url?: string;
        secret?: string;
        config?: string;
        json?: boolean;
      };
      const json = globals.json === true;
      const settings = resolveSettings({ flags: globals, env: io.env });
      const ctx: Context = {
        client: makeClient(settings.url, settings.secret, io.stderr, json),
        json,
        stdout: io.stdout,
        stderr: io.stderr,
        signal: io.signal,
        env: io.env,
        path: (path) => userPath(path, io.env),
      };
      result.code = await run(ctx, ...(args.slice(0, -1) as A));
    };

  submitOptions(
    program
      .command("imagine")
      .description("draw a grid of four from a prompt")
      .argument("<prompt...>", "the prompt (quote it, or let the words run on)")
      .option("-i, --image <file...>", "reference images (up to 5)")
      .option("--niji", "use the Niji bot"),
  ).action(
    action(async (ctx, words: string[], flags: SubmitFlags & { image?: string[]; niji?: boolean }) => {
      const images = await Promise.all((flags.image ?? []).map((file) => readImage(ctx.path(file))));
      const submitted = await ctx.client.imagine({
        prompt: words.join(" "),
        images: images.length ? images : undefined,
        botType: flags.niji ? "NIJI_JOURNEY" : undefined,
        ...submitFields(flags, ctx.signal),
      });
      return afterSubmit(ctx, submitted, flags);
    }),
  );

  submitOptions(
    program
      .command("upscale")
      .description("U1–U4: upscale one image of a finished grid")
      .argument("<id>", "the grid's task id")
      .argument("<index>", "1–4", index),
  ).action(
    action(async (ctx, id: string, n: 1 | 2 | 3 | 4, flags: SubmitFlags) =>
      afterSubmit(ctx, await ctx.client.upscale(id, n, submitFields(flags, ctx.signal)), flags),
    ),
  );

  submitOptions(
    program
      .command("vary")
      .alias("variation")
      .description("V1–V4: variations of one image of a finished grid")
      .argument("<id>", "the grid's task id")
      .argument("<index>", "1–4", index),
  ).action(
    action(async (ctx, id: string, n: 1 | 2 | 3 | 4, flags: SubmitFlags) =>
      afterSubmit(ctx, await ctx.client.variation(id, n, submitFields(flags, ctx.signal)), flags),
    ),
  );

  submitOptions(
    program.command("reroll").description("draw a finished grid's prompt again").argument("<id>", "task id"),
  ).action(
    action(async (ctx, id: string, flags: SubmitFlags) =>
      afterSubmit(ctx, await ctx.client.reroll(id, submitFields(flags, ctx.signal)), flags),
    ),
  );

  submitOptions(
    program
      .command("action")
      .description("click any button of a finished task by its customId (see mjg fetch <id>)")
      .argument("<id>", "task id")
      .argument("<customId>", "the button's customId, e.g. MJ::JOB::upsample::1::<hash>")
      .option("--remix", "answer a Remix pop-up"),
  ).action(
    action(async (ctx, id: string, customId: string, flags: SubmitFlags & { remix?: boolean }) =>
      afterSubmit(
        ctx,
        await ctx.client.action(id, customId, {
          enableRemix: flags.remix,
          ...submitFields(flags, ctx.signal),
        }),
        flags,
      ),
    ),
  );

  submitOptions(
    program
      .command("modal")
      .description("answer the pop-up of a task waiting as MODAL (Custom Zoom, Vary Region, Remix)")
      .argument("<id>", "the MODAL task's id")
      .option("-p, --prompt <prompt>", "the pop-up's prompt (blank keeps the task's own)")
      .option("--mask <file>", "Vary (Region): the mask image"),
  ).action(
    action(async (ctx, id: string, flags: SubmitFlags & { prompt?: string; mask?: string }) => {
      const mask = flags.mask ? await readImage(ctx.path(flags.mask)) : undefined;
      const submitted = await ctx.client.modal(id, {
        prompt: flags.prompt,
        mask,
        ...submitFields(flags, ctx.signal),
      });
      return afterSubmit(ctx, submitted, flags);
    }),
  );

  submitOptions(
    program
      .command("describe")
      .description("four prompts for an image (a file or an http(s) link)")
      .argument("<image>", "image file or URL"),
  ).action(
    action(async (ctx, image: string, flags: SubmitFlags) => {
      const input = isLink(image) ? { link: image } : { image: await readImage(ctx.path(image)) };
      return afterSubmit(
        ctx,
        await ctx.client.describe({ ...input, ...submitFields(flags, ctx.signal) }),
        flags,
      );
    }),
  );

  submitOptions(
    program
      .command("blend")
      .description("blend 2–5 images into one")
      .argument("<images...>", "2–5 image files")
      .addOption(
        new Option("-d, --dimensions <shape>", "shape of the result")
          .choices(["portrait", "square", "landscape"])
          .default("square"),
      ),
  ).action(
    action(async (ctx, files: string[], flags: SubmitFlags & { dimensions: string }) => {
      if (files.length < 2 || files.length > 5) throw new UsageError("blend takes 2 to 5 images");
      const images = await Promise.all(files.map((file) => readImage(ctx.path(file))));
      const dimensions = flags.dimensions.toUpperCase() as "PORTRAIT" | "SQUARE" | "LANDSCAPE";
      return afterSubmit(
        ctx,
        await ctx.client.blend({ images, dimensions, ...submitFields(flags, ctx.signal) }),
        flags,
      );
    }),
  );

  submitOptions(
    program
      .command("shorten")
      .description("Midjourney's reading of a prompt and five shorter ones")
      .argument("<prompt...>", "the prompt"),
  ).action(
    action(async (ctx, words: string[], flags: SubmitFlags) =>
      afterSubmit(ctx, await ctx.client.shorten(words.join(" "), submitFields(flags, ctx.signal)), flags),
    ),
  );

  program
    .command("wait")
    .description("follow a task to its end (progress bar), optionally saving its images")
    .argument("<id>", "task id")
    .option("-o, --out <dir>", "save the finished images into <dir>")
    .option("--timeout <seconds>", "stop waiting after this long (exit 6)", positive)
    .action(action(async (ctx, id: string, flags: WaitFlags) => waitAndReport(ctx, id, flags)));

  program
    .command("fetch")
    .description("one task: status, prompt, image, buttons")
    .argument("<id>", "task id")
    .action(
      action(async (ctx, id: string) => {
        const task = await ctx.client.fetch(id, ctx.signal);
        print(ctx, taskDetails(task), task);
        return EXIT.OK;
      }),
    );

  program
    .command("list")
    .description("tasks, newest first")
    .addOption(new Option("-s, --status <status>", "only tasks in this status").choices(TASK_STATUSES))
    .addOption(new Option("-a, --action <action>", "only tasks of this action").choices(TASK_ACTIONS))
    .option("--state <text>", "only tasks with this state")
    .option("-n, --limit <n>", "page size (≤ 500)", whole, 20)
    .option("--cursor <cursor>", "the next-page cursor a previous list printed")
    .action(
      action(
        async (
          ctx,
          flags: { status?: TaskStatus; action?: TaskAction; state?: string; limit: number; cursor?: string },
        ) => {
          const page = await ctx.client.list({ ...flags, signal: ctx.signal });
          const more = page.nextCursor ? `\nmore: mjg list --cursor ${page.nextCursor}` : "";
          print(ctx, tasksTable(page.tasks) + more, page);
          return EXIT.OK;
        },
      ),
    );

  program
    .command("watch")
    .description("a live table of the newest tasks (Ctrl-C to stop)")
    .option("-n, --limit <n>", "how many tasks", whole, 15)
    .option("--interval <seconds>", "refresh every", positive, 1)
    .option("--count <n>", "stop after this many refreshes", whole)
    .action(
      action(async (ctx, flags: { limit: number; interval: number; count?: number }) => watch(ctx, flags)),
    );

  program
    .command("accounts")
    .description("the gateway's Discord accounts and their load")
    .action(
      action(async (ctx) => {
        const accounts = await ctx.client.accounts(ctx.signal);
        print(ctx, accountsTable(accounts), accounts);
        return EXIT.OK;
      }),
    );

  program
    .command("cancel")
    .description("end an unfinished task as CANCEL")
    .argument("<id>", "task id")
    .action(
      action(async (ctx, id: string) => {
        await ctx.client.cancel(id, ctx.signal);
        print(ctx, `cancelled task ${id}`, { id, cancelled: true });
        return EXIT.OK;
      }),
    );

  return program;
}

/** Runs `mjg` with these arguments (without node and the script); resolves with the exit code. */
export async function run(args: string[], io: Io): Promise<number> {
  const result = { code: EXIT.OK as number };
  const program = build(io, result);
  const json = args.includes("--json");
  try {
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync(args, { from: "user" });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (io.signal.aborted) {
      io.stderr.write("stopped waiting; the task goes on (mjg wait <id> follows it again)\n");
      return EXIT.INTERRUPTED;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n(mjg --help for usage)\n`);
      return EXIT.USAGE;
    }
    io.stderr.write(json ? `${JSON.stringify({ error: errorJson(error) })}\n` : `mjg: ${errorLine(error)}\n`);
    return exitCodeOf(error);
  }
}
