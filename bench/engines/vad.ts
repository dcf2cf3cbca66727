import { SileroVadEngine } from "../../src/engines/vad/silero/engine.js";
import type { VadEngine } from "../../src/engines/vad/types.js";
import { WebRtcVadEngine } from "../../src/engines/vad/webrtc/engine.js";
import { buildSpeechWithSilences } from "../../test/contract/vad.js";
import { chunked } from "../../test/helpers/speech-corpus.js";
import { type BenchRow, printRows, rssMb } from "./common.js";

/** Real-time factor of each VAD over about 20 s of speech and silence. */
export async function benchVad(): Promise<BenchRow[]> {
  const { samples } = buildSpeechWithSilences();
  const audioS = samples.length / 16_000;
  const rows: BenchRow[] = [];
  for (const engine of [new WebRtcVadEngine(), new SileroVadEngine()] as VadEngine[]) {
    for await (const _ of engine.process(chunked(samples.subarray(0, 16_000)), {
      signal: new AbortController().signal,
    })) {
      // warm-up
    }
    const started = performance.now();
    for await (const _ of engine.process(chunked(samples), { signal: new AbortController().signal })) {
      // count only time
    }
    rows.push({
      engine: engine.name,
      metric: "real-time factor",
      value: (performance.now() - started) / 1000 / audioS,
      unit: "",
    });
  }
  rows.push({ engine: "vad", metric: "process memory (rss)", value: rssMb(), unit: "MB" });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printRows(await benchVad());
