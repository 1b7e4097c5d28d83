import { z } from "zod";

/** The Midjourney bot's user id, which is also its application id (discord-protocol.md §0). */
export const MIDJOURNEY_APPLICATION_ID = "936929561302675456";
/** The niji・journey bot's application id (discord-protocol.md §0). */
export const NIJI_APPLICATION_ID = "1022952195194359889";

/** The slash commands the gateway sends. */
export const COMMAND_NAMES = ["imagine", "describe", "blend", "shorten", "show"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const CommandSchema = z.looseObject({
  id: z.string(),
  version: z.string(),
  name: z.string(),
  application_id: z.string(),
  type: z.number().optional(),
});

/** An application-command-index answer: `{applications, application_commands}` (§1.2). */
const CommandIndexSchema = z.looseObject({ application_commands: z.array(z.unknown()) });

export interface ApplicationCommand {
  id: string;
  version: string;
  name: string;
  application_id: string;
  /** The command object as the index returned it; the web client sends it back as `data.application_command`. */
  raw: Record<string, unknown>;
}

/**
 * Finds a Midjourney command by name in an application-command-index answer; commands of other
 * applications and malformed entries are skipped.
 */
export function findCommand(
  index: unknown,
  name: string,
  applicationId: string = MIDJOURNEY_APPLICATION_ID,
): ApplicationCommand | undefined {
  const parsed = CommandIndexSchema.safeParse(index);
  if (!parsed.success) return undefined;
  for (const entry of parsed.data.application_commands) {
    const command = CommandSchema.safeParse(entry);
    if (!command.success) continue;
    const { id, version, application_id } = command.data;
    if (command.data.name !== name || application_id !== applicationId) continue;
    return { id, version, name, application_id, raw: command.data };
  }
  return undefined;
}

/** /imagine as of the 2024-08 index (§1.2 table): used until the index has been fetched. */
export const DEFAULT_IMAGINE_COMMAND: ApplicationCommand = {
  id: "938956540159881230",
  version: "1237876415471554623",
  name: "imagine",
  application_id: MIDJOURNEY_APPLICATION_ID,
  raw: {
    id: "938956540159881230",
    type: 1,
    application_id: MIDJOURNEY_APPLICATION_ID,
    version: "1237876415471554623",
    name: "imagine",
    description: "Create images with Midjourney",
    options: [{ type: 3, name: "prompt", description: "The prompt to imagine", required: true }],
    dm_permission: true,
    contexts: [0, 1, 2],
    integration_types: [0, 1],
  },
};

type CommandSpec = { id: string; version: string; description: string; options: unknown[] };

const IMAGE = (name: string, description: string, required = false) => ({
  type: 11,
  name,
  description,
  required,
});
const TEXT = (name: string, description: string, required = false) => ({
  type: 3,
  name,
  description,
  required,
});

const BLEND_OPTIONS = [
  IMAGE("image1", "First image to add to the blend", true),
  IMAGE("image2", "Second image to add to the blend", true),
  {
    ...TEXT("dimensions", "The dimensions of the image. If not specified, the image will be square."),
    choices: [
      { name: "Portrait", value: "--ar 2:3" },
      { name: "Square", value: "--ar 1:1" },
      { name: "Landscape", value: "--ar 3:2" },
    ],
  },
  IMAGE("image3", "Third image to add to the blend (optional)"),
  IMAGE("image4", "Fourth image to add to the blend (optional)"),
  IMAGE("image5", "Fifth image to add to the blend (optional)"),
];

// Ids and versions of the 2024-08 index (discord-protocol.md §1.2 table).
const MJ_COMMANDS: Record<CommandName, CommandSpec> = {
  imagine: {
    id: "938956540159881230",
    version: "1237876415471554623",
    description: "Create images with Midjourney",
    options: [{ type: 3, name: "prompt", description: "The prompt to imagine", required: true }],
  },
  describe: {
    id: "1092492867185950852",
    version: "1237876415471554625",
    description: "Writes a prompt based on your image.",
    options: [IMAGE("image", "The image to describe"), TEXT("link", "…")],
  },
  blend: {
    id: "1062880104792997970",
    version: "1237876415471554624",
    description: "Blend images together seamlessly!",
    options: BLEND_OPTIONS,
  },
  shorten: {
    id: "1121575372539039774",
    version: "1247736572414001223",
    description: "Analyzes and shortens a prompt.",
    options: [TEXT("prompt", "The prompt to shorten", true)],
  },
  show: {
    id: "1169435442328911902",
    version: "1247736572414001224",
    description: "Shows the job view based on job id.",
    options: [
      TEXT("job_id", "The job ID of the job you want to show. It should look similar to this:…", true),
    ],
  },
};

// niji・journey's ids (discord-protocol.md §1.2); its versions are unknown until the index is read, so
// /imagine's is reused. Its /show id is unknown: /show goes to the Midjourney bot.
const NIJI_VERSION = "1121575453916942378";
const NIJI_COMMANDS: Partial<Record<CommandName, CommandSpec>> = {
  imagine: { ...MJ_COMMANDS.imagine, id: "1023054140580057099", version: NIJI_VERSION },
  describe: { ...MJ_COMMANDS.describe, id: "1092683500743831652", version: NIJI_VERSION },
  blend: { ...MJ_COMMANDS.blend, id: "1061216934374424697", version: NIJI_VERSION },
  shorten: { ...MJ_COMMANDS.shorten, id: "1121575453916942376", version: NIJI_VERSION },
};

/**
 * A built-in command object, used only until the application-command index has been read
 * (`findCommand`). niji's /show is not known: Midjourney's /show is returned.
 */
export function defaultCommand(
  name: CommandName,
  applicationId: string = MIDJOURNEY_APPLICATION_ID,
): ApplicationCommand {
  const niji = applicationId === NIJI_APPLICATION_ID ? NIJI_COMMANDS[name] : undefined;
  const spec = niji ?? MJ_COMMANDS[name];
  const application_id = niji ? NIJI_APPLICATION_ID : MIDJOURNEY_APPLICATION_ID;
  return {
    id: spec.id,
    version: spec.version,
    name,
    application_id,
    raw: {
      id: spec.id,
      type: 1,
      application_id,
      version: spec.version,
      name,
      description: spec.description,
      options: spec.options,
      dm_permission: true,
      contexts: [0, 1, 2],
      integration_types: [0, 1],
    },
  };
}
