import { describe, expect, it } from "vitest";
import {
  type CorrelationEffect,
  Correlator,
  DISCORD_EPOCH,
  nextSnowflake,
  type TrackedJob,
} from "../src/index.js";
import { botMessage, CHANNEL, cdn, USER } from "./factory.js";
import { fixture, fixtureLines, hasFixtures } from "./fixtures.js";

const T0 = Date.UTC(2025, 0, 1, 12);
const HASH_A = "11111111-1111-4111-8111-111111111111";
const HASH_B = "22222222-2222-4222-8222-222222222222";

function imagine(taskId: string, prompt: string, sentAt = T0, extra: Partial<TrackedJob> = {}): TrackedJob {
  return { taskId, action: "IMAGINE", nonce: nextSnowflake(sentAt), prompt, sentAt, ...extra };
}

let idCounter = 0;
/** A message id minted at a given time, like Discord's (not monotonic, unlike our nonces). */
const idAt = (ms: number) =>
  (((BigInt(ms) - BigInt(DISCORD_EPOCH)) << 22n) | BigInt(++idCounter % 4096)).toString();

const byType = (effects: CorrelationEffect[], type: CorrelationEffect["type"]) =>
  effects.filter((e) => e.type === type);

describe.skipIf(!hasFixtures)("a captured 2023 /imagine (no nonces anywhere)", () => {
  it("reports progress 0..93 and then the final grid of the job it was sent for", () => {
    const lines = fixtureLines("gw-seq-imagine-snow-full-2023-07.jsonl");
    // The capture's INTERACTION_CREATE carries no nonce: the oldest just-sent job without an
    // interaction claims it, and the rest follows from the interaction id.
    const sentAt = Date.parse("2023-07-09T16:10:16Z");
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track({
      taskId: "t-snow",
      action: "IMAGINE",
      nonce: "1127632829000000000",
      prompt: "snow",
      sentAt,
    });
    const effects: CorrelationEffect[] = [];
    let now = sentAt;
    for (const line of lines) {
      now += 1000;
      if (line.op === 0 && line.t) effects.push(...correlator.onDispatch(line.t, line.d, now));
    }
    expect(effects[0]).toEqual({ type: "started", taskId: "t-snow", interactionId: "1127632830055333938" });
    expect(effects[1]).toEqual({
      type: "started",
      taskId: "t-snow",
      interactionId: "1127632830055333938",
      progressMessageId: "1127632832227987536",
    });
    expect(byType(effects, "progress").map((e) => (e.type === "progress" ? e.progress : -1))).toEqual([
      0, 15, 31, 46, 62, 78, 93,
    ]);
    const success = effects.at(-1);
    const final = fixture("gw-07-message-create-imagine-final-grid-fast.json").d;
    expect(success).toMatchObject({
      type: "success",
      taskId: "t-snow",
      result: {
        messageId: "1127633074377728010",
        messageFlags: 0,
        jobHash: "a03e625f-383b-4592-8121-77f87ded20d4",
        imageUrl: (final["attachments"] as Array<{ url: string }>)[0]!.url,
        prompt: "snow",
        content: "**snow** - <@1127612768489578560> (fast)",
      },
    });
    expect(byType(effects, "success")).toHaveLength(1);
    expect(correlator.tracked()).toEqual([]);
  });

  it("progress previews carry the grid_0.webp URL", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    correlator.track({
      taskId: "t",
      action: "IMAGINE",
      nonce: "1",
      prompt: "snow",
      sentAt: 0,
      progressMessageId: "1127632832227987536",
    });
    const update = fixture("gw-05-message-update-imagine-progress-31pct.json");
    expect(correlator.onDispatch(update.t, update.d, 1)).toEqual([
      {
        type: "progress",
        taskId: "t",
        progress: 31,
        progressMessageId: "1127632832227987536",
        previewUrl:
          "https://cdn.discordapp.com/attachments/1127614059894820930/1127632929716183090/grid_0.webp",
      },
    ]);
  });

  it("an upscale's ephemeral 'Upscaling image #1' reply and its 'Image #1' result find the U1 job", () => {
    const waiting = fixture("gw-10-message-create-upscale-waiting-ephemeral-flags64-cancel-button.json");
    const parent = "1127633074377728010";
    const sentAt = Date.parse("2023-07-09T16:55:29Z");
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track({
      taskId: "u2",
      action: "UPSCALE",
      nonce: "2",
      prompt: "snow",
      parentMessageId: parent,
      index: 2,
      sentAt,
    });
    correlator.track({
      taskId: "u1",
      action: "UPSCALE",
      nonce: "1",
      prompt: "snow",
      parentMessageId: parent,
      index: 1,
      sentAt,
    });
    expect(correlator.onDispatch(waiting.t, waiting.d, sentAt + 500)).toEqual([
      { type: "started", taskId: "u1", progressMessageId: "1127644209617322004" },
    ]);
    const result = botMessage({
      id: "1127644250000000000",
      type: 19,
      ref: parent,
      content: "**snow** - Image #1 <@1127612768489578560>",
      imageUrl: cdn("fengye_snow_7071fece-eb01-4729-8d25-b13a5b705369.png"),
    });
    const effects = correlator.onDispatch("MESSAGE_CREATE", result, sentAt + 9000);
    expect(effects).toMatchObject([
      { type: "success", taskId: "u1", result: { jobHash: "7071fece-eb01-4729-8d25-b13a5b705369" } },
    ]);
    expect(correlator.tracked().map((j) => j.taskId)).toEqual(["u2"]);
  });
});

