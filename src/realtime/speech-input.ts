import { newId } from "../domain/ids.js";
import type { Recognition } from "../domain/turn-events.js";
import type { SttEngine } from "../engines/stt/types.js";
import type { VadEngine } from "../engines/vad/types.js";
import { AppError } from "../lib/app-error.js";
import { AsyncQueue } from "../lib/async-queue.js";
import { recognizeUtterance } from "../pipeline/voice-input.js";
import { DEFAULT_VAD_SETTINGS, FrameLevels, TurnDetector, type VadSettings } from "./turn-detector.js";
import { AudioHistory, InputResampler, pcm16FromBytes, SESSION_RATE_HZ, Utterance } from "./user-audio.js";

/** More unprocessed input audio than this closes the session with 1013 (overloaded). */
export const MAX_INPUT_BACKLOG_MS = 10_000;

/** What the user's audio produces, for the session to act on. */
export interface SpeechInputEvents {
  /** VAD mode: a speech onset; `audioStartMs` includes the prefix padding. */
  speechStarted(utteranceId: string, audioStartMs: number): void;
  /** VAD mode: the speech lasted `min_speech_ms`. */
  speechConfirmed(utteranceId: string, startMs: number, confirmedAtMs: number): void;
  /** VAD mode: the speech stopped before `min_speech_ms`; no turn. */
  blip(utteranceId: string | undefined, reason: string): void;
  /** VAD mode: `silence_duration_ms` of silence after confirmed speech, before the utterance ends. */
  speechEnded(utteranceId: string | undefined, audioEndMs: number): void;
  /** The utterance ended (VAD end, or `audio: null` in manual mode); its transcript will follow. */
  utteranceEnded(utterance: Utterance, recognition: Promise<Recognition>): void;
  partialTranscript(utteranceId: string, text: string): void;
  /** VAD mode: a frame of speech of the open utterance, ending at `untilMs` (VAD time). */
  speechHeard?(utteranceId: string, untilMs: number): void;
  /** The input failed (its backlog overflowed, or the VAD broke): the session ends with `closeCode`. */
  failed(error: unknown, closeCode: "overloaded" | "internal"): void;
}

export interface SpeechInputDeps {
  stt: SttEngine;
  vad: VadEngine;
  maxAudioDurationMs: number;
  /** The connection's signal: aborting it ends recognition and the VAD. */
  signal: AbortSignal;
  /**
   * Takes the agent's echo out of 16 kHz input that arrived at `arrivedAtMs` (server clock), before the
   * VAD and the recognizer hear it (see echo-gate.ts). Default: the input as it is.
   */
  rejectEcho?: (samples: Int16Array, arrivedAtMs: number) => Int16Array;
}

/**
 * The user's audio, in order: resampled to 16 kHz, kept for prefix padding, cut into utterances (by the
 * VAD, or by `audio: null` in manual mode) and recognized while the user speaks. The input queue is
 * bounded by the backlog rule: more than 10 s of unprocessed audio fails the session (1013).
 */
export class SpeechInput {
  private vadMode = false;
  private settings: VadSettings = DEFAULT_VAD_SETTINGS;
  private utterance: Utterance | undefined;
  private readonly recognitions = new Map<Utterance, Promise<Recognition>>();
  private readonly history = new AudioHistory();
  private resampler: InputResampler | undefined;
  private inputRateHz = SESSION_RATE_HZ;
  /** Input audio with its arrival time, and the manual-mode end-of-audio marks in their place among it. */
  private readonly input = new AsyncQueue<{ samples: Int16Array; arrivedAtMs: number } | "end-of-audio">();
  private backlogSamples = 0;
  private vadInput: AsyncQueue<Int16Array> | undefined;
  /** The levels of the VAD stream's frames, for the detector's end of speech. */
  private vadLevels: FrameLevels | undefined;
  private started = false;

  constructor(
    private readonly deps: SpeechInputDeps,
    private readonly events: SpeechInputEvents,
  ) {}

  get isVadMode(): boolean {
    return this.vadMode;
  }

  get vadSettings(): VadSettings {
    return this.settings;
  }

  /** Starts taking audio at `inputRateHz` (the session's `request_audio_config`). */
  start(inputRateHz: number): void {
    if (this.started) return;
    this.started = true;
    this.inputRateHz = inputRateHz;
    this.resampler = new InputResampler(inputRateHz);
    this.runInputLoop().catch((error: unknown) => this.events.failed(error, "internal"));
  }

  /**
   * Switches manual / VAD mode. The VAD stream in use ends; VAD mode starts a new one (with a new
   * detector on `settings`) at the next input audio.
   */
  setMode(vadMode: boolean, settings: VadSettings): void {
    this.vadMode = vadMode;
    this.settings = settings;
    this.vadInput?.close();
    this.vadInput = undefined;
  }

  /** Raw PCM16 bytes from the client, at the input rate. */
  push(bytes: Buffer): void {
    const samples = pcm16FromBytes(bytes);
    this.backlogSamples += (samples.length * SESSION_RATE_HZ) / this.inputRateHz;
    if ((this.backlogSamples * 1000) / SESSION_RATE_HZ > MAX_INPUT_BACKLOG_MS) {
      this.events.failed(
        new AppError("service_unavailable", "More than 10 s of input audio is waiting"),
        "overloaded",
      );
      return;
    }
    this.input.push({ samples, arrivedAtMs: performance.now() });
  }

