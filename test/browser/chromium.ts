import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { wavHeader } from "../../src/engines/codec/encoders.js";
import { readPcm16Wav } from "../helpers/speech-corpus.js";

/** Debian's `chromium` (installed by `npm run setup`). */
export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";

/** Where the browser tests leave their screenshots (gitignored). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, "../../test-artifacts/browser");

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Builds the web page (web/dist), as `npm run build` does. */
export function buildWebPage(): void {
  execFileSync(process.execPath, [path.join(repoRoot, "web", "build.mjs")], { stdio: "inherit" });
}

/**
 * A WAV for Chromium's fake microphone: `leadingMs` of silence, the clip, `trailingMs` of silence
 * (16 kHz mono 16-bit). Chromium loops the file for as long as the microphone is open.
 */
export function microphoneWav(
  clipPath: string,
  leadingMs: number,
  trailingMs: number,
): { file: string; durationMs: number } {
  const { samples } = readPcm16Wav(clipPath);
  const lead = leadingMs * 16;
  const total = lead + samples.length + trailingMs * 16;
  const data = Buffer.alloc(total * 2);
  for (let i = 0; i < samples.length; i += 1) data.writeInt16LE(samples[i]!, (lead + i) * 2);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "parley-mic-")), "microphone.wav");
  fs.writeFileSync(file, Buffer.concat([wavHeader(16_000, data.length), data]));
  return { file, durationMs: total / 16 };
}

/** What the page exposes on `window` for the tests (typed here: the tests compile without the DOM). */
export interface PageGlobals {
  parleyPlayback?: {
    messageId: string;
    filler: boolean;
    source: string;
    startsAtEpochMs: number;
    durationMs: number;
    playedMsAtFlush: number | null;
  }[];
  parleyRecorder?: { recording: boolean; recordedMs: number };
  parleyLive?: { type: string; [field: string]: unknown }[];
}

/** A browser whose microphone plays `microphoneWavPath`, and one page that records console errors. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fake microphone playing the WAV, on a fresh profile (Playwright takes
 * the profile as the persistent context's directory and passes it as `--user-data-dir`).
 */
export async function launchChromium(
  microphoneWavPath: string,
  viewport: { width: number; height: number },
): Promise<BrowserSession> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${microphoneWavPath}`,
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** How late the conversation list answers while signing in (see signInAndStart). */
const HISTORY_DELAY_MS = 1500;

/** Signs in with the prefilled demo credentials and starts (or continues) a conversation. */
export async function signInAndStart(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  // The page asks the server for the demo credentials on load.
  await page.locator("#demo-note:not([hidden])").waitFor({ timeout: 10_000 });
  // Keyboard only: Tab walks the form in reading order, Enter on the button signs in.
  const focusOrder: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press("Tab");
    focusOrder.push(
      await page.evaluate(() => (globalThis as unknown as FocusGlobals).document.activeElement.id),
    );
  }
  if (focusOrder.join(",") !== "skip-link,org-input,user-input,key-id-input,key-input,signin-button") {
    throw new Error(`unexpected focus order: ${focusOrder.join(", ")}`);
  }
  // The history list answers late, as on a busy server: focus must not wait for it.
  await page.route(/\/conversation\/\?service_id=/, async (route) => {
    await sleep(HISTORY_DELAY_MS);
    await route.fallback();
  });
  await page.keyboard.press("Enter");
  await page.waitForSelector("#service-panel:not([hidden])");
  // Focus moves on to the service choice, then the start button is the next stop.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#conversation-panel:not([hidden])");
}

/** The part of the DOM the focus check reads (the tests compile without the DOM's types). */
interface FocusGlobals {
  document: { activeElement: { id: string } };
}
