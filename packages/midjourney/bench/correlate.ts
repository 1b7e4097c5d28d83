// CPU cost of correlation per task: `npx tsx packages/midjourney/bench/correlate.ts [tasks] [concurrent]`.
import { Correlator, MIDJOURNEY_APPLICATION_ID, nextSnowflake } from "../src/index.js";

const tasks = Number(process.argv[2] ?? 20_000);
const concurrent = Number(process.argv[3] ?? 3);
const channelId = "100";
const userId = "200";
const correlator = new Correlator({ channelId, userId });
const author = { id: MIDJOURNEY_APPLICATION_ID, bot: true };
const message = (id: string, content: string, extra: Record<string, unknown> = {}) => ({
  id,
  channel_id: channelId,
  author,
  content,
  flags: 0,
  mentions: [{ id: userId }],
  attachments: [],
  embeds: [],
  components: [],
  ...extra,
});

let now = Date.now();
let events = 0;
let successes = 0;
const started = process.hrtime.bigint();
for (let base = 0; base < tasks; base += concurrent) {
  const batch = Array.from({ length: Math.min(concurrent, tasks - base) }, (_, k) => {
    const i = base + k;
    const job = {
      taskId: `t${i}`,
      action: "IMAGINE" as const,
      nonce: nextSnowflake(now),
      prompt: `prompt number ${i}`,
      sentAt: now,
    };
    correlator.track(job);
    return { job, interactionId: nextSnowflake(now), progressId: nextSnowflake(now) };
  });
  const feed = (t: string, d: unknown) => {
    events++;
    for (const effect of correlator.onDispatch(t, d, now)) if (effect.type === "success") successes++;
  };
  for (const { job, interactionId, progressId } of batch) {
    feed("INTERACTION_CREATE", { id: interactionId, nonce: job.nonce });
    feed(
      "MESSAGE_CREATE",
      message(progressId, `**${job.prompt}** - <@${userId}> (Waiting to start)`, {
        interaction: { id: interactionId, user: { id: userId } },
      }),
    );
  }
  for (const pct of [15, 46, 78]) {
    for (const { job, interactionId, progressId } of batch) {
      feed(
        "MESSAGE_UPDATE",
        message(progressId, `**${job.prompt}** - <@${userId}> (${pct}%) (fast)`, {
          interaction: { id: interactionId, user: { id: userId } },
        }),
      );
    }
  }
  for (const { job, progressId } of batch) {
    const hash = "a03e625f-383b-4592-8121-77f87ded20d4";
    feed(
      "MESSAGE_CREATE",
      message(nextSnowflake(now), `**${job.prompt}** - <@${userId}> (fast)`, {
        attachments: [{ id: "1", filename: `x_${hash}.png`, url: `https://cdn/x_${hash}.png` }],
        components: [{ type: 1, components: [{ type: 2, custom_id: `MJ::JOB::upsample::1::${hash}` }] }],
      }),
    );
    feed("MESSAGE_DELETE", { id: progressId, channel_id: channelId });
  }
  now += 1000;
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(
  `${tasks} tasks (${concurrent} at a time), ${events} events in ${ms.toFixed(0)} ms: ` +
    `${((ms * 1000) / tasks).toFixed(1)} µs CPU per task, ${Math.round((events / ms) * 1000)} events/s, ${successes} successes`,
);
