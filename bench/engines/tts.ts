import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { type BenchRow, median, printRows, rssMb } from "./common.js";

const REPLY =
  "Thank you for calling Maple Clinic. The next available appointment is tomorrow at ten in the morning.";

/** Time to first audio of a two-sentence reply, real-time factor, memory. */
export async function benchTts(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const voice of ["flite:rms", "flite:slt", "flite:kal16"]) {
    const engine = new FliteEngine({ defaultVoiceId: voice });
    await engine.warmUp();
    const firstMs: number[] = [];
    const rtf: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const started = performance.now();
      let first = Number.NaN;
      let audioMs = 0;
      for await (const chunk of engine.synthesize(REPLY, { signal: new AbortController().signal })) {
        if (Number.isNaN(first)) first = performance.now() - started;
        audioMs += (chunk.samples.length * 1000) / chunk.sampleRateHz;
      }
      firstMs.push(first);
      rtf.push((performance.now() - started) / audioMs);
    }
    rows.push({
      engine: voice,
      metric: "first audio, 2-sentence reply (median of 10)",
      value: median(firstMs),
      unit: "ms",
    });
    rows.push({ engine: voice, metric: "real-time factor", value: median(rtf), unit: "" });
    await engine.close();
  }
  rows.push({ engine: "flite", metric: "process memory (rss)", value: rssMb(), unit: "MB" });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printRows(await benchTts());
