import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import { corpusWer } from "../../src/lib/wer.js";
import { librivoxClips, readPcm16Wav } from "../../test/helpers/speech-corpus.js";
import { type BenchRow, printRows, rssMb } from "./common.js";

/** Audio as from a live source: 100 ms chunks, paced at `speed` × real time (0 = as fast as possible). */
async function* paced(samples: Int16Array, speed: number): AsyncIterable<Int16Array> {
  for (let i = 0; i < samples.length; i += 1600) {
    yield samples.slice(i, i + 1600);
    if (speed > 0) await new Promise((resolve) => setTimeout(resolve, 100 / speed));
  }
}

async function recognizeAll(engine: PocketSphinxEngine, streams: number) {
  const clips = librivoxClips();
  let audioS = 0;
  const pairs: { reference: string; hypothesis: string }[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      for (const clip of clips) {
        const samples = readPcm16Wav(clip.wavPath).samples;
        audioS += samples.length / 16_000;
        for await (const event of engine.recognize(paced(samples, 0), {
          signal: new AbortController().signal,
        })) {
          if (event.type === "final" && s === 0)
            pairs.push({ reference: clip.transcript, hypothesis: event.text });
        }
      }
    }),
  );
  return { rtf: (performance.now() - started) / 1000 / (audioS / streams), wer: corpusWer(pairs) };
}

/** Real-time factor (processing time / audio time) per stream, time to first partial, WER, memory. */
export async function benchStt(): Promise<BenchRow[]> {
  const engine = new PocketSphinxEngine({ poolSize: 2 });
  await engine.warmUp();
  const rows: BenchRow[] = [];
  const one = await recognizeAll(engine, 1);
  rows.push({ engine: "pocketsphinx", metric: "real-time factor, 1 stream", value: one.rtf, unit: "" });
  rows.push({ engine: "pocketsphinx", metric: "LibriVox WER", value: one.wer * 100, unit: "%" });
  const two = await recognizeAll(engine, 2);
  rows.push({
    engine: "pocketsphinx",
    metric: "real-time factor per stream, 2 streams",
    value: two.rtf,
    unit: "",
  });
  const samples = readPcm16Wav(librivoxClips()[0]!.wavPath).samples;
  const started = performance.now();
  let firstPartialMs = Number.NaN;
  for await (const event of engine.recognize(paced(samples, 1), { signal: new AbortController().signal })) {
    if (event.type === "partial" && event.text !== "" && Number.isNaN(firstPartialMs))
      firstPartialMs = performance.now() - started;
  }
  rows.push({
    engine: "pocketsphinx",
    metric: "first non-empty partial (real-time audio)",
    value: firstPartialMs,
    unit: "ms",
  });
  rows.push({
    engine: "pocketsphinx",
    metric: "process memory (rss, 2 decoders)",
    value: rssMb(),
    unit: "MB",
  });
  await engine.close();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printRows(await benchStt());
