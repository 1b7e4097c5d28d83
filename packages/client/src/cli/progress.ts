import type { MjTask } from "@mjg/shared/mj-task";
import { isTerminal } from "@mjg/shared/task";
import cliProgress from "cli-progress";

/** How far a task is, 0–100, from its `/mj` progress text ("45%"; "" once failed). */
export function percent(task: MjTask): number {
  if (task.status === "SUCCESS") return 100;
  const match = /^(\d{1,3})%$/.exec(task.progress);
  return match ? Math.min(100, Number(match[1])) : 0;
}

export function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))}s`;
}

/** Reports a waiting task's changes: a live bar on a terminal, a line per change otherwise. */
export interface ProgressView {
  update(task: MjTask): void;
  /** Leaves the bar where it is (its last state stays on screen). */
  stop(): void;
}

export function progressView(
  stream: NodeJS.WriteStream,
  taskId: string,
  now: () => number = Date.now,
): ProgressView {
  return stream.isTTY ? barView(stream, taskId) : lineView(stream, taskId, now);
}

function barView(stream: NodeJS.WriteStream, taskId: string): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {percentage}% | {status} | {duration_formatted} | task {id}",
      stream,
      hideCursor: true,
      barsize: 30,
      // Elapsed time keeps moving between the gateway's updates.
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { status: "SUBMITTED", id: taskId });
  let stopped = false;
  return {
    update(task) {
      bar.update(percent(task), { status: task.status });
      if (isTerminal(task.status)) this.stop();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function lineView(stream: NodeJS.WriteStream, taskId: string, now: () => number): ProgressView {
  const started = now();
  let last = "";
  return {
    update(task) {
      const line = `${task.status} ${percent(task)}%`;
      if (line === last) return;
      last = line;
      stream.write(`task ${taskId}: ${line} (${seconds(now() - started)})\n`);
    },
    stop() {},
  };
}
