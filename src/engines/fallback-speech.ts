import { FallbackPair } from "./fallback-pair.js";
import { isAppError } from "../lib/app-error.js";
import { splitSentences } from "../lib/sentences.js";
import type { SttEngine, SttEvent, SttOptions } from "./stt/types.js";
import type { TtsChunk, TtsEngine, TtsOptions } from "./tts/types.js";

/** True for failures worth another engine: not an abort, not a client mistake. */
function isEngineFailure(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  return !isAppError(error) || error.code === "service_unavailable" || error.code === "internal";
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A configured recognizer with the offline one behind it (`PARLEY_STT_FALLBACK=true`): when the
 * configured engine fails on an utterance, the fallback recognizes that utterance from its start (the
 * audio read so far is kept for it, then the rest follows). Partial results already given stay given.
 */
export class FallbackSttEngine extends FallbackPair<SttEngine> implements SttEngine {
  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    const source = audio[Symbol.asyncIterator]();
    const heard: Int16Array[] = [];
    const firstPass = async function* () {
      for (;;) {
        const next = await source.next();
        if (next.done === true) return;
        heard.push(next.value);
        yield next.value;
      }
    };
    try {
      yield* this.primary.recognize(firstPass(), options);
      return;
    } catch (error) {
      if (!isEngineFailure(error, options.signal)) throw error;
      this.warn(
        `speech recognizer ${this.primary.name} failed (${describe(error)}); ${this.fallback.name} recognizes this utterance`,
      );
    }
    const replay = async function* () {
      yield* heard;
      for (;;) {
        const next = await source.next();
        if (next.done === true) return;
        yield next.value;
      }
    };
    const { jsgfGrammar: _grammar, ...rest } = options;
    for await (const event of this.fallback.recognize(replay(), rest)) {
      yield event.type === "final" ? { ...event, engine: this.fallback.name } : event;
    }
  }
}

/**
 * A configured synthesizer with the offline one behind it (`PARLEY_TTS_FALLBACK=true`): the reply goes
 * to the configured engine sentence by sentence; from the first sentence it fails on, the fallback
 * speaks the rest of that reply (in its default voice), timed on from where the audio had got to.
 */
export class FallbackTtsEngine extends FallbackPair<TtsEngine> implements TtsEngine {
  async *synthesize(text: AsyncIterable<string> | string, options: TtsOptions): AsyncIterable<TtsChunk> {
    options.signal.throwIfAborted();
    let engine = this.primary;
    let offsetMs = 0;
    for await (const sentence of splitSentences(text)) {
      let chunks: TtsChunk[];
      try {
        chunks = await collect(
          engine,
          sentence,
          engine === this.primary ? options : { signal: options.signal },
        );
      } catch (error) {
        if (engine !== this.primary || !isEngineFailure(error, options.signal)) throw error;
        this.warn(
          `speech synthesizer ${this.primary.name} failed (${describe(error)}); ${this.fallback.name} speaks the rest of this reply`,
        );
        engine = this.fallback;
        chunks = await collect(engine, sentence, { signal: options.signal });
      }
      for (const chunk of chunks) {
        yield {
          ...chunk,
          startMs: chunk.startMs + offsetMs,
          characterTimings: chunk.characterTimings.map(([ms, c]) => [ms + offsetMs, c] as [number, string]),
        };
      }
      const last = chunks.at(-1);
      if (last !== undefined) offsetMs += last.startMs + (last.samples.length * 1000) / last.sampleRateHz;
    }
  }
}

async function collect(engine: TtsEngine, sentence: string, options: TtsOptions): Promise<TtsChunk[]> {
  const chunks: TtsChunk[] = [];
  for await (const chunk of engine.synthesize(sentence, options)) chunks.push(chunk);
  return chunks;
}
