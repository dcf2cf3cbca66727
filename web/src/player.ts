/** Plays agent audio as it arrives (Web Audio), one queue for voice-note replies and live mode. */

/** One scheduled piece of audio; the page keeps them in `window.parleyPlayback` for tests and debugging. */
export interface PlaybackEntry {
  /** The agent message the audio belongs to (or `filler-…` for a filler without one). */
  messageId: string;
  filler: boolean;
  /** Where the piece came from: a voice-note reply over HTTP or a live (WebSocket) chunk. */
  source: "http" | "live";
  /** When the piece starts playing, in epoch milliseconds. */
  startsAtEpochMs: number;
  durationMs: number;
  /** How much of the piece played when it was flushed; `null` while not flushed. */
  playedMsAtFlush: number | null;
}

interface ScheduledPiece {
  entry: PlaybackEntry;
  node: AudioBufferSourceNode;
  startS: number;
  durationS: number;
}

declare global {
  interface Window {
    parleyPlayback: PlaybackEntry[];
  }
}

/** Schedules pieces back to back on one AudioContext and knows how much of each message has played. */
export class Player {
  private nextStartS = 0;
  private pieces: ScheduledPiece[] = [];
  /** Milliseconds of each message whose pieces played to their end. */
  private readonly endedMs = new Map<string, number>();

  constructor(private readonly context: AudioContext) {
    window.parleyPlayback ??= [];
  }

  /** Queues `samples` (mono, `sampleRateHz`) after whatever is already queued. */
  enqueue(
    messageId: string,
    samples: Float32Array<ArrayBuffer>,
    sampleRateHz: number,
    options: { filler: boolean; source: "http" | "live" },
  ): void {
    if (samples.length === 0) return;
    const buffer = this.context.createBuffer(1, samples.length, sampleRateHz);
    buffer.copyToChannel(samples, 0);
    const node = this.context.createBufferSource();
    node.buffer = buffer;
    node.connect(this.context.destination);
    const now = this.context.currentTime;
    const startS = Math.max(now + 0.03, this.nextStartS);
    node.start(startS);
    this.nextStartS = startS + buffer.duration;
    const entry: PlaybackEntry = {
      messageId,
      filler: options.filler,
      source: options.source,
      startsAtEpochMs: Date.now() + (startS - now) * 1000,
      durationMs: Math.round(buffer.duration * 1000),
      playedMsAtFlush: null,
    };
    window.parleyPlayback.push(entry);
    const piece = { entry, node, startS, durationS: buffer.duration };
    this.pieces.push(piece);
    node.onended = () => {
      const index = this.pieces.indexOf(piece);
      if (index >= 0) this.pieces.splice(index, 1);
      this.endedMs.set(messageId, (this.endedMs.get(messageId) ?? 0) + piece.durationS * 1000);
    };
  }

  /** Milliseconds of `messageId` played so far. */
  playedMs(messageId: string): number {
    const now = this.context.currentTime;
    let played = this.endedMs.get(messageId) ?? 0;
    for (const piece of this.pieces) {
      if (piece.entry.messageId !== messageId) continue;
      played += Math.max(0, Math.min(piece.durationS, now - piece.startS)) * 1000;
    }
    return Math.round(played);
  }

  /** Whether any audio of `messageId` is still queued or playing. */
  isPlaying(messageId: string): boolean {
    return this.pieces.some((piece) => piece.entry.messageId === messageId);
  }

  /** Stops and drops the unplayed audio (of one message, or all). */
  flush(messageId?: string): void {
    const now = this.context.currentTime;
    for (const piece of [...this.pieces]) {
      if (messageId !== undefined && piece.entry.messageId !== messageId) continue;
      const playedS = Math.max(0, Math.min(piece.durationS, now - piece.startS));
      piece.entry.playedMsAtFlush = Math.round(playedS * 1000);
      const id = piece.entry.messageId;
      this.endedMs.set(id, (this.endedMs.get(id) ?? 0) + playedS * 1000);
      piece.node.onended = null;
      piece.node.stop();
      piece.node.disconnect();
      this.pieces.splice(this.pieces.indexOf(piece), 1);
    }
    const last = this.pieces.at(-1);
    this.nextStartS = last === undefined ? now : last.startS + last.durationS;
  }
}
