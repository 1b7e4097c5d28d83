import multipart from "@fastify/multipart";
import { ApiError } from "@mjg/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Multipart forms read into plain key → value fields (repeated names become arrays), in the
 * preValidation phase, before any handler runs. A body the parser cannot read (no boundary, a body
 * that does not match its boundary, a truncated part) is the client's fault: it answers 400, never 500.
 */
export async function installMultipart(app: FastifyInstance, fieldSize: number): Promise<void> {
  await app.register(multipart, { limits: { fieldSize, files: 0, fields: 50 } });
  app.addHook("preValidation", (request, _reply, done) => {
    // Callback style: most requests are not multipart and should not pay for a promise.
    if (!request.isMultipart()) return done();
    readFields(request).then(
      (body) => {
        request.body = body;
        done();
      },
      (error: Error) => done(error),
    );
  });
}

async function readFields(request: FastifyRequest): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  try {
    for await (const part of request.parts()) {
      // Files are refused by the `files: 0` limit before they reach here; drain one anyway if it does.
      if (part.type === "file") {
        await part.toBuffer();
        continue;
      }
      const previous = body[part.fieldname];
      body[part.fieldname] =
        previous === undefined
          ? part.value
          : Array.isArray(previous)
            ? [...previous, part.value]
            : [previous, part.value];
    }
  } catch (error) {
    throw asBodyError(error);
  }
  return body;
}

// The plugin's own errors (limits, prototype keys) carry a FST_ code the envelope maps; the
// parser's (busboy) are plain errors about the bytes the client sent.
function asBodyError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("FST_")) return error;
  return new ApiError("INVALID_BODY", "malformed multipart/form-data");
}
