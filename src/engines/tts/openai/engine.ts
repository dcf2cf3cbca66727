import { AppError } from "../../../lib/app-error.js";
import { speakableSentences } from "../../../lib/sentences.js";
import { type OpenAiEndpoint, postOpenAi } from "../../openai-http.js";
import type { TtsCapabilities, TtsChunk, TtsEngine, TtsOptions } from "../types.js";

export interface OpenAiTtsOptions {
  endpoint: OpenAiEndpoint;
  /** `PARLEY_TTS_MODEL`, e.g. `tts-1`, `kokoro`. */
  model: string;
  /** Voice names the server offers; the first is the default. Listed as `openai:<name>`. */
  voices: string[];
  warn?: (message: string) => void;
}

/**
 * Speech synthesis by an OpenAI-compatible `/v1/audio/speech` endpoint (OpenAI, Kokoro/Piper servers,
 * LocalAI), sentence by sentence as the reply's text arrives: each sentence is one request for a WAV,
 * and one chunk. The server gives no timings, so each character's time is estimated by spreading the
 * sentence's characters evenly over its audio.
 */
export class OpenAiTtsEngine implements TtsEngine {
  readonly name = "openai";
  readonly capabilities: TtsCapabilities;
  private readonly warned = new Set<string>();

  constructor(private readonly options: OpenAiTtsOptions) {
    if (options.voices.length === 0) throw new Error("PARLEY_TTS_VOICES must name at least one voice");
    this.capabilities = {
      streaming: true,
      sampleRatesHz: [24_000, 22_050, 16_000],
      languages: ["*"],
      voices: options.voices.map((v) => `openai:${v}`),
    };
  }

  async *synthesize(text: AsyncIterable<string> | string, options: TtsOptions): AsyncIterable<TtsChunk> {
    options.signal.throwIfAborted();
    const voice = this.resolveVoice(options.voiceId);
    let startMs = 0;
    for await (const { sentence, spoken } of speakableSentences(text, options.signal)) {
      const body = JSON.stringify({
        model: this.options.model,
        input: spoken,
        voice,
        response_format: "wav",
      });
      const answer = await postOpenAi(this.options.endpoint, "/audio/speech", body, options.signal);
      const bytes = Buffer.from(await bodyBytes(answer.chunks()));
      options.signal.throwIfAborted();
      const { samples, sampleRateHz } = readWav16(bytes, this.options.endpoint.baseUrl);
      const durationMs = (samples.length * 1000) / sampleRateHz;
      yield {
        samples,
        sampleRateHz,
        text: sentence,
        characterTimings: spread(sentence, startMs, durationMs),
        startMs,
      };
      startMs += durationMs;
    }
  }

  private resolveVoice(voiceId: string | undefined): string {
    const fallback = this.options.voices[0]!;
    if (voiceId === undefined) return fallback;
    const name = voiceId.startsWith("openai:") ? voiceId.slice("openai:".length) : undefined;
    if (name !== undefined && this.options.voices.includes(name)) return name;
    if (!this.warned.has(voiceId)) {
      this.warned.add(voiceId);
      this.options.warn?.(`Unknown voice id "${voiceId}"; using openai:${fallback}`);
    }
    return fallback;
  }
}

async function bodyBytes(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** The first channel of a 16-bit PCM WAV (streamed writers' unknown data sizes included). */
function readWav16(bytes: Buffer, baseUrl: string): { samples: Int16Array; sampleRateHz: number } {
  const bad = (why: string) => new AppError("service_unavailable", `The speech server at ${baseUrl} ${why}`);
  if (
    bytes.length < 12 ||
    bytes.toString("ascii", 0, 4) !== "RIFF" ||
    bytes.toString("ascii", 8, 12) !== "WAVE"
  ) {
    throw bad("did not answer a WAV file");
  }
  let offset = 12;
  let channels = 0;
  let sampleRateHz = 0;
  let bits = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === "fmt ") {
      channels = bytes.readUInt16LE(offset + 10);
      sampleRateHz = bytes.readUInt32LE(offset + 12);
      bits = bytes.readUInt16LE(offset + 22);
    } else if (id === "data") {
      if (bits !== 16 || channels < 1) throw bad(`answered a WAV with ${bits}-bit samples, not 16-bit PCM`);
      const end =
        size === 0 || size === 0xffffffff ? bytes.length : Math.min(bytes.length, offset + 8 + size);
      const frames = Math.floor((end - offset - 8) / (2 * channels));
      const samples = new Int16Array(frames);
      for (let f = 0; f < frames; f += 1) samples[f] = bytes.readInt16LE(offset + 8 + f * 2 * channels);
      return { samples, sampleRateHz };
    }
    offset += 8 + size + (size % 2);
  }
  throw bad("answered a WAV without audio");
}

/** Each character of `text` at an even share of the audio (the server gives no alignment). */
function spread(text: string, startMs: number, durationMs: number): [number, string][] {
  const characters = [...text];
  const share = durationMs / Math.max(1, characters.length);
  return characters.map((c, i) => [startMs + i * share, c]);
}