describe("following a job with nonces (2024+)", () => {
  it("ties the waiting message, progress and a final that carries the nonce to the task", () => {
    const job = imagine("t1", "a red fox");
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(job);
    const interactionId = idAt(T0 + 100);
    const waitingId = idAt(T0 + 200);
    const effects = [
      ...correlator.onDispatch("INTERACTION_CREATE", { id: interactionId, nonce: job.nonce }, T0 + 100),
      ...correlator.onDispatch("INTERACTION_SUCCESS", { id: interactionId, nonce: job.nonce }, T0 + 110),
      ...correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({
          id: waitingId,
          nonce: job.nonce,
          interactionId,
          type: 20,
          content: `**a red fox** - <@${USER}> (Waiting to start)`,
        }),
        T0 + 200,
      ),
      ...correlator.onDispatch(
        "MESSAGE_UPDATE",
        botMessage({
          id: waitingId,
          interactionId,
          type: 20,
          content: `**a red fox** - <@${USER}> (50%) (fast)`,
        }),
        T0 + 300,
      ),
      // Progress never goes backwards.
      ...correlator.onDispatch(
        "MESSAGE_UPDATE",
        botMessage({
          id: waitingId,
          interactionId,
          type: 20,
          content: `**a red fox** - <@${USER}> (25%) (fast)`,
        }),
        T0 + 310,
      ),
      ...correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({
          id: idAt(T0 + 400),
          nonce: job.nonce,
          content: `**a red fox --v 6.1** - <@${USER}> (fast)`,
          imageUrl: cdn(`me_a_red_fox_${HASH_A}.png`),
          jobHash: HASH_A,
        }),
        T0 + 400,
      ),
    ];
    expect(effects.map((e) => e.type)).toEqual(["started", "started", "progress", "success"]);
    expect(effects[2]).toMatchObject({ progress: 50 });
    expect(effects[3]).toMatchObject({ result: { jobHash: HASH_A, prompt: "a red fox --v 6.1" } });
  });

  it("a final without nonce whose echo differs only by MJ's rewriting still finds its job", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    const job = imagine("t1", "https://example.com/ref.png a Cat — at night", T0, { interactionId: "9" });
    correlator.track(job);
    const effects = correlator.onDispatch(
      "MESSAGE_CREATE",
      botMessage({
        id: idAt(T0 + 1000),
        content: `**<https://s.mj.run/AbC> a cat -- at night --v 6** - <@${USER}> (relaxed)`,
        imageUrl: cdn(`me_cat_${HASH_A}.png`),
        jobHash: HASH_A,
      }),
      T0 + 1000,
    );
    expect(effects).toMatchObject([{ type: "success", taskId: "t1" }]);
  });

  it("a job whose progress messages were all missed still gets its final, and two such jobs never share one", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("a", "dawn", T0));
    correlator.track(imagine("b", "dawn", T0 + 10));
    const final = (at: number, hash: string) =>
      botMessage({
        id: idAt(at),
        content: `**dawn** - <@${USER}> (fast)`,
        imageUrl: cdn(`x_${hash}.png`),
        jobHash: hash,
      });
    const first = final(T0 + 5000, HASH_A);
    const second = final(T0 + 6000, HASH_B);
    const effects = [
      ...correlator.onDispatch("MESSAGE_CREATE", first, T0 + 5000),
      ...correlator.onDispatch("MESSAGE_CREATE", first, T0 + 5001),
      ...correlator.tick(T0 + 5500),
      ...correlator.onDispatch("MESSAGE_CREATE", second, T0 + 6000),
      ...correlator.tick(T0 + 8000),
    ];
    const successes = byType(effects, "success");
    expect(successes).toHaveLength(2);
    expect(new Set(successes.map((e) => e.taskId))).toEqual(new Set(["a", "b"]));
    expect(new Set(successes.map((e) => (e.type === "success" ? e.result.jobHash : null)))).toEqual(
      new Set([HASH_A, HASH_B]),
    );
  });
});

