import type { Utterance } from "../domain/turn-events.js";
import type { TtsEngine } from "../engines/tts/types.js";
import { AsyncQueue } from "../lib/async-queue.js";
import { speakableCount } from "../lib/sentences.js";
import { MonoResampler, floatToInt16 } from "./stages/resample.js";

/** Reply audio is 16 kHz mono: what every transport encodes from. */
export const REPLY_SAMPLE_RATE_HZ = 16_000;

export type { Utterance } from "../domain/turn-events.js";

/** Samples at `rateHz` brought to the reply's 16 kHz. */
export async function to16k(samples: Int16Array, rateHz: number): Promise<Int16Array> {
  if (rateHz === REPLY_SAMPLE_RATE_HZ) return samples;
  const resampler = await MonoResampler.create(rateHz, REPLY_SAMPLE_RATE_HZ);
  try {
    const floats = Float32Array.from(samples, (s) => s / 32768);
    const out = resampler.process(floats);
    const tail = resampler.flush();
    const joined = new Float32Array(out.length + tail.length);
    joined.set(out);
    joined.set(tail, out.length);
    return floatToInt16(joined);
  } finally {
    resampler.destroy();
  }
}

/**
 * Speaks the reply while the agent writes it: text deltas go in (`push`), utterances come out through
 * `emit` as sentences are synthesized. Every letter and digit of the text is spoken in exactly one
 * utterance (the TTS contract), so counting them tells whether more is to come: an utterance goes out as
 * soon as it is synthesized when more text is already known to follow; otherwise it waits only until the
 * agent writes more (then `isLast: false`) or ends the reply (then `isLast: true`), never for the next
 * sentence's synthesis.
 */
export class ReplySpeaker {
  private readonly text = new AsyncQueue<string>();
  private task: Promise<void> | undefined;
  private speakablePushed = 0;
  private speakableSpoken = 0;
  private textEnded = false;
  private wakeHeldPiece: (() => void) | undefined;

  constructor(
    private readonly options: {
      tts: TtsEngine;
      voiceId: string | undefined;
      signal: AbortSignal;
      emit: (utterance: Utterance) => Promise<void>;
      /** Told at once when synthesis fails, so the turn can stop before the agent is done. */
      onFailure: (error: unknown) => void;
    },
  ) {
    options.signal.addEventListener("abort", () => this.wake(), { once: true });
  }

  push(delta: string): void {
    this.task ??= this.start();
    this.speakablePushed += speakableCount(delta);
    this.text.push(delta);
    this.wake();
  }

  /** Ends the text and waits until every utterance has been emitted; rejects when synthesis failed. */
  async finish(): Promise<void> {
    this.textEnded = true;
    this.text.close();
    this.wake();
    await this.task;
  }

  /** Stops synthesis after a failure elsewhere. */
  abandon(error: unknown): void {
    this.textEnded = true;
    this.text.fail(error);
    this.wake();
  }

  private start(): Promise<void> {
    const task = this.run();
    task.catch((error: unknown) => {
      if (!this.options.signal.aborted) this.options.onFailure(error);
    });
    return task;
  }

  private wake(): void {
    const wake = this.wakeHeldPiece;
    this.wakeHeldPiece = undefined;
    wake?.();
  }

  private moreTextKnown(): boolean {
    return this.speakablePushed > this.speakableSpoken;
  }

  /** Resolves once it is known whether the piece just synthesized is the last one. */
  private async untilLastKnown(): Promise<void> {
    while (!this.moreTextKnown() && !this.textEnded) {
      this.options.signal.throwIfAborted();
      await new Promise<void>((resolve) => (this.wakeHeldPiece = resolve));
    }
  }

  private async run(): Promise<void> {
    const { tts, voiceId, signal } = this.options;
    let sequence = 0;
    const chunks = tts.synthesize(this.text, { signal, ...(voiceId === undefined ? {} : { voiceId }) });
    for await (const chunk of chunks) {
      const pcm = await to16k(chunk.samples, chunk.sampleRateHz);
      this.speakableSpoken += speakableCount(chunk.text);
      await this.untilLastKnown();
      signal.throwIfAborted();
      await this.options.emit({
        pcm,
        sampleRateHz: REPLY_SAMPLE_RATE_HZ,
        text: chunk.text,
        alignment: chunk.characterTimings,
        durationMs: (pcm.length * 1000) / REPLY_SAMPLE_RATE_HZ,
        sequence,
        isLast: !this.moreTextKnown(),
      });
      sequence += 1;
    }
  }
}
