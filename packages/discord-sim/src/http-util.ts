import type { IncomingMessage, ServerResponse } from "node:http";

/** Small HTTP helpers: bodies, JSON answers and the payload_json part of multipart forms. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, { message: "Request entity too large", code: 40005 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Parse a JSON body, or the `payload_json` part of a multipart/form-data body (discord-protocol.md §1.1). */
export function parsePayload(contentType: string | undefined, body: Buffer): unknown {
  const type = (contentType ?? "").toLowerCase();
  let text: string;
  if (type.startsWith("multipart/form-data")) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? "")?.[1];
    if (!boundary) throw new HttpError(400, { message: "Invalid multipart body", code: 50035 });
    const part = multipartField(body, boundary, "payload_json");
    if (part === undefined)
      throw new HttpError(400, { code: 50035, message: "Invalid Form Body", errors: {} });
    text = part;
  } else {
    text = body.toString("utf8");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, { message: "400: Bad Request", code: 0 });
  }
}

export function multipartField(body: Buffer, boundary: string, name: string): string | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const fieldName = /name="([^"]*)"/i.exec(headers)?.[1];
      if (fieldName === name) {
        let content = part.subarray(headerEnd + 4);
        if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2);
        return content.toString("utf8");
      }
    }
    pos = next;
  }
  return undefined;
}