describe("the same prompt twice at once", () => {
  function twoRunning() {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER, ambiguityWindowMs: 1000 });
    const a = imagine("a", "twin towers", T0);
    const b = imagine("b", "twin towers", T0 + 1500);
    correlator.track(a);
    correlator.track(b);
    const progressA = idAt(T0 + 100);
    const progressB = idAt(T0 + 1600);
    correlator.onDispatch("INTERACTION_CREATE", { id: "ia", nonce: a.nonce }, T0 + 50);
    correlator.onDispatch("INTERACTION_CREATE", { id: "ib", nonce: b.nonce }, T0 + 1550);
    for (const [id, interactionId] of [
      [progressA, "ia"],
      [progressB, "ib"],
    ] as const) {
      correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({
          id,
          interactionId,
          type: 20,
          content: `**twin towers** - <@${USER}> (Waiting to start)`,
        }),
        T0 + 1700,
      );
    }
    const final = (hash: string) =>
      botMessage({
        id: idAt(T0 + 9000),
        content: `**twin towers** - <@${USER}> (fast)`,
        imageUrl: cdn(`x_${hash}.png`),
        jobHash: hash,
      });
    return { correlator, progressA, progressB, final };
  }

  it("each task gets the image whose progress message Midjourney deleted next, even when the later one finishes first", () => {
    const { correlator, progressA, progressB, final } = twoRunning();
    const gridB = final(HASH_B);
    expect(correlator.onDispatch("MESSAGE_CREATE", gridB, T0 + 9000)).toEqual([]);
    const afterDeleteB = correlator.onDispatch(
      "MESSAGE_DELETE",
      { id: progressB, channel_id: CHANNEL },
      T0 + 9010,
    );
    expect(afterDeleteB).toMatchObject([{ type: "success", taskId: "b", result: { jobHash: HASH_B } }]);
    const afterGridA = correlator.onDispatch("MESSAGE_CREATE", final(HASH_A), T0 + 9500);
    expect(afterGridA).toMatchObject([{ type: "success", taskId: "a", result: { jobHash: HASH_A } }]);
    expect(
      correlator.onDispatch("MESSAGE_DELETE", { id: progressA, channel_id: CHANNEL }, T0 + 9510),
    ).toEqual([]);
    expect(correlator.tick(T0 + 60_000)).toEqual([]);
  });

  it("without deletions, the window's end hands the finals out oldest job first, one each", () => {
    const { correlator, final } = twoRunning();
    expect(correlator.onDispatch("MESSAGE_CREATE", final(HASH_A), T0 + 9000)).toEqual([]);
    expect(correlator.onDispatch("MESSAGE_CREATE", final(HASH_B), T0 + 9100)).toEqual([]);
    expect(correlator.tick(T0 + 9500)).toEqual([]);
    const effects = correlator.tick(T0 + 10_200);
    expect(effects).toMatchObject([
      { type: "success", taskId: "a", result: { jobHash: HASH_A } },
      { type: "success", taskId: "b", result: { jobHash: HASH_B } },
    ]);
  });
});

