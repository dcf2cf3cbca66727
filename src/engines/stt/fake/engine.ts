import { AppError } from "../../../lib/app-error.js";
import { isEnglish, type SttEngine, type SttEvent, type SttOptions } from "../types.js";

/** A stable fingerprint of a whole recording, independent of how it was chunked. */
export function audioFingerprint(samples: Int16Array): string {
  let hash = 2166136261;
  for (let i = 0; i < samples.length; i += 1) {
    hash ^= samples[i]! & 0xffff;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return `${samples.length}:${hash.toString(16)}`;
}

/** Faults a {@link FakeSttEngine} injects, for tests of what sits above the recognizer. */
export interface FakeSttFaults {
  /** Fails (throws `failure`) after taking this many audio chunks; 0 fails before reading any. */
  failAfterChunks?: number;
  /** What a failure throws. Default: an Error saying the fake failed on purpose. */
  failure?: () => Error;
  /** Stops reading audio after this many chunks and hangs until the signal aborts (then throws its reason). */
  hangAfterChunks?: number;
  /** Reads all the audio, then hangs instead of giving the final result until the signal aborts. */
  hangUntilAborted?: boolean;
}

/**
 * A fake recognizer for pipeline tests: it "recognizes" recordings it was given transcripts for (looked
 * up by fingerprint), streams partials as audio arrives and spreads word timings evenly. Unknown audio
 * gives an empty transcript. `faults` make it fail or hang on demand.
 */
export class FakeSttEngine implements SttEngine {
  readonly name = "fake";
  readonly capabilities = {
    streaming: true,
    partialResults: true,
    sampleRatesHz: [16_000],
    languages: ["en-US"],
    grammars: false,
  };

  constructor(
    private readonly transcripts: Map<string, string>,
    private readonly faults: FakeSttFaults = {},
  ) {}

  private fail(): never {
    throw this.faults.failure?.() ?? new Error("the fake recognizer failed on purpose (failAfterChunks)");
  }

  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    if (!isEnglish(options.language)) {
      throw new AppError(
        "bad_request",
        `Speech recognition does not support the language ${options.language}`,
      );
    }
    const { failAfterChunks, hangAfterChunks } = this.faults;
    if (failAfterChunks === 0) this.fail();
    if (hangAfterChunks === 0) await untilAborted(options.signal);
    const chunks: Int16Array[] = [];
    let total = 0;
    for await (const chunk of audio) {
      options.signal.throwIfAborted();
      chunks.push(chunk);
      total += chunk.length;
      if (chunks.length === failAfterChunks) this.fail();
      // Partial: as many "heard" samples as 0.5 s steps, shown as a growing count.
      if (chunks.length % 5 === 0) yield { type: "partial", text: `${Math.round(total / 16)} ms heard` };
      if (chunks.length === hangAfterChunks) await untilAborted(options.signal);
    }
    if (this.faults.hangUntilAborted === true) await untilAborted(options.signal);
    options.signal.throwIfAborted();
    const samples = new Int16Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
    const text = this.transcripts.get(audioFingerprint(samples)) ?? "";
    const words = text.split(/\s+/).filter((w) => w.length > 0);
    const durationMs = total / 16;
    const wordMs = words.length === 0 ? 0 : durationMs / words.length;
    yield {
      type: "final",
      text,
      words: words.map((word, i) => ({ word, startMs: i * wordMs, endMs: (i + 1) * wordMs, confidence: 1 })),
      confidence: text === "" ? 0 : 1,
      mode: "open",
    };
  }
}

/** Waits until the signal aborts, then throws its reason. */
async function untilAborted(signal: AbortSignal): Promise<never> {
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
  throw signal.reason as Error;
}
