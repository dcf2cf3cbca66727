import type { FillerAudio } from "../domain/turn-events.js";
import { encodeWavFile } from "../engines/codec/encoders.js";
import type { TtsEngine } from "../engines/tts/types.js";
import { joinSamples } from "../lib/samples.js";
import { REPLY_SAMPLE_RATE_HZ, to16k } from "./speak.js";

/** A filler's synthesis that takes longer than this fails (and is tried again next time). */
const SYNTHESIS_TIMEOUT_MS = 10_000;

/**
 * Filler phrases spoken once per voice and kept: the first filler of a phrase waits for its synthesis,
 * every later one is ready at once. Holds at most `maxEntries` phrase-voice pairs; past that the least
 * recently used one is dropped (authored phrases come from every service's graph, so the set is open).
 * A failed synthesis is not kept.
 */
export class FillerAudioCache {
  private readonly entries = new Map<string, Promise<FillerAudio>>();
  private readonly engineIds = new WeakMap<TtsEngine, number>();
  private nextEngineId = 0;

  /** @param maxEntries Phrase-voice pairs kept; default 256. */
  constructor(private readonly maxEntries = 256) {}

  /** The phrase spoken by `voiceId` of `tts` (the engine's default voice when undefined). */
  audioOf(tts: TtsEngine, voiceId: string | undefined, phrase: string): Promise<FillerAudio> {
    const key = `${this.engineIdOf(tts)}\u0000${voiceId ?? ""}\u0000${phrase}`;
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const audio = synthesizeFiller(tts, voiceId, phrase);
    this.entries.set(key, audio);
    audio.catch(() => {
      if (this.entries.get(key) === audio) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return audio;
  }

  /** Phrase-voice pairs held now. */
  get size(): number {
    return this.entries.size;
  }

  private engineIdOf(tts: TtsEngine): number {
    let id = this.engineIds.get(tts);
    if (id === undefined) {
      id = this.nextEngineId++;
      this.engineIds.set(tts, id);
    }
    return id;
  }
}

/**
 * Speaks one phrase apart from any turn: the audio is shared by later turns, so one turn's abort must
 * not cut it short; a timeout bounds it instead.
 */
async function synthesizeFiller(
  tts: TtsEngine,
  voiceId: string | undefined,
  phrase: string,
): Promise<FillerAudio> {
  const signal = AbortSignal.timeout(SYNTHESIS_TIMEOUT_MS);
  const pieces: Int16Array[] = [];
  const alignment: [number, string][] = [];
  for await (const chunk of tts.synthesize(phrase, {
    signal,
    ...(voiceId === undefined ? {} : { voiceId }),
  })) {
    pieces.push(await to16k(chunk.samples, chunk.sampleRateHz));
    alignment.push(...chunk.characterTimings);
  }
  const pcm = joinSamples(pieces);
  if (pcm.length === 0) throw new Error("the filler phrase has nothing to speak");
  return {
    pcm,
    sampleRateHz: REPLY_SAMPLE_RATE_HZ,
    alignment,
    durationMs: (pcm.length * 1000) / REPLY_SAMPLE_RATE_HZ,
    wavBase64: Buffer.from(encodeWavFile(pcm, REPLY_SAMPLE_RATE_HZ)).toString("base64"),
  };
}