describe("button jobs", () => {
  it("variations are found by the reply to the clicked grid; two V's on one grid get one image each", () => {
    const parent = idAt(T0 - 60_000);
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    const v1: TrackedJob = {
      taskId: "v1",
      action: "VARIATION",
      nonce: "n1",
      prompt: "cat",
      parentMessageId: parent,
      index: 1,
      sentAt: T0,
    };
    const v3: TrackedJob = {
      taskId: "v3",
      action: "VARIATION",
      nonce: "n3",
      prompt: "cat",
      parentMessageId: parent,
      index: 3,
      sentAt: T0 + 1500,
    };
    correlator.track(v1);
    correlator.track(v3);
    const waiting3 = idAt(T0 + 1600);
    const waiting1 = idAt(T0 + 1700);
    const started = [
      ...correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({
          id: waiting3,
          ref: parent,
          flags: 64,
          content: `Making variations for image #3 with prompt **cat** - <@${USER}> (Waiting to start)`,
        }),
        T0 + 1600,
      ),
      ...correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({
          id: waiting1,
          ref: parent,
          flags: 64,
          content: `Making variations for image #1 with prompt **cat** - <@${USER}> (Waiting to start)`,
        }),
        T0 + 1700,
      ),
    ];
    expect(started.map((e) => e.taskId)).toEqual(["v3", "v1"]);
    const result = botMessage({
      id: idAt(T0 + 20_000),
      ref: parent,
      content: `**cat** - Variations (Strong) by <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_A}.png`),
      jobHash: HASH_A,
    });
    expect(correlator.onDispatch("MESSAGE_CREATE", result, T0 + 20_000)).toEqual([]);
    expect(
      correlator.onDispatch("MESSAGE_DELETE", { id: waiting3, channel_id: CHANNEL }, T0 + 20_010),
    ).toMatchObject([{ type: "success", taskId: "v3", result: { jobHash: HASH_A } }]);
  });

  it("a reroll's result is a reply to the clicked grid", () => {
    const parent = idAt(T0 - 60_000);
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("other", "cat", T0));
    correlator.track({
      taskId: "r",
      action: "REROLL",
      nonce: "n",
      prompt: "cat",
      parentMessageId: parent,
      sentAt: T0,
    });
    const result = botMessage({
      id: idAt(T0 + 20_000),
      ref: parent,
      content: `**cat** - <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_A}.png`),
    });
    expect(correlator.onDispatch("MESSAGE_CREATE", result, T0 + 20_000)).toMatchObject([
      { type: "success", taskId: "r" },
    ]);
  });
});

