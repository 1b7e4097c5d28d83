import { describe, expect, it } from "vitest";
import {
  buttonInteraction,
  DEFAULT_IMAGINE_COMMAND,
  findCommand,
  imagineInteraction,
  MIDJOURNEY_APPLICATION_ID,
  nextSnowflake,
  rerollCustomId,
  snowflakeTime,
  upsampleCustomId,
  variationCustomId,
} from "../src/index.js";
import { fixture, hasFixtures } from "./fixtures.js";

describe.skipIf(!hasFixtures)("the application-command index (real answer)", () => {
  const index = () => fixture<unknown>("rest-application-command-search-response-mj.json");

  it("gives /imagine's id and current version", () => {
    const imagine = findCommand(index(), "imagine");
    expect(imagine).toMatchObject({
      id: "938956540159881230",
      version: "1237876415471554623",
      name: "imagine",
      application_id: MIDJOURNEY_APPLICATION_ID,
    });
    expect(imagine?.raw["options"]).toEqual([
      { type: 3, name: "prompt", description: "The prompt to imagine", required: true },
    ]);
  });

  it("matches the built-in default, so a first task needs no lookup", () => {
    const imagine = findCommand(index(), "imagine")!;
    expect([imagine.id, imagine.version]).toEqual([
      DEFAULT_IMAGINE_COMMAND.id,
      DEFAULT_IMAGINE_COMMAND.version,
    ]);
  });

  it("finds other commands and nothing for unknown names or another application", () => {
    expect(findCommand(index(), "describe")?.id).toBe("1092492867185950852");
    expect(findCommand(index(), "nope")).toBeUndefined();
    expect(findCommand(index(), "imagine", "1022952195194359889")).toBeUndefined();
  });
});

describe("command lookup on bad answers", () => {
  it("returns undefined instead of throwing", () => {
    expect(findCommand(null, "imagine")).toBeUndefined();
    expect(findCommand({ application_commands: [{ name: "imagine" }] }, "imagine")).toBeUndefined();
  });
});

describe("interaction bodies", () => {
  it("/imagine is a type-2 command with the prompt option and the command object", () => {
    const body = imagineInteraction({
      guildId: "g",
      channelId: "c",
      sessionId: "0123456789abcdef0123456789abcdef",
      nonce: "1234",
      prompt: "a cat --ar 16:9",
      command: DEFAULT_IMAGINE_COMMAND,
    });
    expect(body).toMatchObject({
      type: 2,
      guild_id: "g",
      channel_id: "c",
      application_id: MIDJOURNEY_APPLICATION_ID,
      session_id: "0123456789abcdef0123456789abcdef",
      nonce: "1234",
      data: {
        id: "938956540159881230",
        version: "1237876415471554623",
        name: "imagine",
        type: 1,
        options: [{ type: 3, name: "prompt", value: "a cat --ar 16:9" }],
        attachments: [],
      },
    });
    expect((body["data"] as Record<string, unknown>)["application_command"]).toEqual(
      DEFAULT_IMAGINE_COMMAND.raw,
    );
  });

  it("a button click is a type-3 component interaction on the result message with its flags", () => {
    const hash = "a03e625f-383b-4592-8121-77f87ded20d4";
    expect(
      buttonInteraction({
        guildId: "g",
        channelId: "c",
        sessionId: "s",
        nonce: "n",
        messageId: "1127633074377728010",
        messageFlags: 0,
        customId: upsampleCustomId(2, hash),
      }),
    ).toEqual({
      type: 3,
      guild_id: "g",
      channel_id: "c",
      message_id: "1127633074377728010",
      application_id: MIDJOURNEY_APPLICATION_ID,
      session_id: "s",
      nonce: "n",
      message_flags: 0,
      data: { component_type: 2, custom_id: `MJ::JOB::upsample::2::${hash}` },
    });
  });

  it("custom ids are the ones on the captured grid (protocol §2)", () => {
    const hash = "a03e625f-383b-4592-8121-77f87ded20d4";
    expect(upsampleCustomId(1, hash)).toBe("MJ::JOB::upsample::1::a03e625f-383b-4592-8121-77f87ded20d4");
    expect(variationCustomId(4, hash)).toBe("MJ::JOB::variation::4::a03e625f-383b-4592-8121-77f87ded20d4");
    expect(rerollCustomId(hash)).toBe("MJ::JOB::reroll::0::a03e625f-383b-4592-8121-77f87ded20d4::SOLO");
  });
});

describe("nonces", () => {
  it("are unique, increasing snowflakes even when the clock stands still or steps back", () => {
    const now = Date.UTC(2025, 5, 1);
    const ids = [
      ...Array.from({ length: 5000 }, () => nextSnowflake(now)),
      nextSnowflake(now - 10_000),
      nextSnowflake(now + 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]!) > BigInt(ids[i - 1]!)).toBe(true);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(25);
  });

  it("carry the time they were made in Discord's epoch", () => {
    const now = Date.UTC(2030, 0, 1);
    const t = snowflakeTime(nextSnowflake(now))!;
    expect(t).toBeGreaterThanOrEqual(now);
    expect(t - now).toBeLessThan(5);
    // A captured 2023 message id decodes to its capture day.
    expect(new Date(snowflakeTime("1127633074377728010")!).toISOString().slice(0, 10)).toBe("2023-07-09");
  });
});
