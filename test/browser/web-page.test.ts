import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { librivoxClips } from "../helpers/speech-corpus.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { wer } from "../helpers/wer.js";
import {
  ARTIFACTS_DIR,
  buildWebPage,
  launchChromium,
  microphoneWav,
  type PageGlobals,
  signInAndStart,
  type BrowserSession,
} from "./chromium.js";

/**
 * The web page in real Chromium, with a real speech clip as the microphone (LibriVox clip 3, 19 words,
 * as in the voice-note tests). The browser's capture path (echo cancellation, noise suppression,
 * automatic gain, resampling) sits between the clip and the recognizer, so the transcript is allowed
 * more errors than the same clip uploaded as a file (0.4).
 */
const clip = librivoxClips()[3]!;
const TRANSCRIPT_MAX_WER = 0.5;

let server: TestServer;
beforeAll(async () => {
  buildWebPage();
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  // The demo's calendar tool answers slowly, so the agent says a filler while it waits.
  server = await startTestServer({ store: "sqlite", env: { PARLEY_DEMO_TOOL_DELAY_MS: "2500" } });
});
afterAll(async () => {
  await server?.close();
});

// Callbacks, not strings: the page's Content-Security-Policy forbids evaluating strings.
const playback = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).parleyPlayback ?? []);
const userMessages = (page: Page) => page.locator("#transcript .message.user .text").allTextContents();

/** The conversation is ready: a new one's greeting streamed (or an open one was loaded). */
async function greeted(page: Page): Promise<void> {
  await page.locator("#ptt-button:enabled").waitFor({ timeout: 30_000 });
  await page.locator("#transcript .message.agent").first().waitFor();
}

describe("the web page in Chromium", () => {
  let session: BrowserSession | undefined;
  afterAll(async () => {
    await session?.close();
  });

  it("talks by push-to-talk on a phone-sized screen: transcript shown, reply played, replayable", async () => {
    const microphone = microphoneWav(clip.wavPath, 1000, 1500);
    session = await launchChromium(microphone.file, { width: 390, height: 844 });
    const { page } = session;
    await signInAndStart(page, server.baseUrl);
    await greeted(page);
    const greeting = await playback(page);
    expect(greeting.length).toBeGreaterThan(0);
    expect(greeting.every((entry) => entry.source === "http" && entry.durationMs > 0)).toBe(true);

    const button = page.locator("#ptt-button");
    await button.scrollIntoViewIfNeeded();
    const box = (await button.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    // Released in the trailing silence, before the file starts over.
    await page.waitForFunction(
      (ms) => ((globalThis as unknown as PageGlobals).parleyRecorder?.recordedMs ?? 0) >= ms,
      microphone.durationMs - 700,
      { timeout: 20_000 },
    );
    await page.mouse.up();

    await page.locator("#transcript .message.agent .latency").nth(1).waitFor({ timeout: 45_000 });
    const [spoken] = await userMessages(page);
    expect(wer(clip.transcript, spoken ?? ""), spoken).toBeLessThanOrEqual(TRANSCRIPT_MAX_WER);
    const reply = (await playback(page)).slice(greeting.length);
    expect(reply.length).toBeGreaterThan(0);
    // The filler played before the answer, and the transcript marks it as one.
    expect(reply[0]!.filler).toBe(true);
    expect(reply.some((entry) => !entry.filler)).toBe(true);
    await page.locator("#transcript .message.filler .badge", { hasText: "filler" }).waitFor();
    await page.locator("#actions .action.filler").waitFor();
    // Phone-sized: nothing is wider than the screen.
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } };
        }
      ).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(reply.reduce((ms, entry) => ms + entry.durationMs, 0)).toBeGreaterThan(500);
    await page.waitForFunction((end) => Date.now() > end, Math.max(...reply.map((e) => e.startsAtEpochMs)));
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "push-to-talk-phone.png"), fullPage: true });

    // A typed message, sent with Enter: shown as typed, answered and spoken like the voice note.
    await page.fill("#text-input", "yes that works");
    await page.press("#text-input", "Enter");
    await page.locator("#transcript .message.agent .latency").nth(2).waitFor({ timeout: 30_000 });
    expect((await userMessages(page)).at(-1)).toBe("yes that works");
    expect((await playback(page)).length).toBeGreaterThan(greeting.length + reply.length);

    await page.click("#finish-button");
    await page.waitForSelector("#transcript .message.note >> text=Conversation finished.");
    await page.locator("#history-list button", { hasText: "(finished)" }).first().click();
    await page.waitForSelector("#replay-panel:not([hidden]) audio");
    const replayed = await page.locator("#replay-list .message.user .text").allTextContents();
    expect(replayed).toContain(spoken);
    expect(replayed).toContain("yes that works");
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "replay-phone.png"), fullPage: true });
    expect(session.errors).toEqual([]);
    await session.close();
    session = undefined;
  }, 120_000);

  it("talks in live mode and is interrupted by speaking over the agent", async () => {
    // The pause after the clip outlasts the slow tool, so the next time round the clip speaks over the
    // agent's audio (its filler or its answer).
    const microphone = microphoneWav(clip.wavPath, 1000, 4500);
    session = await launchChromium(microphone.file, { width: 1280, height: 900 });
    const { page } = session;
    await signInAndStart(page, server.baseUrl);
    await greeted(page);
    await page.click("#live-button");
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as PageGlobals).parleyLive ?? []).some(
          (m) => m.type === "server.agent-interrupted",
        ),
      undefined,
      { timeout: 60_000 },
    );
    const events = await page.evaluate(() => (globalThis as unknown as PageGlobals).parleyLive ?? []);
    const interrupted = events.find((m) => m.type === "server.agent-interrupted")!;
    const spoken = String(events.find((m) => m.type === "server.user-message-available")?.user_message);
    expect(wer(clip.transcript, spoken), spoken).toBeLessThanOrEqual(TRANSCRIPT_MAX_WER);
    expect(await userMessages(page)).toContain(spoken);

    const live = (await playback(page)).filter((entry) => entry.source === "live");
    expect(live.length).toBeGreaterThan(0);
    // What was interrupted had played (the answer, or the filler before it), and the transcript shows
    // it cut where it was heard.
    if (typeof interrupted.message_id === "string") {
      const ids = [interrupted.message_id, `filler:${interrupted.message_id}`];
      expect(
        live.filter((entry) => ids.includes(entry.messageId)).length,
        JSON.stringify({ interrupted, played: live.map((entry) => entry.messageId) }),
      ).toBeGreaterThan(0);
    }
    await page.locator("#transcript .message.agent.interrupted .badge").first().waitFor();
    expect(live.some((entry) => entry.startsAtEpochMs < Date.now())).toBe(true);
    expect(events.some((m) => m.type === "server.user-transcript-partial")).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "live-barge-in.png"), fullPage: true });
    await page.click("#live-button");
    await page.waitForSelector("#live-button[aria-pressed=false]");
    expect(session.errors).toEqual([]);
  }, 120_000);
});
