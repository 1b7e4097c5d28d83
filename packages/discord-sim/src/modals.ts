import type { ButtonAction } from "./content.js";
import type { Message } from "./messages.js";

/** Pop-ups Midjourney opens for a click (discord-protocol.md §1.4, §2). Pure. */
export interface ModalSpec {
  customId: string;
  title: string;
  fieldId: string;
  label: string;
  value: string;
}

/** The modal a click opens, or null when the click runs at once. `remix` = the account's Remix mode. */
export function modalFor(
  action: ButtonAction,
  source: Message,
  prompt: string,
  remix: boolean,
): ModalSpec | null {
  switch (action.action) {
    case "custom-zoom":
      return {
        customId: `MJ::OutpaintCustomZoomModal::${action.hash}`,
        title: "Zoom Out",
        fieldId: "MJ::OutpaintCustomZoomModal::prompt",
        label: "Zoom out value (1.0 - 2.0)",
        value: `${prompt} --zoom 2`,
      };
    case "picreader":
      return {
        customId: `MJ::Picreader::Modal::${action.n}`,
        title: "Imagine This!",
        fieldId: "MJ::Picreader::Modal::PromptField",
        label: "Prompt",
        value: numberedPrompts(source.embeds[0]?.description ?? "")[action.n - 1] ?? "",
      };
    case "prompt-analyzer":
      return {
        customId: `MJ::ImagineModal::${source.id}`,
        title: "Imagine This!",
        fieldId: "MJ::ImagineModal::new_prompt",
        label: "Prompt",
        value: numberedPrompts(source.embeds[0]?.description ?? "")[action.n - 1] ?? "",
      };
    default:
      break;
  }
  if (!remix) return null;
  switch (action.action) {
    case "variation":
      return {
        customId: `MJ::RemixModal::${action.hash}::${action.index}::${action.strong ? 1 : 0}`,
        title: "Remix Prompt",
        fieldId: "MJ::RemixModal::new_prompt",
        label: `New prompt for image #${action.index}`,
        value: prompt,
      };
    case "reroll":
      return {
        customId: `MJ::ImagineModal::${source.id}`,
        title: "Imagine This!",
        fieldId: "MJ::ImagineModal::new_prompt",
        label: "Prompt",
        value: prompt,
      };
    case "pan":
      return {
        customId: `MJ::PanModal::${action.direction}::${action.hash}::1`,
        title: action.label,
        fieldId: "MJ::PanModal::prompt",
        label: "Prompt",
        value: prompt,
      };
    default:
      return null;
  }
}

/** The INTERACTION_MODAL_CREATE `d` for a modal (discord-protocol.md §3.7). */
export function modalEvent(
  spec: ModalSpec,
  ids: { id: string; nonce?: string; channelId: string; guildId: string | null },
  application: Record<string, unknown>,
) {
  return {
    id: ids.id,
    ...(ids.nonce !== undefined ? { nonce: ids.nonce } : {}),
    channel_id: ids.channelId,
    ...(ids.guildId ? { guild_id: ids.guildId } : {}),
    custom_id: spec.customId,
    title: spec.title,
    components: [
      {
        type: 1,
        components: [
          {
            type: 4,
            custom_id: spec.fieldId,
            label: spec.label,
            style: 2,
            value: spec.value,
            required: true,
            min_length: 1,
            max_length: 4000,
          },
        ],
      },
    ],
    application,
  };
}

/** `1️⃣ a\n\n2️⃣ b…` → ["a", "b", …] (the describe/shorten embed texts, discord-protocol.md §4.5). */
export function numberedPrompts(description: string): string[] {
  return [...description.matchAll(/(\d)\uFE0F\u20E3 (.+)/g)].map((m) => m[2]!.trim());
}