  /** Manual mode: `audio: null` ends the user's utterance, after the audio sent before it. */
  endOfAudio(): void {
    this.input.push("end-of-audio");
  }

  /** The connection ended: the open utterance and every loop stop. */
  close(reason: unknown): void {
    this.utterance?.cancel(reason);
    this.input.close();
    this.vadInput?.close();
    this.resampler?.close();
  }

  /** Input audio in order: to 16 kHz, into the history, the open utterance and the VAD. */
  private async runInputLoop(): Promise<void> {
    for await (const item of this.input) {
      if (item === "end-of-audio") {
        if (!this.vadMode) this.endUtterance();
        continue;
      }
      const { samples: raw, arrivedAtMs } = item;
      const resampled = (await this.resampler?.process(raw)) ?? raw;
      const samples = this.deps.rejectEcho?.(resampled, arrivedAtMs) ?? resampled;
      this.history.push(samples);
      if (this.vadMode) {
        this.utterance?.push(samples);
        this.feedVad(samples);
      } else {
        this.backlogSamples = Math.max(0, this.backlogSamples - samples.length);
        if (this.utterance === undefined)
          this.startUtterance(this.history.nowMs() - (samples.length * 1000) / SESSION_RATE_HZ);
        else this.utterance.push(samples);
      }
    }
  }

  private feedVad(samples: Int16Array): void {
    if (this.vadInput === undefined) {
      const input = new AsyncQueue<Int16Array>();
      this.vadInput = input;
      this.vadLevels = new FrameLevels((this.deps.vad.frameDurationMs * SESSION_RATE_HZ) / 1000);
      // The VAD counts time from its stream's first sample: session time of that sample.
      const streamStartMs = this.history.nowMs() - (samples.length * 1000) / SESSION_RATE_HZ;
      this.runVadLoop(input, this.vadLevels, new TurnDetector(this.settings), streamStartMs).catch(
        (error: unknown) => {
          if (!this.deps.signal.aborted) this.events.failed(error, "internal");
        },
      );
    }
    this.vadLevels?.push(samples);
    this.vadInput.push(samples);
  }

  /** One VAD stream: frames to the detector (in session time), its events to the session. */
  private async runVadLoop(
    input: AsyncQueue<Int16Array>,
    levels: FrameLevels,
    detector: TurnDetector,
    streamStartMs: number,
  ): Promise<void> {
    const frameSamples = (this.deps.vad.frameDurationMs * SESSION_RATE_HZ) / 1000;
    for await (const frame of this.deps.vad.process(input, { signal: this.deps.signal })) {
      this.backlogSamples = Math.max(0, this.backlogSamples - frameSamples);
      // A stream that ended with a mode switch drains its queued frames without acting on them.
      if (this.vadInput !== input) continue;
      const level = levels.take(Math.round(frame.startMs / frame.durationMs));
      for (const event of detector.push({ ...frame, startMs: frame.startMs + streamStartMs }, level)) {
        if (event.type === "onset") {
          this.startUtterance(event.paddedStartMs);
          this.events.speechStarted(this.utterance!.id, Math.round(event.paddedStartMs));
        } else if (event.type === "confirmed") {
          if (this.utterance !== undefined)
            this.events.speechConfirmed(this.utterance.id, event.startMs, event.atMs);
        } else if (event.type === "reset") {
          const id = this.utterance?.id;
          this.dropUtterance(new DOMException("A blip, not speech", "AbortError"));
          this.events.blip(id, event.reason);
        } else {
          this.events.speechEnded(this.utterance?.id, Math.round(event.endMs));
          this.endUtterance();
        }
      }
      if (this.utterance !== undefined && frame.probability >= this.settings.threshold)
        this.events.speechHeard?.(this.utterance.id, frame.startMs + frame.durationMs);
    }
  }

  private startUtterance(fromMs: number): void {
    this.dropUtterance(new DOMException("A new utterance started", "AbortError"));
    const utterance = new Utterance(newId());
    this.utterance = utterance;
    utterance.push(this.history.since(fromMs));
    const stop = () => utterance.controller.abort(this.deps.signal.reason);
    this.deps.signal.addEventListener("abort", stop, { once: true });
    const recognition = recognizeUtterance({
      pcm: utterance.pcm,
      stt: this.deps.stt,
      expectedPhrases: null,
      live: true,
      signal: utterance.controller.signal,
      maxDurationMs: this.deps.maxAudioDurationMs,
      inputEndedAt: () => utterance.inputEndedAt(),
      onPartial: (text) => this.events.partialTranscript(utterance.id, text),
    });
    recognition
      .catch(() => undefined)
      .finally(() => this.deps.signal.removeEventListener("abort", stop))
      .catch(() => undefined);
    this.recognitions.set(utterance, recognition);
  }

  /** Cancels the open utterance and its recognition. */
  private dropUtterance(reason: unknown): void {
    const utterance = this.utterance;
    if (utterance === undefined) return;
    this.utterance = undefined;
    this.recognitions.delete(utterance);
    utterance.cancel(reason);
  }

  private endUtterance(): void {
    const utterance = this.utterance;
    if (utterance === undefined) return;
    this.utterance = undefined;
    utterance.end();
    const recognition = this.recognitions.get(utterance)!;
    this.recognitions.delete(utterance);
    this.events.utteranceEnded(utterance, recognition);
  }
}
