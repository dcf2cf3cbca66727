import type { FillerAudio, TurnStep } from "../domain/turn-events.js";
import type { TtsEngine } from "../engines/tts/types.js";
import type { FillerSettings } from "../config/config.js";
import type { FillerAudioCache } from "./fillers-audio.js";

export type { FillerSettings } from "../config/config.js";

/** A filler that is due: its step, its phrase, and (voice replies) the phrase's audio. */
export interface DueFiller {
  step: TurnStep;
  text: string;
  audio?: FillerAudio;
}

export interface FillerTimerOptions {
  settings: FillerSettings;
  /** Set for voice replies: fillers are spoken in the reply's voice, from the cache. */
  voice: { tts: TtsEngine; voiceId: string | undefined; cache: FillerAudioCache } | undefined;
  /** The reply's signal: aborting it cancels every pending filler. */
  signal: AbortSignal;
  /** Sends a due filler into the turn's stream. */
  emit: (filler: DueFiller) => Promise<void>;
  /** Told when a filler could not be made or sent (the turn goes on without it). */
  onError: (error: unknown) => void;
  /** Picks one of the phrases; default random. */
  pick?: (count: number) => number;
}

/**
 * The filler clock of one turn. `stepStarted` arms a timer for the step (authored phrases and trigger,
 * else the defaults); if the step is still running when it fires and no piece of the answer has gone
 * out, one of its phrases is emitted. `stepEnded` disarms the step; `answerStarted` (called before the
 * answer's first piece is emitted) disarms everything, so a filler never follows the answer. At most one
 * filler per step. A filler whose audio is still being synthesized when its step ends or the answer
 * starts is dropped.
 */
export class FillerTimer {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly openSteps = new Set<string>();
  private answering = false;

  constructor(private readonly options: FillerTimerOptions) {
    options.signal.addEventListener("abort", () => this.close(), { once: true });
  }

  stepStarted(step: TurnStep): void {
    const { settings, signal } = this.options;
    if (!settings.enabled || this.answering || signal.aborted) return;
    const authored = step.fillers.filter((phrase) => phrase.trim() !== "");
    const phrases = authored.length > 0 ? authored : settings.defaultPhrases;
    if (phrases.length === 0) return;
    const triggerMs =
      authored.length > 0 && step.fillerTriggeredAfterSeconds !== undefined
        ? step.fillerTriggeredAfterSeconds * 1000
        : settings.defaultTriggerMs;
    this.openSteps.add(step.stepId);
    const pick = this.options.pick ?? ((count: number) => Math.floor(Math.random() * count));
    const text = phrases[Math.min(phrases.length - 1, Math.max(0, pick(phrases.length)))]!;
    // The phrase is spoken now, while the step runs, so that its audio is ready when the trigger
    // comes (the first time per voice it has to be synthesized; later it comes from the cache).
    const voice = this.options.voice;
    const audio = voice === undefined ? undefined : voice.cache.audioOf(voice.tts, voice.voiceId, text);
    audio?.catch(() => undefined);
    clearTimeout(this.timers.get(step.stepId));
    this.timers.set(
      step.stepId,
      setTimeout(() => {
        this.timers.delete(step.stepId);
        this.fire(step, text, audio).catch((error: unknown) => {
          if (!this.options.signal.aborted) this.options.onError(error);
        });
      }, triggerMs),
    );
  }

  stepEnded(stepId: string): void {
    this.openSteps.delete(stepId);
    clearTimeout(this.timers.get(stepId));
    this.timers.delete(stepId);
  }

  /** The answer's first piece is about to go out: no filler from now on. */
  answerStarted(): void {
    this.answering = true;
    this.close();
  }

  /** Disarms every timer (the turn ended or was aborted). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.openSteps.clear();
  }

  private stillDue(stepId: string): boolean {
    return this.openSteps.has(stepId) && !this.answering && !this.options.signal.aborted;
  }

  private async fire(
    step: TurnStep,
    text: string,
    speaking: Promise<FillerAudio> | undefined,
  ): Promise<void> {
    if (!this.stillDue(step.stepId)) return;
    const audio = await speaking;
    if (!this.stillDue(step.stepId)) return;
    // One filler per step: the step stays open for the answer's ordering, but fires no more.
    this.openSteps.delete(step.stepId);
    await this.options.emit(audio === undefined ? { step, text } : { step, text, audio });
  }
}
