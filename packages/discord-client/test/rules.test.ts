import { describe, expect, it } from "vitest";
import {
  closeAction,
  defaultReconnectDelayMs,
  isReplayedDispatch,
  redactToken,
  resumeUrl,
} from "../src/index.js";

describe("gateway rules", () => {
  it("never retries 4004 and 4010–4014, starts over after 4007/4009, resumes otherwise", () => {
    for (const code of [4004, 4010, 4011, 4012, 4013, 4014]) expect(closeAction(code)).toBe("fatal");
    for (const code of [4007, 4009]) expect(closeAction(code)).toBe("identify");
    for (const code of [1000, 1001, 1006, 4000, 4001, 4002, 4003, 4005, 4008])
      expect(closeAction(code)).toBe("resume");
  });

  it("resumes on resume_gateway_url with the original query string", () => {
    const original = "wss://gateway.discord.gg/?encoding=json&v=9";
    expect(resumeUrl("wss://gateway-us-east1-b.discord.gg", original)).toBe(
      "wss://gateway-us-east1-b.discord.gg/?encoding=json&v=9",
    );
    expect(resumeUrl(null, original)).toBe(original);
    expect(resumeUrl("not a url", original)).toBe(original);
    expect(resumeUrl("https://example.com", original)).toBe(original);
  });

  it("backs off from about a second to at most 30 seconds", () => {
    expect(defaultReconnectDelayMs(1, () => 0)).toBe(500);
    expect(defaultReconnectDelayMs(1, () => 1)).toBe(1_000);
    expect(defaultReconnectDelayMs(3, () => 1)).toBe(4_000);
    expect(defaultReconnectDelayMs(50, () => 1)).toBe(30_000);
  });

  it("treats a dispatch at or below the last sequence as a replay", () => {
    expect(isReplayedDispatch(null, 1)).toBe(false);
    expect(isReplayedDispatch(5, 6)).toBe(false);
    expect(isReplayedDispatch(5, 5)).toBe(true);
    expect(isReplayedDispatch(5, 3)).toBe(true);
    expect(isReplayedDispatch(5, null)).toBe(false);
  });
});

describe("redactToken", () => {
  const token = "MTEyNzYxMjc2ODQ4OTU3ODU2MA.GxYz12.abcdefghijklmnopqrstuvwxyz0123456789AB";

  it("hides the whole token and its secret part", () => {
    expect(redactToken(`Authorization: ${token}`, token)).toBe("Authorization: [REDACTED]");
    expect(redactToken("cut: abcdefghijklmnopqrstuvwxyz0123456789AB", token)).toBe("cut: [REDACTED]");
    expect(redactToken("nothing here", token)).toBe("nothing here");
    expect(redactToken("empty token", "")).toBe("empty token");
  });
});
