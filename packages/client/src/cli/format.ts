import type { MjTask } from "@mjg/shared/mj-task";
import type { MjAccount } from "../types.js";
import { percent } from "./progress.js";

function cut(text: string | null, width: number): string {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function time(ms: number | null): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "";
}

export function tasksTable(tasks: MjTask[]): string {
  if (tasks.length === 0) return "no tasks";
  return table(
    ["ID", "ACTION", "STATUS", "PROGRESS", "SUBMITTED", "PROMPT"],
    tasks.map((t) => [
      t.id,
      t.action,
      t.status,
      `${percent(t)}%`,
      time(t.submitTime),
      cut(t.prompt ?? t.description, 48),
    ]),
  );
}

/** One task, as `mjg fetch` shows it to a person. */
export function taskDetails(task: MjTask): string {
  const lines: [string, string | null | undefined][] = [
    ["id", task.id],
    ["action", task.action],
    ["status", `${task.status} ${task.progress}`.trim()],
    ["prompt", task.prompt],
    ["final prompt", task.properties.finalPrompt],
    ["fail reason", task.failReason],
    ["image", task.imageUrl],
    ["parent", task.parentId],
    ["submitted", time(task.submitTime)],
    ["finished", time(task.finishTime)],
    ["buttons", task.buttons.map((b) => `${b.label || b.emoji} ${b.customId}`).join("\n  ")],
  ];
  return lines
    .filter(([, value]) => value)
    .map(([name, value]) => `${`${name}:`.padEnd(14)}${value!.includes("\n") ? `\n  ${value}` : value}`)
    .join("\n");
}

export function accountsTable(accounts: MjAccount[]): string {
  if (accounts.length === 0) return "no accounts";
  return table(
    ["ID", "ENABLED", "RUNNING", "QUEUED", "SLOTS", "MODES", "REMIX", "DISABLED REASON"],
    accounts.map((a) => [
      a.id,
      a.enable ? "yes" : "no",
      String(a.runningCount),
      String(a.queuedCount),
      `${a.coreSize}+${a.queueSize}`,
      a.modes.join(","),
      a.remix ? "on" : "off",
      a.disabledReason ?? "",
    ]),
  );
}
