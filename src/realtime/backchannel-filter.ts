import { AppError } from "../lib/app-error.js";

/**
 * How user speech during the agent's audio is judged (session setting `interruption`, docs/realtime.md).
 * Confirmed speech while the agent speaks first pauses the agent; the speech then interrupts only when
 * it is long enough and says something besides backchannel words, else the agent resumes.
 */
export interface InterruptionSettings {
  /**
   * True: confirmed speech over the agent pauses it and is judged as below. False: it interrupts at once
   * (when `vad.interrupt_response` is on). Default true.
   */
  resume_false_interruptions: boolean;
  /** Speech during agent audio shorter than this never interrupts. Default 500 ms. */
  min_interruption_ms: number;
  /**
   * Words besides backchannel words that speech over the agent needs to interrupt by its transcript.
   * Default 2: the recognizer often adds a stray word to a short "yeah" ("yeah well").
   */
  min_interruption_words: number;
  /**
   * Speech over the agent still going on this long after it began interrupts, words recognized or not
   * (no backchannel lasts that long; the recognizer's words may lag behind). Default 1500 ms.
   */
  max_backchannel_ms: number;
  /** Words that, alone, never interrupt ("mm-hmm", "yeah", "okay", "right", …). */
  backchannel_words: string[];
  /**
   * After a pause for a possible interruption, the agent resumes when nothing meaningful was said
   * within this many milliseconds. Default 2500 ms (the recognizer's first words of an utterance can
   * take about two seconds).
   */
  false_interruption_timeout_ms: number;
}

export const DEFAULT_BACKCHANNEL_WORDS = [
  "mm-hmm",
  "mhm",
  "mm",
  "hm",
  "hmm",
  "uh-huh",
  "uh",
  "um",
  "huh",
  "ah",
  "oh",
  "yeah",
  "yep",
  "yup",
  "yes",
  "okay",
  "ok",
  "right",
  "sure",
  "alright",
  "i see",
  "got it",
];

export const DEFAULT_INTERRUPTION_SETTINGS: InterruptionSettings = {
  resume_false_interruptions: true,
  min_interruption_ms: 500,
  min_interruption_words: 2,
  max_backchannel_ms: 1500,
  backchannel_words: DEFAULT_BACKCHANNEL_WORDS,
  false_interruption_timeout_ms: 2500,
};

const invalid = (message: string) => new AppError("unprocessable", message);

/** Reads the session's `interruption` object over `base`; 422 for a bad field. */
export function interruptionSettings(
  raw: unknown,
  base: InterruptionSettings = DEFAULT_INTERRUPTION_SETTINGS,
): InterruptionSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw invalid("interruption must be an object");
  const body = raw as Record<string, unknown>;
  const number = (
    name: "min_interruption_ms" | "max_backchannel_ms" | "false_interruption_timeout_ms",
    max: number,
  ) => {
    const value = body[name];
    if (value === undefined) return base[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max)
      throw invalid(`interruption.${name} must be a number from 0 to ${max}`);
    return value;
  };
  let backchannelWords = base.backchannel_words;
  if (body.backchannel_words !== undefined) {
    const list = body.backchannel_words;
    if (
      !Array.isArray(list) ||
      list.length > 100 ||
      !list.every((w) => typeof w === "string" && w.length > 0 && w.length <= 40)
    )
      throw invalid("interruption.backchannel_words must be at most 100 words of 1 to 40 characters");
    backchannelWords = list as string[];
  }
  const words = body.min_interruption_words;
  if (
    words !== undefined &&
    (typeof words !== "number" || !Number.isInteger(words) || words < 1 || words > 20)
  )
    throw invalid("interruption.min_interruption_words must be a whole number from 1 to 20");
  const resume = body.resume_false_interruptions;
  if (resume !== undefined && typeof resume !== "boolean")
    throw invalid("interruption.resume_false_interruptions must be a boolean");
  return {
    resume_false_interruptions: resume ?? base.resume_false_interruptions,
    min_interruption_ms: number("min_interruption_ms", 10_000),
    min_interruption_words: words ?? base.min_interruption_words,
    max_backchannel_ms: number("max_backchannel_ms", 10_000),
    backchannel_words: backchannelWords,
    false_interruption_timeout_ms: number("false_interruption_timeout_ms", 10_000),
  };
}

/** Lower case words without punctuation; hyphens and apostrophes kept inside words. */
function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\- ]+/gu, " ")
    .split(/\s+/)
    .map((w) => w.replace(/^[-']+|[-']+$/g, ""))
    .filter((w) => w !== "");
}

/**
 * True when `text` says nothing but backchannel words (or nothing at all). Multi-word entries ("got
 * it") match as a whole; a hum that the recognizer spells as lone letters m, n or h ("m m h m") counts
 * as a backchannel too.
 */
export function isBackchannelOnly(text: string, backchannelWords: string[]): boolean {
  return meaningfulWordCount(text, backchannelWords) === 0;
}

/** Words of `text` that are not backchannel words (nor hum letters). */
export function meaningfulWordCount(text: string, backchannelWords: string[]): number {
  const words = wordsOf(text);
  const phrases = backchannelWords.map((w) => wordsOf(w)).filter((p) => p.length > 0);
  let count = 0;
  let i = 0;
  outer: while (i < words.length) {
    const word = words[i]!;
    if (/^[mnh]$/.test(word)) {
      i += 1;
      continue;
    }
    for (const phrase of phrases) {
      if (phrase.every((p, k) => words[i + k] === p)) {
        i += phrase.length;
        continue outer;
      }
    }
    count += 1;
    i += 1;
  }
  return count;
}

