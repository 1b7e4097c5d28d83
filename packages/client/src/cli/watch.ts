import type { MjTask } from "@mjg/shared/mj-task";
import { sleep } from "../http.js";
import type { Context } from "./context.js";
import { EXIT } from "./exit.js";
import { tasksTable } from "./format.js";
import { percent } from "./progress.js";

export interface WatchFlags {
  limit: number;
  interval: number;
  /** Stop after this many refreshes (scripts); forever when absent. */
  count?: number;
}

// Home, clear screen: the table is redrawn in place.
const REDRAW = "\x1b[H\x1b[2J";

/**
 * A live table of the newest tasks. On a terminal it is redrawn in place; otherwise (or with
 * --json) each task that appeared or changed is written once per change.
 */
export async function watch(ctx: Context, flags: WatchFlags): Promise<number> {
  const live = ctx.stdout.isTTY === true && !ctx.json;
  const seen = new Map<string, string>();
  for (let round = 0; flags.count === undefined || round < flags.count; round++) {
    if (round > 0) {
      try {
        await sleep(flags.interval * 1000, ctx.signal);
      } catch {
        return EXIT.OK;
      }
    }
    const { tasks } = await ctx.client.list({ limit: flags.limit, signal: ctx.signal });
    if (live) {
      const stamp = new Date().toLocaleTimeString();
      ctx.stdout.write(
        `${REDRAW}mjg watch · ${ctx.client.transport.options.baseUrl} · ${stamp} · Ctrl-C to stop\n\n`,
      );
      ctx.stdout.write(`${tasksTable(tasks)}\n`);
      continue;
    }
    for (const task of [...tasks].reverse()) {
      const state = `${task.status} ${percent(task)}%`;
      if (seen.get(task.id) === state) continue;
      seen.set(task.id, state);
      ctx.stdout.write(ctx.json ? `${JSON.stringify(task)}\n` : `${line(task)}\n`);
    }
  }
  return EXIT.OK;
}

function line(task: MjTask): string {
  return `${task.id} ${task.action} ${task.status} ${percent(task)}% ${(task.prompt ?? "").slice(0, 60)}`.trimEnd();
}
