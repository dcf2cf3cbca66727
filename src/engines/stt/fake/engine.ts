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

/**
 * A fake recognizer for pipeline tests: it "recognizes" recordings it was given transcripts for (looked
 * up by fingerprint), streams partials as audio arrives and spreads word timings evenly. Unknown audio
 * gives an empty transcript.
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

  constructor(private readonly transcripts: Map<string, string>) {}

  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    if (!isEnglish(options.language)) {
      throw new AppError(
        "bad_request",
        `Speech recognition does not support the language ${options.language}`,
      );
    }
    const chunks: Int16Array[] = [];
    let total = 0;
    for await (const chunk of audio) {
      options.signal.throwIfAborted();
      chunks.push(chunk);
      total += chunk.length;
      // Partial: as many "heard" samples as 0.5 s steps, shown as a growing count.
      if (chunks.length % 5 === 0) yield { type: "partial", text: `${Math.round(total / 16)} ms heard` };
    }
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
