import {
  type DecodedWord,
  FRAME_MS,
  meanConfidence,
  type SphinxDecoder,
  VAD_PRESPEECH_FRAMES,
  VAD_STARTSPEECH_FRAMES,
} from "./binding.js";

/** Audio fed to the decoder per call, so that the end of speech is seen within 10 ms. */
const STEP_SAMPLES = 160;
const SAMPLES_PER_MS = 16;

export interface RecognitionResult {
  text: string;
  words: DecodedWord[];
  /** 0..1, see meanConfidence. */
  confidence: number;
}

/**
 * Recognizes one audio stream phrase by phrase. PocketSphinx's last pass runs over a whole utterance
 * when it ends, which is the wait between the last audio and the final result. In open-vocabulary mode
 * each pause that PocketSphinx's voice activity detector hears (200 ms of silence) closes the phrase:
 * its last pass runs then, while the audio goes on, and the next phrase starts with the cepstral mean
 * learned so far. When the stream ends after a pause, the result is ready at once. A grammar describes a
 * whole answer, so grammar mode keeps the stream as one utterance.
 */
export class PhraseSegmenter {
  private readonly phrases: RecognitionResult[] = [];
  private fedSamples = 0;
  private inSpeech = false;
  /** Where the current phrase's first frame lies in the stream (ms), estimated when speech is heard. */
  private phraseOriginMs = 0;
  private previousPhraseEndMs = 0;

  constructor(
    private readonly decoder: SphinxDecoder,
    private readonly segmentAtPauses: boolean,
  ) {
    decoder.start();
  }

  process(samples: Int16Array): void {
    if (!this.segmentAtPauses) {
      this.decoder.process(samples);
      this.fedSamples += samples.length;
      return;
    }
    for (let offset = 0; offset < samples.length; offset += STEP_SAMPLES) {
      const step = samples.subarray(offset, offset + STEP_SAMPLES);
      this.decoder.process(step);
      this.fedSamples += step.length;
      const inSpeech = this.decoder.inSpeech();
      if (inSpeech && !this.inSpeech) {
        // The detector says "speech" after VAD_STARTSPEECH_FRAMES of it and hands the search the
        // VAD_PRESPEECH_FRAMES before those: the phrase's frames start that far back.
        const leadMs = (VAD_STARTSPEECH_FRAMES + VAD_PRESPEECH_FRAMES) * FRAME_MS;
        this.phraseOriginMs = Math.max(this.previousPhraseEndMs, this.fedSamples / SAMPLES_PER_MS - leadMs);
      } else if (!inSpeech && this.inSpeech) {
        this.closePhrase();
        this.decoder.continueUtterance();
      }
      this.inSpeech = inSpeech;
    }
  }

  /** What has been recognized so far: closed phrases and the best hypothesis of the current one. */
  hypothesis(): string {
    return joinTexts([...this.phrases.map((p) => p.text), this.decoder.hypothesis()]);
  }

  /** Ends the stream: closes the current phrase and joins every phrase's result. */
  finish(): RecognitionResult {
    this.closePhrase();
    const words = this.phrases.flatMap((p) => p.words);
    return {
      text: joinTexts(this.phrases.map((p) => p.text)),
      words,
      confidence: meanConfidence(words),
    };
  }

  private closePhrase(): void {
    const result = this.decoder.finish();
    const words = result.words.map((w) => ({
      ...w,
      startMs: w.startMs + this.phraseOriginMs,
      endMs: w.endMs + this.phraseOriginMs,
    }));
    this.phrases.push({ text: result.text, words, confidence: result.confidence });
    // Audio fed so far belongs to the closed phrase; the next one starts after it.
    this.previousPhraseEndMs = this.fedSamples / SAMPLES_PER_MS;
    this.phraseOriginMs = this.previousPhraseEndMs;
  }
}

function joinTexts(texts: string[]): string {
  return texts
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .join(" ");
}
