import { z } from "zod";
import { MJ_APPLICATION_ID, NIJI_APPLICATION_ID } from "./discord-objects.js";

/** Bodies of POST /interactions as the web client sends them (discord-protocol.md §1.2, §1.3). */
const snowflake = z.string().regex(/^\d{15,21}$/, "Value is not snowflake.");

const common = {
  application_id: z.enum([MJ_APPLICATION_ID, NIJI_APPLICATION_ID]),
  guild_id: snowflake.nullish(),
  channel_id: snowflake,
  // The gateway session id: 32 lowercase hex (§1.1).
  session_id: z.string().regex(/^[0-9a-f]{32}$/, "Invalid session id."),
  // Message nonces are at most 25 characters (§1.1).
  nonce: z.string().max(25).optional(),
  analytics_location: z.string().optional(),
};

/** An uploaded file referenced by an interaction or a message (discord-protocol.md §1.5 step 3). */
export const AttachmentRef = z.looseObject({
  id: z.union([z.string(), z.number()]),
  filename: z.string().min(1),
  uploaded_filename: z.string().min(1),
});

export const ApplicationCommandInteraction = z.looseObject({
  type: z.literal(2),
  ...common,
  data: z.looseObject({
    id: snowflake,
    name: z.string(),
    type: z.number().int().optional(),
    version: z.string().optional(),
    options: z
      .array(
        z.looseObject({
          type: z.number().int(),
          name: z.string(),
          value: z.union([z.string(), z.number(), z.boolean()]),
        }),
      )
      .default([]),
    attachments: z.array(AttachmentRef).default([]),
    application_command: z.unknown().optional(),
  }),
});

export const ComponentInteraction = z.looseObject({
  type: z.literal(3),
  ...common,
  message_id: snowflake,
  // The clicked message's flags, 64 on an ephemeral one (§1.3).
  message_flags: z.number().int(),
  data: z.looseObject({ component_type: z.literal(2), custom_id: z.string().min(1).max(100) }),
});

/** MODAL_SUBMIT (§1.4): `data.id` is the pop-up's interaction id, the text input carries the prompt. */
export const ModalSubmitInteraction = z.looseObject({
  type: z.literal(5),
  ...common,
  data: z.looseObject({
    id: snowflake,
    custom_id: z.string().min(1).max(100),
    components: z
      .array(
        z.looseObject({
          type: z.literal(1),
          components: z
            .array(
              z.looseObject({
                type: z.literal(4),
                custom_id: z.string().min(1).max(100),
                value: z.string().max(4000),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
});

export const InteractionBody = z.discriminatedUnion("type", [
  ApplicationCommandInteraction,
  ComponentInteraction,
  ModalSubmitInteraction,
]);
export type InteractionBody = z.infer<typeof InteractionBody>;

/** Discord's 50035 "Invalid Form Body" error tree: {field: {_errors: [{code, message}]}}. */
export function formErrors(issues: readonly z.core.$ZodIssue[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const issue of issues) {
    let node = root;
    for (const key of issue.path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    node._errors ??= [];
    const list = node._errors as Array<{ code: string; message: string }>;
    list.push({
      code: issue.code === "invalid_type" ? "BASE_TYPE_INVALID" : "INVALID_FORM_BODY",
      message: issue.message,
    });
  }
  return root;
}

export const AttachmentsRequest = z.looseObject({
  files: z
    .array(
      z.looseObject({
        filename: z.string().min(1).max(1024),
        file_size: z.number().int().nonnegative().optional(),
        id: z.union([z.string(), z.number()]).optional(),
      }),
    )
    .min(1)
    .max(10),
});

/** POST /channels/:id/messages as the upload flow sends it (§1.5). */
export const CreateMessageRequest = z.looseObject({
  content: z.string().max(2000).default(""),
  nonce: z.union([z.string().max(25), z.number()]).optional(),
  attachments: z.array(AttachmentRef).max(10).default([]),
});

/** POST /users/@me/channels: open the DM with a bot. */
export const CreateDmRequest = z.looseObject({ recipients: z.array(z.string()).min(1).max(1) });

/** The Vary (Region) editor's submit-job body (discord-protocol.md §1.4). */
export const InpaintSubmitRequest = z.looseObject({
  customId: z.string().min(1),
  mask: z.string().min(1),
  prompt: z.string().max(6000).default(""),
  userId: z.string().optional(),
  username: z.string().optional(),
});

/** Control requests on /_sim/* */
export const RemixRequest = z.object({ account: z.string(), remix: z.boolean() });
export const FailNextRequest = z.object({ account: z.string(), kind: z.string() });
export const RateLimitRequest = z.object({
  target: z.string(),
  retryAfter: z.number().positive(),
  count: z.number().int().positive().optional(),
});
export const AccountRequest = z.object({ account: z.string() });
export const InvalidateRequest = z.object({ account: z.string(), resumable: z.boolean() });
export const CloseRequest = z.object({ account: z.string(), code: z.number().int().min(1000).max(4999) });
export const StepDelayRequest = z.object({ ms: z.number().min(0) });
export const FinalWithNonceRequest = z.object({ value: z.boolean() });
export const FailureRateRequest = z.object({ rate: z.number().min(0).max(1) });
export const BannedWordsRequest = z.object({ words: z.array(z.string()) });
