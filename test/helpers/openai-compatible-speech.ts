import type http from "node:http";
import { encodeWavFile } from "../../src/engines/codec/encoders.js";
import type { SttEngine, SttEvent } from "../../src/engines/stt/types.js";
import type { TtsEngine } from "../../src/engines/tts/types.js";
import type { OpenAiCompatibleServer, ReceivedRequest } from "./openai-compatible-server.js";

/** Voices the stand-in speech server offers, each a Flite voice. */
export const SPEECH_VOICES: { [name: string]: string } = {
  alloy: "flite:rms",
  echo: "flite:slt",
  fable: "flite:awb",
};

/** Statuses the next speech requests answer with instead of working (a failing speech server). */
export interface SpeechFailures {
  next: number[];
}

function readWav16(bytes: Buffer): Int16Array {
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === "data") {
      const samples = new Int16Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i += 1) samples[i] = bytes.readInt16LE(offset + 8 + i * 2);
      return samples;
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error("no data chunk");
}

/**
 * Adds OpenAI's speech endpoints to the stand-in server, backed by real offline engines:
 * `/v1/audio/transcriptions` (multipart `file` WAV, `model`, `language`, `response_format`
 * `verbose_json` with word timestamps, or `stream=true` for `transcript.text.delta` events) recognizes
 * with `stt`; `/v1/audio/speech` (`input`, `voice`, `response_format: wav`) speaks with `tts`.
 */
export function addSpeechRoutes(
  server: OpenAiCompatibleServer,
  engines: { stt: SttEngine; tts: TtsEngine },
): SpeechFailures {
  const failures: SpeechFailures = { next: [] };
  const fail = (response: http.ServerResponse): boolean => {
    const status = failures.next.shift();
    if (status === undefined) return false;
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: `status ${status}` } }));
    return true;
  };
  server.routes.set("/v1/audio/transcriptions", async (request: ReceivedRequest, response) => {
    if (fail(response)) return;
    const form = await new Request("http://stand-in/", {
      method: "POST",
      headers: { "content-type": String(request.headers["content-type"]) },
      body: request.raw,
    }).formData();
    const file = form.get("file") as Blob;
    const samples = readWav16(Buffer.from(await file.arrayBuffer()));
    const events: SttEvent[] = [];
    const audio = (async function* () {
      yield samples;
    })();
    for await (const event of engines.stt.recognize(audio, { signal: new AbortController().signal }))
      events.push(event);
    const final = events.find((e) => e.type === "final");
    const text = final?.text ?? "";
    if (form.get("stream") === "true") {
      response.writeHead(200, { "content-type": "text/event-stream" });
      for (const word of text.split(" ").filter((w) => w !== ""))
        response.write(`data: ${JSON.stringify({ type: "transcript.text.delta", delta: `${word} ` })}\n\n`);
      response.end(`data: ${JSON.stringify({ type: "transcript.text.done", text })}\n\n`);
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        task: "transcribe",
        language: form.get("language"),
        duration: samples.length / 16_000,
        text,
        words:
          final?.type === "final"
            ? final.words.map((w) => ({ word: w.word, start: w.startMs / 1000, end: w.endMs / 1000 }))
            : [],
      }),
    );
  });
  server.routes.set("/v1/audio/speech", async (request: ReceivedRequest, response) => {
    if (fail(response)) return;
    const body = request.json as { input: string; voice: string };
    const parts: Int16Array[] = [];
    let rate = 16_000;
    for await (const chunk of engines.tts.synthesize(body.input, {
      signal: new AbortController().signal,
      voiceId: SPEECH_VOICES[body.voice] ?? "flite:rms",
    })) {
      parts.push(chunk.samples);
      rate = chunk.sampleRateHz;
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const samples = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    response.writeHead(200, { "content-type": "audio/wav" });
    response.end(Buffer.from(encodeWavFile(samples, rate)));
  });
  return failures;
}