/** What to do with the agent's reply after hearing some user speech over it. */
export type SpeechVerdict = "interrupt" | "resume" | "undecided";

/**
 * Judges user speech heard over the agent: `final` when the speech has ended (with its final
 * transcript), else a partial hypothesis. Short speech, or fewer than `min_interruption_words` words
 * besides backchannel words: resume; else interrupt (a partial only once the speech has lasted
 * `min_interruption_ms`).
 */
export function judgeSpeech(
  speech: { text: string; speechMs: number; final: boolean },
  settings: InterruptionSettings,
): SpeechVerdict {
  const meaningful =
    meaningfulWordCount(speech.text, settings.backchannel_words) >=
    Math.max(1, settings.min_interruption_words);
  const longEnough = speech.speechMs >= settings.min_interruption_ms;
  if (speech.final) return meaningful && longEnough ? "interrupt" : "resume";
  return meaningful && longEnough ? "interrupt" : "undecided";
}

/** What the guard does to the agent's reply. */
export interface ReplyControls {
  /** Stops sending the reply's audio (what was sent plays out); production goes on. */
  pause(): void;
  /** Sends the reply's audio again from where it stopped. */
  resume(): void;
  /** The user interrupted: stop the reply for good. */
  interrupt(): void;
}

/**
 * False interruptions during agent speech: confirmed user speech pauses the reply instead of stopping
 * it. The reply is interrupted as soon as a partial or final transcript of long enough speech says
 * something besides backchannel words, or when the speech is still going on `max_backchannel_ms` after
 * it began. It resumes when the speech turns out short or only backchannel words, or when no decision
 * came within `false_interruption_timeout_ms` after the speech stopped. Speech durations are in audio
 * time (the VAD's), so a busy machine's lag does not lengthen them.
 */
export class FalseInterruptionGuard {
  private watched: { utteranceId: string; startMs: number; heardUntilMs: number; endMs?: number } | undefined;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: () => InterruptionSettings,
    private readonly reply: ReplyControls,
  ) {}

  /** True while the guard watches an utterance (its end decides whether it becomes a turn). */
  watches(utteranceId: string): boolean {
    return this.watched?.utteranceId === utteranceId;
  }

  /** Speech (from `startMs`, confirmed at `confirmedAtMs`) over the agent's audio: pause and watch it. */
  speechConfirmed(utteranceId: string, startMs: number, confirmedAtMs: number): void {
    this.clear();
    this.watched = { utteranceId, startMs, heardUntilMs: confirmedAtMs };
    this.paused = true;
    this.reply.pause();
  }

  /** The VAD heard the watched speech go on until `untilMs`: too long for a backchannel interrupts. */
  speechHeard(utteranceId: string, untilMs: number): void {
    const watched = this.watched;
    if (watched?.utteranceId !== utteranceId || watched.endMs !== undefined) return;
    watched.heardUntilMs = Math.max(watched.heardUntilMs, untilMs);
    if (untilMs - watched.startMs < this.settings().max_backchannel_ms) return;
    this.clear();
    this.reply.interrupt();
  }

  /** A partial transcript of the watched utterance; interrupts once it says something. */
  partial(utteranceId: string, text: string): void {
    const watched = this.watched;
    if (watched?.utteranceId !== utteranceId) return;
    // Audio time: a partial that arrives late (a busy recognizer) does not make the speech longer.
    const speechMs = (watched.endMs ?? watched.heardUntilMs) - watched.startMs;
    if (judgeSpeech({ text, speechMs, final: false }, this.settings()) === "interrupt") {
      this.clear();
      this.reply.interrupt();
    }
  }

  /** The VAD heard the watched speech end at `endMs` (session audio time): its transcript decides. */
  speechStopped(utteranceId: string, endMs: number): void {
    const watched = this.watched;
    if (watched?.utteranceId !== utteranceId) return;
    watched.endMs = endMs;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.watches(utteranceId) && this.paused) {
        this.paused = false;
        this.reply.resume();
      }
    }, this.settings().false_interruption_timeout_ms);
  }

  /**
   * The watched utterance ended with its final transcript: returns whether it interrupted the agent
   * (then it is the user's next turn) or the agent resumed (then it is dropped).
   */
  speechEnded(utteranceId: string, text: string): "interrupted" | "resumed" {
    const watched = this.watched;
    if (watched?.utteranceId !== utteranceId) return "interrupted";
    const speechMs = (watched.endMs ?? watched.heardUntilMs) - watched.startMs;
    const wasPaused = this.paused;
    this.clear();
    if (judgeSpeech({ text, speechMs, final: true }, this.settings()) === "interrupt") {
      this.reply.interrupt();
      return "interrupted";
    }
    if (wasPaused) this.reply.resume();
    return "resumed";
  }

  /** The watched utterance was dropped (a blip, or it failed): resume if paused. */
  speechDropped(utteranceId: string): void {
    if (!this.watches(utteranceId)) return;
    const wasPaused = this.paused;
    this.clear();
    if (wasPaused) this.reply.resume();
  }

  /** Forgets the utterance without touching the reply (the reply ended). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watched = undefined;
    this.paused = false;
  }
}