describe("every task ends: errors and notices", () => {
  const embedMessage = (nonce: string | undefined, title: string, description: string, extra = {}) =>
    botMessage({
      id: idAt(T0 + 500),
      flags: 64,
      ...(nonce ? { nonce } : {}),
      embeds: [
        { type: "rich", title, description, color: 16711680, footer: { text: "/imagine a bad prompt" } },
      ],
      ...extra,
    });

  it("a banned prompt fails the task with '[title] description'", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    const job = imagine("t", "a bad prompt");
    correlator.track(job);
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(job.nonce, "Banned prompt", "It looks like your prompt may violate our guidelines."),
        T0 + 500,
      ),
    ).toEqual([
      {
        type: "failure",
        taskId: "t",
        reason: "[Banned prompt] It looks like your prompt may violate our guidelines.",
        kind: "banned_prompt",
      },
    ]);
    expect(correlator.tracked()).toEqual([]);
  });

  it("without a nonce the embed footer's /imagine prompt finds the task", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("good", "a good prompt"));
    correlator.track(imagine("bad", "A bad  prompt"));
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(undefined, "Invalid parameter", "Invalid value for --ar"),
        T0 + 500,
      ),
    ).toEqual([
      {
        type: "failure",
        taskId: "bad",
        reason: "[Invalid parameter] Invalid value for --ar",
        kind: "invalid_parameter",
      },
    ]);
  });

  it("'Queue full' asks for a retry, 'Job queued' keeps waiting, account notices take the account out", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    const full = imagine("full", "x");
    const queued = imagine("queued", "y");
    const modded = imagine("modded", "z");
    for (const job of [full, queued, modded]) correlator.track(job);
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(full.nonce, "Queue full", "Your job queue is full."),
        T0,
      ),
    ).toEqual([{ type: "retry", taskId: "full", reason: "[Queue full] Your job queue is full." }]);
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(queued.nonce, "Job queued", "It will start shortly."),
        T0,
      ),
    ).toEqual([{ type: "queued", taskId: "queued" }]);
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(modded.nonce, "Pending mod message", "Acknowledge it."),
        T0,
      ),
    ).toEqual([
      {
        type: "account",
        taskId: "modded",
        reason: "[Pending mod message] Acknowledge it.",
        kind: "pending_mod_message",
      },
    ]);
    expect(correlator.tracked().map((j) => j.taskId)).toEqual(["queued"]);
    // An ephemeral account notice tied to no task still reports the account.
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        embedMessage(undefined, "Blocked", "You have been blocked."),
        T0,
      ),
    ).toEqual([{ type: "account", reason: "[Blocked] You have been blocked.", kind: "blocked" }]);
  });

  it("'Failed…' text replying to the clicked grid fails the button job; a stopped job fails 'stopped'", () => {
    const parent = idAt(T0 - 1000);
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track({
      taskId: "u",
      action: "UPSCALE",
      nonce: "n",
      prompt: "p",
      parentMessageId: parent,
      index: 1,
      sentAt: T0,
    });
    correlator.track(imagine("s", "sun", T0, { progressMessageId: "777" }));
    expect(
      correlator.onDispatch(
        "MESSAGE_CREATE",
        botMessage({ id: idAt(T0 + 10), ref: parent, content: "Failed to process your command :c" }),
        T0 + 10,
      ),
    ).toEqual([{ type: "failure", taskId: "u", reason: "Failed to process your command :c" }]);
    expect(
      correlator.onDispatch(
        "MESSAGE_UPDATE",
        botMessage({ id: "777", content: `**sun** - <@${USER}> (Stopped)` }),
        T0 + 20,
      ),
    ).toEqual([{ type: "failure", taskId: "s", reason: "stopped" }]);
  });

  it("an interaction Discord refuses fails its task", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    const job = imagine("t", "x");
    correlator.track(job);
    expect(
      correlator.onDispatch("INTERACTION_FAILURE", { id: "5", nonce: job.nonce, reason_code: 2 }, T0),
    ).toEqual([{ type: "failure", taskId: "t", reason: "Interaction failed (reason_code 2)" }]);
  });
});

