/** The agent's audio goes out this far ahead of playback: little to flush when the user interrupts. */
export const AHEAD_OF_PLAYBACK_MS = 500;
/** Each outgoing chunk holds at most this much audio. */
export const CHUNK_MS = 200;

export interface PacedChunk {
  /** 16 kHz mono PCM16. */
  pcm: Int16Array;
  /** Where the chunk starts in the reply's audio. */
  offsetMs: number;
  durationMs: number;
}

/**
 * Paces one reply's audio: the first 500 ms at once, then real time with at most 500 ms sent ahead of
 * the playback clock. The clock starts with the first chunk and pauses while the queue runs dry (the
 * client then has nothing to play). `heardMs()` is the pacing clock's playback position: what the user
 * can have heard, unless the client reports better.
 */
export class AudioPacer {
  private readonly queue: PacedChunk[] = [];
  private anchorAt: number | undefined;
  private sentMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private stopped = false;
  private held = false;
  private drainedResolve: (() => void) | undefined;
  /** Resolves when every chunk of an ended reply has played out by the clock, or the pacer stops. */
  readonly playedOut: Promise<void>;

  /**
   * @param aheadMs How far ahead of the playback clock audio is sent (default AHEAD_OF_PLAYBACK_MS);
   *   less makes a stop bite sooner, at the price of less cover for network jitter.
   */
  constructor(
    private readonly send: (chunk: PacedChunk) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly aheadMs = AHEAD_OF_PLAYBACK_MS,
  ) {
    this.playedOut = new Promise((resolve) => (this.drainedResolve = resolve));
  }

  /** Queues a spoken piece, cut into chunks of at most CHUNK_MS. Bounded by the reply's own length. */
  push(pcm: Int16Array, sampleRateHz: number): void {
    if (this.stopped) return;
    const chunkSamples = Math.round((sampleRateHz * CHUNK_MS) / 1000);
    let offsetMs = this.queuedEndMs();
    for (let start = 0; start < pcm.length; start += chunkSamples) {
      const piece = pcm.subarray(start, Math.min(pcm.length, start + chunkSamples));
      const durationMs = (piece.length * 1000) / sampleRateHz;
      this.queue.push({ pcm: piece, offsetMs, durationMs });
      offsetMs += durationMs;
    }
    this.pump();
  }

  /** No more audio follows; `playedOut` resolves once the clock passes the last chunk. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  /**
   * Holds the audio not yet sent (a possible interruption is being judged): what was sent plays out, then
   * the clock waits, as when the queue runs dry. `release()` sends on from there.
   */
  hold(): void {
    this.held = true;
    clearTimeout(this.timer);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.pump();
  }

  /** Stops at once (barge-in): nothing more is sent. Returns the playback position. */
  stop(): number {
    const heard = this.heardMs();
    this.stopped = true;
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.drainedResolve?.();
    return heard;
  }

  /** Milliseconds of this reply's audio played by the pacing clock. */
  heardMs(): number {
    if (this.anchorAt === undefined) return 0;
    return Math.max(0, Math.min(this.sentMs, this.now() - this.anchorAt));
  }

  /** Chunks queued and not sent yet. */
  get pendingChunks(): number {
    return this.queue.length;
  }

  /** Milliseconds of audio sent so far. */
  get sentAudioMs(): number {
    return this.sentMs;
  }

  private queuedEndMs(): number {
    const last = this.queue.at(-1);
    return last === undefined ? this.sentMs : last.offsetMs + last.durationMs;
  }

  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const now = this.now();
    // An empty queue paused playback: the clock resumes where the sent audio ends.
    if (this.anchorAt !== undefined && now - this.anchorAt > this.sentMs) this.anchorAt = now - this.sentMs;
    for (;;) {
      const next = this.queue[0];
      if (next === undefined) break;
      this.anchorAt ??= now;
      const playedMs = now - this.anchorAt;
      if (this.held || next.offsetMs > playedMs + this.aheadMs) {
        if (!this.held) this.timer = setTimeout(() => this.pump(), next.offsetMs - playedMs - this.aheadMs);
        return;
      }
      this.queue.shift();
      this.sentMs = next.offsetMs + next.durationMs;
      this.send(next);
    }
    if (this.ended && !this.held) {
      const remainingMs = this.anchorAt === undefined ? 0 : this.sentMs - (now - this.anchorAt);
      if (remainingMs <= 0) this.drainedResolve?.();
      else this.timer = setTimeout(() => this.pump(), remainingMs);
    }
  }
}
