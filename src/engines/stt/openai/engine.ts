import { AppError } from "../../../lib/app-error.js";
import { encodeWavFile } from "../../codec/encoders.js";
import { type OpenAiEndpoint, postOpenAi, serverSentData } from "../../openai-http.js";
import type { RecognizedWord, SttCapabilities, SttEngine, SttEvent, SttOptions } from "../types.js";

const SAMPLE_RATE_HZ = 16_000;
/** Below this RMS (of 16-bit samples) the audio is taken as silence and not sent (Whisper invents words for it). */
const SILENCE_RMS = 100;

export interface OpenAiSttOptions {
  endpoint: OpenAiEndpoint;
  /** `PARLEY_STT_MODEL`, e.g. `whisper-1`, `Systran/faster-whisper-small`. */
  model: string;
  /** Languages to accept (BCP 47 or ISO 639); the first two letters go to the server. */
  languages: string[];
  /**
   * Transcribe the audio so far every this many ms of audio, for partial results while it arrives (each
   * costs a request); 0: no partial results. The final result always comes from the whole utterance.
   */
  partialEveryMs: number;
  /** Ask the server to stream the transcript (`stream=true`, server-sent `transcript.text.delta` events). */
  stream: boolean;
}

interface VerboseTranscription {
  text?: string;
  words?: { word?: string; start?: number; end?: number }[];
  segments?: { text?: string; start?: number; end?: number }[];
}

/**
 * Speech recognition by an OpenAI-compatible `/v1/audio/transcriptions` endpoint (OpenAI, faster-whisper
 * servers, whisper.cpp's server, LocalAI): the utterance is sent as a 16 kHz WAV when its audio has
 * ended, `verbose_json` with word timestamps (spread over the segments, or the audio, when the server
 * gives none). Grammars are not supported: expected phrases go to the server as a `prompt` hint, and
 * the result's mode is `open`.
 */
export class OpenAiSttEngine implements SttEngine {
  readonly name = "openai";
  readonly capabilities: SttCapabilities;

  constructor(private readonly options: OpenAiSttOptions) {
    this.capabilities = {
      streaming: options.partialEveryMs > 0,
      partialResults: options.partialEveryMs > 0,
      sampleRatesHz: [SAMPLE_RATE_HZ],
      languages: options.languages,
      grammars: false,
    };
  }

  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    const language = options.language ?? this.options.languages[0] ?? "en";
    if (!this.accepts(language)) {
      throw new AppError("bad_request", `Speech recognition does not support the language "${language}"`);
    }
    options.signal.throwIfAborted();
    const pieces: Int16Array[] = [];
    let total = 0;
    let nextPartialAt = (this.options.partialEveryMs * SAMPLE_RATE_HZ) / 1000;
    let partial: Promise<string | undefined> | undefined;
    for await (const chunk of audio) {
      options.signal.throwIfAborted();
      pieces.push(chunk);
      total += chunk.length;
      if (partial !== undefined) {
        const text = await Promise.race([partial, Promise.resolve(null)]);
        if (text !== null) {
          partial = undefined;
          if (text !== undefined && text !== "") yield { type: "partial", text };
        }
      }
      if (this.options.partialEveryMs > 0 && total >= nextPartialAt && partial === undefined) {
        nextPartialAt = total + (this.options.partialEveryMs * SAMPLE_RATE_HZ) / 1000;
        const soFar = join(pieces, total);
        // A partial that fails is skipped: the final result is what counts.
        partial = this.transcribe(soFar, language, options).then(
          (r) => r.text,
          () => undefined,
        );
      }
    }
    options.signal.throwIfAborted();
    const samples = join(pieces, total);
    if (rms(samples) < SILENCE_RMS) {
      yield { type: "final", text: "", words: [], confidence: 0, mode: "open" };
      return;
    }
    const result = await this.transcribe(samples, language, options, this.options.stream);
    yield { type: "final", text: result.text, words: result.words, confidence: 1, mode: "open" };
  }

  private accepts(language: string): boolean {
    const short = language.toLowerCase().slice(0, 2);
    return this.options.languages.some((l) => l === "*" || l.toLowerCase().slice(0, 2) === short);
  }

  private async transcribe(
    samples: Int16Array,
    language: string,
    options: SttOptions,
    stream = false,
  ): Promise<{ text: string; words: RecognizedWord[] }> {
    const form = new FormData();
    form.set("file", new Blob([encodeWavFile(samples, SAMPLE_RATE_HZ)], { type: "audio/wav" }), "speech.wav");
    form.set("model", this.options.model);
    form.set("language", language.slice(0, 2).toLowerCase());
    const hint = options.expectedPhrases?.join(", ");
    if (hint !== undefined && hint !== "") form.set("prompt", hint);
    if (stream) {
      form.set("stream", "true");
      form.set("response_format", "json");
    } else {
      form.set("response_format", "verbose_json");
      form.append("timestamp_granularities[]", "word");
      form.append("timestamp_granularities[]", "segment");
    }
    const answer = await postOpenAi(this.options.endpoint, "/audio/transcriptions", form, options.signal);
    const durationMs = (samples.length * 1000) / SAMPLE_RATE_HZ;
    if (stream && (answer.response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      let text = "";
      for await (const data of serverSentData(answer.chunks())) {
        const event = JSON.parse(data) as { type?: string; delta?: string; text?: string };
        if (event.type === "transcript.text.delta" && typeof event.delta === "string") text += event.delta;
        if (event.type === "transcript.text.done" && typeof event.text === "string") text = event.text;
      }
      return { text: text.trim(), words: spreadWords(text.trim(), 0, durationMs) };
    }
    let body: VerboseTranscription;
    try {
      body = JSON.parse(await answer.text()) as VerboseTranscription;
    } catch {
      throw new AppError(
        "service_unavailable",
        `The speech server at ${this.options.endpoint.baseUrl} did not answer JSON`,
      );
    }
    const text = (body.text ?? "").trim();
    return { text, words: wordsOf(body, text, durationMs) };
  }
}

function join(pieces: Int16Array[], total: number): Int16Array {
  const out = new Int16Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** Word timings from the server's words, else from its segments, else spread over the audio. */
function wordsOf(body: VerboseTranscription, text: string, durationMs: number): RecognizedWord[] {
  const words = (body.words ?? []).flatMap((w) =>
    typeof w.word === "string" &&
    typeof w.start === "number" &&
    typeof w.end === "number" &&
    w.word.trim() !== ""
      ? [{ word: w.word.trim(), startMs: w.start * 1000, endMs: Math.max(w.end * 1000, w.start * 1000 + 1) }]
      : [],
  );
  if (words.length > 0) return words;
  const segments = (body.segments ?? []).filter(
    (s) => typeof s.text === "string" && typeof s.start === "number" && typeof s.end === "number",
  );
  if (segments.length > 0) {
    return segments.flatMap((s) => spreadWords(s.text!.trim(), s.start! * 1000, s.end! * 1000));
  }
  return spreadWords(text, 0, durationMs);
}

/** Words of `text` given equal shares of `[fromMs, toMs]` (an estimate, for servers without timings). */
function spreadWords(text: string, fromMs: number, toMs: number): RecognizedWord[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  const share = (toMs - fromMs) / Math.max(1, words.length);
  return words.map((word, i) => ({ word, startMs: fromMs + i * share, endMs: fromMs + (i + 1) * share }));
}
