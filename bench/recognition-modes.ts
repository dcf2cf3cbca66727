/**
 * Grammar-first recognition against open vocabulary alone, as voice notes run them
 * (`transcribeUpload`): word error rate and the wait from the upload's last byte to the transcript,
 * for answers inside the expected set (the `cards` clips) and outside it (LibriVox prose, where the
 * grammar result must be rejected and the open result kept).
 *
 *   npx tsx bench/recognition-modes.ts
 *
 * Uploads are WAV files sent at real-time pace in 100 ms pieces.
 */
import fs from "node:fs";
import { PocketSphinxEngine } from "../src/engines/stt/pocketsphinx/engine.js";
import { corpusWer } from "../src/lib/wer.js";
import { transcribeUpload } from "../src/pipeline/voice-input.js";
import { cardsClips, librivoxClips, type SpeechClip } from "../test/helpers/speech-corpus.js";
import { median } from "./engines/common.js";

/** The answers a dialog state would expect: every cards transcript and a few near misses. */
const EXPECTED_PHRASES = [
  ...cardsClips().map((c) => c.transcript),
  "ace of hearts",
  "king of diamonds",
  "two of spades",
];

const WAV_HEADER_BYTES = 44;
const BYTES_PER_100_MS = 3200;

async function* atRealTimePace(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes.subarray(0, WAV_HEADER_BYTES);
  for (let offset = WAV_HEADER_BYTES; offset < bytes.length; offset += BYTES_PER_100_MS) {
    yield bytes.subarray(offset, offset + BYTES_PER_100_MS);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function measure(stt: PocketSphinxEngine, clips: SpeechClip[], expected: string[] | null) {
  const pairs: { reference: string; hypothesis: string }[] = [];
  const waitsMs: number[] = [];
  let grammarUsed = 0;
  for (const clip of clips) {
    const result = await transcribeUpload({
      body: atRealTimePace(fs.readFileSync(clip.wavPath)),
      contentType: "audio/wav",
      audioConfig: undefined,
      stt,
      expectedPhrases: expected,
      signal: new AbortController().signal,
    });
    pairs.push({ reference: clip.transcript, hypothesis: result.text });
    waitsMs.push(result.transcriptAt - result.inputEndedAt);
    if (result.mode === "grammar") grammarUsed += 1;
  }
  return { wer: corpusWer(pairs), waitMs: median(waitsMs), grammarUsed, clips: clips.length };
}

const stt = new PocketSphinxEngine({ poolSize: 2 });
await stt.warmUp();
try {
  console.log("corpus    mode            WER      last byte → transcript (median)  grammar result used");
  for (const [corpus, clips] of [
    ["cards", cardsClips()],
    ["librivox", librivoxClips()],
  ] as const) {
    for (const [mode, expected] of [
      ["open only", null],
      ["grammar first", EXPECTED_PHRASES],
    ] as const) {
      const row = await measure(stt, clips, expected);
      console.log(
        `${corpus.padEnd(9)} ${mode.padEnd(15)} ${(row.wer * 100).toFixed(1).padStart(5)} %  ${row.waitMs.toFixed(0).padStart(8)} ms${" ".repeat(26)}${row.grammarUsed}/${row.clips}`,
      );
    }
  }
} finally {
  await stt.close();
}
