import type { SttEngine, SttEvent, SttOptions } from "../../src/engines/stt/types.js";

/**
 * A speech recognizer for pipeline tests: it reads all the audio, then answers `text`. With `hold()` it
 * waits after the audio ends until `release()` or an abort, and tells the test both moments.
 */
export class GatedStt implements SttEngine {
  readonly name = "gated";
  readonly capabilities = {
    streaming: true,
    partialResults: false,
    sampleRatesHz: [16_000],
    languages: ["en-US"],
    grammars: false,
  };
  private held = false;
  private releaseHeld: () => void = () => {};
  private audioEndedResolve: () => void = () => {};
  private abortedResolve: () => void = () => {};
  /** Resolves when a held recognition has read all its audio. */
  audioEnded = new Promise<void>((resolve) => (this.audioEndedResolve = resolve));
  /** Resolves when a recognition sees its signal abort. */
  aborted = new Promise<void>((resolve) => (this.abortedResolve = resolve));

  constructor(private readonly text = "hello there") {}

  /** The next recognitions wait after their audio until `release()` or an abort. */
  hold(): void {
    this.held = true;
    this.audioEnded = new Promise<void>((resolve) => (this.audioEndedResolve = resolve));
    this.aborted = new Promise<void>((resolve) => (this.abortedResolve = resolve));
  }

  release(): void {
    this.held = false;
    this.releaseHeld();
  }

  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    const onAbort = () => this.abortedResolve();
    options.signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const chunk of audio) void chunk;
      if (this.held) {
        this.audioEndedResolve();
        await new Promise<void>((resolve, reject) => {
          this.releaseHeld = resolve;
          const stop = () => reject(options.signal.reason as Error);
          if (options.signal.aborted) stop();
          options.signal.addEventListener("abort", stop, { once: true });
        });
      }
      options.signal.throwIfAborted();
      yield { type: "final", text: this.text, words: [], confidence: 1, mode: "open" };
    } finally {
      options.signal.removeEventListener("abort", onAbort);
    }
  }
}
