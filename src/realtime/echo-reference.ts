/** Sample rate of the agent's audio and of the session's input. */
const RATE_HZ = 16_000;
/** Agent audio kept for matching its echo. */
const KEEP_MS = 4000;

interface PlayedSegment {
  /** Server clock (`performance.now()`) when the segment's first sample plays at the client. */
  startMs: number;
  samples: Int16Array;
}

/**
 * What the client is playing of the agent's audio, on the server's clock: each sent chunk plays as soon
 * as it arrives or right after the audio before it (the client's playback queue), until the client is
 * told to flush. The echo gate matches the input against it.
 */
export class EchoReference {
  private segments: PlayedSegment[] = [];
  private playEndMs = 0;

  /** A chunk of agent audio (16 kHz mono) sent at `sentAtMs`. */
  record(samples: Int16Array, sentAtMs: number): void {
    if (samples.length === 0) return;
    const startMs = Math.max(sentAtMs, this.playEndMs);
    this.segments.push({ startMs, samples });
    this.playEndMs = startMs + (samples.length * 1000) / RATE_HZ;
    const keepFrom = sentAtMs - KEEP_MS;
    while (this.segments.length > 0 && this.endOf(this.segments[0]!) < keepFrom) this.segments.shift();
  }

  /** The client flushed its playback at `atMs`: nothing sent so far plays after it. */
  flush(atMs: number): void {
    const kept: PlayedSegment[] = [];
    for (const segment of this.segments) {
      if (segment.startMs >= atMs) continue;
      const playedSamples = Math.floor(((atMs - segment.startMs) * RATE_HZ) / 1000);
      kept.push(
        playedSamples >= segment.samples.length
          ? segment
          : { startMs: segment.startMs, samples: segment.samples.subarray(0, playedSamples) },
      );
    }
    this.segments = kept;
    this.playEndMs = Math.min(this.playEndMs, atMs);
  }

  /** True when some agent audio plays between `fromMs` and `toMs`. */
  playsBetween(fromMs: number, toMs: number): boolean {
    return this.segments.some((s) => s.startMs < toMs && this.endOf(s) > fromMs);
  }

  /**
   * `count` samples of what plays from `startMs` on (fractional sample positions are rounded), as
   * floats in [-1, 1]; silence where nothing plays.
   */
  samplesFrom(startMs: number, count: number): Float32Array {
    const out = new Float32Array(count);
    const startSample = Math.round((startMs * RATE_HZ) / 1000);
    for (const segment of this.segments) {
      const segmentStart = Math.round((segment.startMs * RATE_HZ) / 1000);
      const from = Math.max(startSample, segmentStart);
      const to = Math.min(startSample + count, segmentStart + segment.samples.length);
      for (let n = from; n < to; n += 1) out[n - startSample] = segment.samples[n - segmentStart]! / 32768;
    }
    return out;
  }

  private endOf(segment: PlayedSegment): number {
    return segment.startMs + (segment.samples.length * 1000) / RATE_HZ;
  }
}
