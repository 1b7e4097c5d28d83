import { solidPng } from "@mjg/discord-sim";
import type { Stack } from "./harness.js";

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, as a client reads them
export type Answer = any;

/** A real, decodable PNG of one colour (the simulator checks what it receives). */
export function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  return solidPng(width, height, rgb);
}

export const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString("base64")}`;

/** A client of the /mj API as chatgpt-web-midjourney-proxy drives it: submit, then poll fetch. */
export function mjClient(stack: Pick<Stack, "apiUrl">) {
  async function call(path: string, body?: unknown): Promise<{ status: number; body: Answer }> {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** Submits and expects it accepted (code 1 or 22), or waiting for its pop-up (21). */
  async function submitted(path: string, body: unknown, codes = [1, 22]): Promise<Answer> {
    const answer = await call(path, body);
    if (!codes.includes(answer.body?.code))
      throw new Error(`${path} refused: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async function finished(id: string, timeoutMs = 45_000): Promise<Answer> {
    const until = Date.now() + timeoutMs;
    let task: Answer;
    while (Date.now() < until) {
      task = (await call(`/mj/task/${id}/fetch`)).body;
      if (task && ["SUCCESS", "FAILURE", "CANCEL"].includes(task.status)) return task;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`task ${id} did not end; last seen ${JSON.stringify(task)}`);
  }

  return { call, submitted, finished };
}

/** The custom id of the task's first button that matches. */
export function button(task: Answer, match: (customId: string) => boolean): string {
  const found = task.buttons.find((b: Answer) => match(b.customId));
  if (!found)
    throw new Error(`no such button among ${task.buttons.map((b: Answer) => b.customId).join(", ")}`);
  return found.customId;
}
