import { deflateSync } from "node:zlib";
import type { Stack } from "./harness.js";

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, as a client reads them
export type Answer = any;

/** A real, decodable PNG of one colour (the simulator checks what it receives). */
export function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
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