describe("what is not ours is ignored", () => {
  it("other channels, other authors and other users' jobs change nothing", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("t", "cat", T0, { interactionId: "1" }));
    const result = (extra: Parameters<typeof botMessage>[0]) =>
      botMessage({
        content: `**cat** - <@${extra.userId ?? USER}> (fast)`,
        imageUrl: cdn(`x_${HASH_A}.png`),
        ...extra,
      });
    expect(
      correlator.onDispatch("MESSAGE_CREATE", result({ id: idAt(T0 + 1), channelId: "42" }), T0),
    ).toEqual([]);
    expect(correlator.onDispatch("MESSAGE_CREATE", result({ id: idAt(T0 + 2), authorId: "42" }), T0)).toEqual(
      [],
    );
    expect(correlator.onDispatch("MESSAGE_CREATE", result({ id: idAt(T0 + 3), userId: "42" }), T0)).toEqual(
      [],
    );
    // A foreign nonce on an interaction is someone else's.
    expect(correlator.onDispatch("INTERACTION_CREATE", { id: "2", nonce: "999" }, T0)).toEqual([]);
    expect(correlator.tracked()).toHaveLength(1);
  });

  it("a nonce-less interaction is not claimed by a job sent long ago (a resumed one)", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    correlator.track(imagine("old", "cat", T0 - 10 * 60_000));
    expect(correlator.onDispatch("INTERACTION_CREATE", { id: "2" }, T0)).toEqual([]);
  });
});

describe("catching up from the channel history after a restart", () => {
  it("finds the final grid of a job whose nonce was already sent, ignoring older grids of the same prompt", () => {
    const sentAt = T0;
    const job = imagine("t", "lighthouse", sentAt);
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(job);
    const old = botMessage({
      id: idAt(sentAt - 3_600_000),
      content: `**lighthouse** - <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_B}.png`),
      jobHash: HASH_B,
    });
    const mine = botMessage({
      id: idAt(sentAt + 30_000),
      content: `**lighthouse** - <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_A}.png`),
      jobHash: HASH_A,
    });
    const chatter = {
      ...botMessage({ id: idAt(sentAt + 31_000), content: "hello" }),
      author: { id: USER, username: "me" },
    };
    // Newest first, as Discord returns it.
    const history = [chatter, mine, old];
    const effects = correlator.onRestMessages(history, sentAt + 60_000);
    expect(effects).toMatchObject([
      { type: "success", taskId: "t", result: { jobHash: HASH_A, messageId: mine["id"] } },
    ]);
    // Fetching again, or the gateway replaying it, emits nothing more.
    correlator.track({ ...job, taskId: "t2" });
    expect(correlator.onRestMessages(history, sentAt + 61_000)).toEqual([]);
    expect(correlator.onDispatch("MESSAGE_CREATE", mine, sentAt + 61_000)).toEqual([]);
  });

  it("a job still running shows its current progress from history", () => {
    const job = imagine("t", "forest", T0, { interactionId: "123" });
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(job);
    const progressId = idAt(T0 + 1000);
    const effects = correlator.onRestMessages(
      [
        botMessage({
          id: progressId,
          interactionId: "123",
          type: 20,
          content: `**forest** - <@${USER}> (46%) (fast)`,
        }),
      ],
      T0 + 40_000,
    );
    expect(effects).toEqual([
      { type: "started", taskId: "t", interactionId: "123", progressMessageId: progressId },
      { type: "progress", taskId: "t", progress: 46, progressMessageId: progressId },
    ]);
    expect(correlator.tracked()[0]?.progressMessageId).toBe(progressId);
  });
});

describe("odd but real event shapes", () => {
  it("a partial MESSAGE_UPDATE (no author) of a known progress message still reports progress", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("t", "moon", T0, { progressMessageId: "555" }));
    expect(
      correlator.onDispatch(
        "MESSAGE_UPDATE",
        { id: "555", channel_id: CHANNEL, content: `**moon** - <@${USER}> (62%) (fast)` },
        T0,
      ),
    ).toEqual([{ type: "progress", taskId: "t", progress: 62, progressMessageId: "555" }]);
    // An author-less update of some other message is not trusted.
    expect(
      correlator.onDispatch(
        "MESSAGE_UPDATE",
        { id: "556", channel_id: CHANNEL, content: `**moon** - <@${USER}> (70%) (fast)` },
        T0,
      ),
    ).toEqual([]);
  });

  it("an edit of an older grid (a used button turning blue) is never taken for a new result", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("t", "moon", T0, { interactionId: "1" }));
    const oldGrid = botMessage({
      id: idAt(T0 - 60_000),
      content: `**moon** - <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_A}.png`),
      jobHash: HASH_A,
    });
    expect(correlator.onDispatch("MESSAGE_UPDATE", oldGrid, T0 + 5000)).toEqual([]);
    expect(correlator.tracked()).toHaveLength(1);
  });

  it("a captcha modal takes the account out of rotation and fails the task it answers", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    const job = imagine("t", "x");
    correlator.track(job);
    expect(
      correlator.onDispatch(
        "INTERACTION_IFRAME_MODAL_CREATE",
        { id: "9", nonce: job.nonce, custom_id: "MJ::iframe::abc", iframe_path: "/captcha/embedded/xyz" },
        T0,
      ),
    ).toEqual([
      { type: "account", taskId: "t", reason: "[Action required to continue] captcha", kind: "captcha" },
    ]);
  });
});

