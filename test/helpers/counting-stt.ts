import type { SttEngine, SttEvent, SttOptions } from "../../src/engines/stt/types.js";

/** Wraps an engine to count its recognitions: in all, running now, and the most at once. */
export function countingStt(engine: SttEngine) {
  const counts = { running: 0, most: 0, total: 0 };
  const wrapped: SttEngine = {
    name: engine.name,
    capabilities: engine.capabilities,
    async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
      counts.running += 1;
      counts.total += 1;
      counts.most = Math.max(counts.most, counts.running);
      try {
        yield* engine.recognize(audio, options);
      } finally {
        counts.running -= 1;
      }
    },
  };
  return { wrapped, counts };
}
