import { z } from "zod";

/** The Midjourney bot's user id, which is also its application id (discord-protocol.md §0). */
export const MIDJOURNEY_APPLICATION_ID = "936929561302675456";

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
