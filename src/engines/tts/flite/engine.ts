import { WorkerPool } from "../../../lib/worker-pool.js";
import { type SentencePart, speakableSentences } from "../../../lib/sentences.js";
import type { TtsCapabilities, TtsChunk, TtsEngine, TtsOptions } from "../types.js";
import { characterTimings } from "./alignment.js";
import { FLITE_VOICES, type FliteOutput } from "./flite-runner.js";
import type { FliteRequest } from "./worker.js";

export interface FliteOptions {
  /** Voice for agents without one or with an unknown one. Default `flite:rms`. */
  defaultVoiceId?: string;
  /** Synthesis threads. Default 2. */
  poolSize?: number;
  /** Told once per unknown voice id (no user text). */
  warn?: (message: string) => void;
}

/**
 * Silence kept after a reply's first clause when it is spoken on its own (Flite ends every run with
 * ~160 ms of pause and starts the next with as much): about the pause of a comma in running speech.
 */
const CLAUSE_PAUSE_MS = 100;

/**
 * A piece spoken as part of a sentence, trimmed so that its parts join like the sentence spoken
 * whole: the first clause keeps 100 ms of its closing pause, the rest loses its opening pause. Phone
 * times move with the cut.
 */
function joinedAtClause(output: FliteOutput, part: SentencePart): FliteOutput {
  if (part === "whole") return output;
  const { phones, sampleRateHz } = output;
  const totalMs = (output.samples.length * 1000) / sampleRateHz;
  const leadMs = part === "after-first-clause" && phones[0]?.phone === "pau" ? phones[0].endMs : 0;
  const lastSpoken = phones.findLastIndex((phone) => phone.phone !== "pau");
  const speechEndMs = lastSpoken < 0 ? totalMs : phones[lastSpoken]!.endMs;
  const endMs = part === "first-clause" ? Math.min(totalMs, speechEndMs + CLAUSE_PAUSE_MS) : totalMs;
  const toSample = (ms: number) => Math.round((ms * sampleRateHz) / 1000);
  return {
    samples: output.samples.slice(toSample(leadMs), toSample(endMs)),
    sampleRateHz,
    phones: phones.map((phone) => ({
      phone: phone.phone,
      endMs: Math.min(endMs, Math.max(leadMs, phone.endMs)) - leadMs,
    })),
  };
}

/**
 * Flite (compiled to WASI) in worker threads, sentence by sentence (the reply's first sentence as its
 * first clause and the rest, for a sooner first chunk), with per-character timings.
 */
export class FliteEngine implements TtsEngine {
  readonly name = "flite";
  readonly capabilities: TtsCapabilities = {
    streaming: true,
    sampleRatesHz: [16_000],
    languages: ["en-US"],
    voices: FLITE_VOICES.map((v) => `flite:${v}`),
  };
  private readonly pool: WorkerPool<FliteRequest, FliteOutput>;
  private readonly defaultVoice: string;
  private readonly warned = new Set<string>();

  constructor(private readonly options: FliteOptions = {}) {
    this.pool = new WorkerPool(import.meta.url, "worker", options.poolSize ?? 2);
    this.defaultVoice = this.voiceName(options.defaultVoiceId ?? "flite:rms") ?? "rms";
  }

  private voiceName(voiceId: string): string | undefined {
    const name = voiceId.startsWith("flite:") ? voiceId.slice("flite:".length) : undefined;
    return name !== undefined && (FLITE_VOICES as readonly string[]).includes(name) ? name : undefined;
  }

  /** The voice an id selects, or the default (with a one-time warning) when the id is unknown. */
  resolveVoice(voiceId: string | undefined): string {
    if (voiceId === undefined) return this.defaultVoice;
    const name = this.voiceName(voiceId);
    if (name !== undefined) return name;
    if (!this.warned.has(voiceId)) {
      this.warned.add(voiceId);
      this.options.warn?.(`Unknown voice id "${voiceId}"; using flite:${this.defaultVoice}`);
    }
    return this.defaultVoice;
  }

  async warmUp(): Promise<void> {
    await this.pool.run({ voice: this.defaultVoice, text: "Ready." });
  }

  async *synthesize(text: AsyncIterable<string> | string, options: TtsOptions): AsyncIterable<TtsChunk> {
    const voice = this.resolveVoice(options.voiceId);
    let startMs = 0;
    const sentences = speakableSentences(text, options.signal, { firstClause: true });
    for await (const { sentence, spoken, part } of sentences) {
      const output = joinedAtClause(await this.pool.run({ voice, text: spoken }, options.signal), part);
      options.signal.throwIfAborted();
      const durationMs = Math.round((output.samples.length * 1000) / output.sampleRateHz);
      yield {
        samples: output.samples,
        sampleRateHz: output.sampleRateHz,
        text: sentence,
        characterTimings: characterTimings(sentence, output.phones, startMs),
        startMs,
      };
      startMs += durationMs;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