describe("nonce-less interactions claimed in send order", () => {
  it("when one job's interaction is lost, the next job's messages still go to the right task", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("first", "red", T0));
    correlator.track(imagine("second", "blue", T0 + 1000));
    // The first job's INTERACTION_CREATE never arrives; the second's is claimed by "first".
    correlator.onDispatch("INTERACTION_CREATE", { id: "i2" }, T0 + 1100);
    const waiting = botMessage({
      id: idAt(T0 + 1200),
      interactionId: "i2",
      type: 20,
      content: `**blue** - <@${USER}> (Waiting to start)`,
    });
    expect(correlator.onDispatch("MESSAGE_CREATE", waiting, T0 + 1200)).toMatchObject([
      { type: "started", taskId: "second", interactionId: "i2" },
    ]);
    expect(correlator.tracked().find((j) => j.taskId === "first")?.interactionId).toBeUndefined();
  });

  it("a prompt that mentions someone is still read as our user's job", () => {
    const correlator = new Correlator({ channelId: CHANNEL, userId: USER });
    correlator.track(imagine("t", "portrait of <@42>", T0, { interactionId: "1" }));
    const result = botMessage({
      id: idAt(T0 + 1),
      content: `**portrait of <@42>** - <@${USER}> (fast)`,
      imageUrl: cdn(`x_${HASH_A}.png`),
    });
    const withoutMentions = { ...result, mentions: [] };
    expect(correlator.onDispatch("MESSAGE_CREATE", withoutMentions, T0 + 2)).toMatchObject([
      { type: "success", taskId: "t" },
    ]);
  });
});

describe("whose messages are ours", () => {
  it("learns the account's user from a message carrying our nonce, then ignores other users' echoes", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    const mine = imagine("mine", "lake", T0);
    correlator.track(mine);
    correlator.onDispatch(
      "MESSAGE_CREATE",
      botMessage({
        id: idAt(T0 + 100),
        content: `**lake** - <@${USER}> (Waiting to start)`,
        nonce: mine.nonce,
        type: 20,
      }),
      T0 + 100,
    );
    const someoneElse = "999999999999999999";
    const foreign = correlator.onDispatch(
      "MESSAGE_CREATE",
      botMessage({
        id: idAt(T0 + 200),
        content: `**lake** - <@${someoneElse}> (fast)`,
        imageUrl: cdn(`x_${HASH_B}.png`),
        jobHash: HASH_B,
        userId: someoneElse,
      }),
      T0 + 200,
    );
    expect(byType(foreign, "success")).toHaveLength(0);
  });

  it("without a nonce to learn from, correlates whatever user Midjourney mentions", () => {
    const correlator = new Correlator({ channelId: CHANNEL });
    correlator.track(imagine("only", "lake", T0));
    const effects = correlator.onDispatch(
      "MESSAGE_CREATE",
      botMessage({
        id: idAt(T0 + 200),
        content: "**lake** - <@123456789012345678> (fast)",
        imageUrl: cdn(`x_${HASH_A}.png`),
        jobHash: HASH_A,
        userId: "123456789012345678",
      }),
      T0 + 200,
    );
    expect(byType(effects, "success")).toMatchObject([{ taskId: "only" }]);
  });
});
