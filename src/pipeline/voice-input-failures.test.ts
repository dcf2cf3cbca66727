import fs from "node:fs";
import { describe, expect, it } from "vitest";
import type { SttEngine, SttEvent, SttOptions } from "../engines/stt/types.js";
import { librivoxClips } from "../../test/helpers/speech-corpus.js";
import { transcribeUpload } from "./voice-input.js";

const wav = fs.readFileSync(librivoxClips()[3]!.wavPath);

/** The upload arriving in pieces, with a pause between them, like a network body. */
async function* slowBody(): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < wav.length; offset += 32_000) {
    yield wav.subarray(offset, offset + 32_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A recognizer whose open pass fails at once, or whose grammar pass fails. */
function failingStt(which: "open" | "grammar"): SttEngine {
  return {
    name: "failing",
    capabilities: {
      streaming: true,
      partialResults: false,
      sampleRatesHz: [16_000],
      languages: ["en-US"],
      grammars: true,
    },
    async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
      const grammar = options.expectedPhrases !== undefined;
      if ((which === "grammar") === grammar) throw new Error(`${which} recognizer failed`);
      for await (const chunk of audio) void chunk;
      yield { type: "final", text: "hello there", words: [], confidence: 1, mode: "open" };
    },
  };
}

describe("transcribeUpload failures", () => {
  it("rejects with the recognizer's error while the upload still arrives (it was an unhandled rejection)", async () => {
    const result = transcribeUpload({
      body: slowBody(),
      contentType: "audio/wav",
      audioConfig: undefined,
      stt: failingStt("open"),
      expectedPhrases: null,
      signal: new AbortController().signal,
    });
    await expect(result).rejects.toThrow("open recognizer failed");
  });

  it("tells the caller when the grammar recognizer fails (it was dropped without a word)", async () => {
    const failures: unknown[] = [];
    const result = await transcribeUpload({
      body: slowBody(),
      contentType: "audio/wav",
      audioConfig: undefined,
      stt: failingStt("grammar"),
      expectedPhrases: ["yes", "no"],
      signal: new AbortController().signal,
      onGrammarFailure: (error) => failures.push(error),
    });
    expect(result.text).toBe("hello there");
    expect(result.mode).toBe("open");
    expect(failures.map((e) => (e as Error).message)).toEqual(["grammar recognizer failed"]);
  });
});
