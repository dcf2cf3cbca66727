import type { FillerAudio } from "../domain/turn-events.js";
import type { AgentAudioChunk } from "./agent-audio.js";
import { AudioPacer } from "./audio-pacer.js";

/**
 * A filler is sent only this far ahead of the playback clock, so that when the answer is ready the
 * filler ends soon after: at the end of the word playing then, or of the next one.
 */
const FILLER_AHEAD_MS = 150;

/**
 * Where the words of a spoken filler end (ms from its start): each character followed by a space, or the
 * last character, closes a word.
 */
export function wordEndsMs(filler: FillerAudio): number[] {
  const ends: number[] = [];
  const { alignment } = filler;
  for (let i = 0; i < alignment.length; i += 1) {
    const next = alignment[i + 1];
    const char = alignment[i]![1];
    if (char.trim() === "") continue;
    if (next === undefined || next[1].trim() === "") ends.push(next?.[0] ?? filler.durationMs);
  }
  if (ends.length === 0 || ends.at(-1)! < filler.durationMs) ends.push(filler.durationMs);
  return ends;
}

/**
 * A filler played into the agent's outgoing audio over the WebSocket (`server.new-message` with
 * `filler: true`, no sequence number). It is paced like a reply, but only 150 ms ahead of the clock, and
 * fed to the pacer one word at a time, so `finish()` can end it at the next word boundary when the
 * answer is ready: the words already handed to the pacer play out, nothing after them is sent, and
 * `finish()` resolves when they have played by the pacing clock (then the answer's audio starts, never
 * over the filler). `stop()` (barge-in) ends it at once.
 */
export class FillerPlayback {
  private readonly pacer: AudioPacer;
  private readonly wordEnds: number[];
  private nextWord = 0;
  private queuedToMs = 0;
  private cut = false;
  private stopped = false;
  private lastChunkSent = false;

  constructor(
    private readonly filler: FillerAudio,
    private readonly messageId: string | undefined,
    private readonly send: (chunk: AgentAudioChunk) => void,
    now: () => number = () => performance.now(),
  ) {
    this.wordEnds = wordEndsMs(filler);
    this.pacer = new AudioPacer(
      (chunk) => {
        const endsQueued = chunk.offsetMs + chunk.durationMs >= this.queuedToMs - 0.5;
        const noMoreWords = this.cut || this.nextWord >= this.wordEnds.length;
        if (endsQueued && noMoreWords) this.lastChunkSent = true;
        this.send({
          messageId: this.messageId,
          pcm: chunk.pcm,
          sequenceNumber: undefined,
          stop: endsQueued && noMoreWords,
          transcriptAlignment: filler.alignment.filter(
            ([ms]) => ms >= chunk.offsetMs && ms < chunk.offsetMs + chunk.durationMs,
          ),
          offsetMs: chunk.offsetMs,
          durationMs: chunk.durationMs,
          filler: true,
        });
        // The next word goes to the pacer only once the words before it have all been sent.
        if (this.pacer.pendingChunks === 0) this.queueNextWord();
      },
      now,
      FILLER_AHEAD_MS,
    );
    this.queueNextWord();
  }

  /** Milliseconds of the filler handed out to be played (whole words). */
  get plannedMs(): number {
    return this.queuedToMs;
  }

  /** Ends the filler after the word being sent; resolves when that word has played by the clock. */
  async finish(): Promise<void> {
    if (!this.stopped && !this.cut && this.pacer.pendingChunks === 0 && !this.lastChunkSent) {
      // The last word was sent whole before the cut: an empty chunk tells the client the filler ended.
      this.send({
        messageId: this.messageId,
        pcm: new Int16Array(0),
        sequenceNumber: undefined,
        stop: true,
        transcriptAlignment: [],
        offsetMs: this.queuedToMs,
        durationMs: 0,
        filler: true,
      });
      this.lastChunkSent = true;
    }
    this.cut = true;
    this.pacer.end();
    await this.pacer.playedOut;
  }

  /** Barge-in: nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.pacer.stop();
  }

  private queueNextWord(): void {
    if (this.cut || this.stopped || this.nextWord >= this.wordEnds.length) return;
    const fromMs = this.queuedToMs;
    const toMs = this.wordEnds[this.nextWord]!;
    this.nextWord += 1;
    const rate = this.filler.sampleRateHz;
    const from = Math.round((fromMs * rate) / 1000);
    const to = Math.min(this.filler.pcm.length, Math.round((toMs * rate) / 1000));
    this.queuedToMs = toMs;
    if (to > from) this.pacer.push(this.filler.pcm.subarray(from, to), rate);
    else this.queueNextWord();
  }
}
