import type { z } from "zod";
import { appOf, type Command, findCommand } from "./commands.js";
import type { BotApp } from "./discord-objects.js";
import { HttpError } from "./http-util.js";
import type { ApplicationCommandInteraction } from "./schemas.js";
import type { UploadRecord } from "./uploads.js";

/** Strict checks of a slash-command interaction against the command index (discord-protocol.md §1.2). */
export const invalidForm = (errors: Record<string, unknown>) => ({
  code: 50035,
  errors,
  message: "Invalid Form Body",
});

/** `fieldError("data.options.0.value", …)` → the nested `{data:{options:{0:{value:{_errors}}}}}` tree. */
export function fieldError(path: string, code: string, message: string) {
  const keys = path.split(".");
  let node: Record<string, unknown> = { _errors: [{ code, message }] };
  for (const key of keys.reverse()) node = { [key]: node };
  return invalidForm(node);
}

export const badField = (path: string, code: string, message: string) =>
  new HttpError(400, fieldError(path, code, message));

export interface CommandCall {
  command: Command;
  app: BotApp;
  /** Option values by name: strings for type 3, the referenced upload for type 11. */
  strings: Map<string, string>;
  files: Map<string, UploadRecord>;
}

type Body = z.infer<typeof ApplicationCommandInteraction>;

const DIMENSIONS = new Set(["--ar 2:3", "--ar 1:1", "--ar 3:2"]);

export function checkCommand(
  body: Body,
  upload: (uploadFilename: string) => UploadRecord | undefined,
): CommandCall {
  const data = body.data;
  const command = findCommand(body.application_id, data.id);
  if (!command) throw badField("data.id", "APPLICATION_COMMAND_INVALID", "Unknown application command.");
  if (data.name !== command.name)
    throw badField("data.name", "APPLICATION_COMMAND_INVALID", "Command name does not match the command id.");
  if (data.version !== command.version) {
    throw badField(
      "data.version",
      "APPLICATION_COMMAND_INVALID_VERSION",
      "This command is outdated, please try again in a few minutes",
    );
  }
  const uploads = new Map<string, UploadRecord>();
  data.attachments.forEach((ref, i) => {
    const rec = upload(ref.uploaded_filename);
    if (!rec?.body)
      throw badField(`data.attachments.${i}.uploaded_filename`, "ATTACHMENT_NOT_FOUND", "Unknown upload.");
    uploads.set(String(ref.id), rec);
  });
  const strings = new Map<string, string>();
  const files = new Map<string, UploadRecord>();
  data.options.forEach((option, i) => {
    const def = command.options.find((o) => o.name === option.name);
    if (!def)
      throw badField(`data.options.${i}.name`, "APPLICATION_COMMAND_OPTION_INVALID", "Unknown option.");
    if (option.type !== def.type)
      throw badField(`data.options.${i}.type`, "APPLICATION_COMMAND_OPTION_INVALID", "Wrong option type.");
    if (def.type === 11) {
      const rec = uploads.get(String(option.value));
      if (!rec)
        throw badField(`data.options.${i}.value`, "ATTACHMENT_NOT_FOUND", "No attachment with this id.");
      files.set(def.name, rec);
      return;
    }
    if (typeof option.value !== "string" || option.value.trim() === "")
      throw badField(`data.options.${i}.value`, "BASE_TYPE_REQUIRED", "This field is required");
    strings.set(def.name, option.value);
  });
  for (const def of command.options) {
    if (def.required && !strings.has(def.name) && !files.has(def.name)) {
      throw badField(
        "data.options",
        "APPLICATION_COMMAND_OPTIONS_REQUIRED",
        `Required option ${def.name} is missing.`,
      );
    }
  }
  if (command.name === "describe") {
    const link = strings.get("link");
    if (!files.has("image") && !link)
      throw badField("data.options", "APPLICATION_COMMAND_OPTIONS_REQUIRED", "Give an image or a link.");
    if (link && !/^https?:\/\/\S+$/.test(link)) {
      const i = data.options.findIndex((o) => o.name === "link");
      throw badField(`data.options.${i}.value`, "URL_TYPE_INVALID_URL", "Not a well formed URL.");
    }
  }
  if (command.name === "blend") {
    const dims = strings.get("dimensions");
    if (dims !== undefined && !DIMENSIONS.has(dims)) {
      const i = data.options.findIndex((o) => o.name === "dimensions");
      throw badField(`data.options.${i}.value`, "STRING_TYPE_CHOICE", "Value must be one of the choices.");
    }
  }
  return { command, app: appOf(body.application_id), strings, files };
}
