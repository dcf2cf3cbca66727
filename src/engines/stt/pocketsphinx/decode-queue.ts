/** A piece of work for a worker's decoder: some of a session's queued audio, or its end. */
export type DecodeWork =
  { type: "audio"; session: number; samples: Int16Array } | { type: "finish"; session: number };

interface Queued {
  pieces: Int16Array[];
  samples: number;
  ended: boolean;
}

/**
 * The audio that a worker's sessions have sent and the decoder has not worked through yet, and the order
 * in which it is decoded. A session whose audio has ended comes first (in the order their ends arrived):
 * its user is waiting for the transcript, while the others are still speaking and only their partial
 * transcripts wait. The others take turns, at most `maxPieceSamples` each, so a long upload does not hold
 * up a live stream. Every queued sample is accounted for: taken as work, or returned by `remove`.
 *
 * The queue is bounded by its senders: each session keeps a bounded amount of audio in flight (see
 * PocketSphinxEngine), so at most that much per session waits here.
 */
export class DecodeQueue {
  private readonly sessions = new Map<number, Queued>();
  /** Sessions whose end has arrived, in that order. */
  private readonly ending: number[] = [];
  /** Sessions taking turns, the next one first. */
  private readonly turns: number[] = [];

  constructor(private readonly maxPieceSamples: number) {}

  /** Queues `samples` after the session's earlier audio. */
  addAudio(session: number, samples: Int16Array): void {
    const queued = this.queuedFor(session);
    if (queued.ended) throw new Error(`audio after the end of session ${session}`);
    if (samples.length === 0) return;
    queued.pieces.push(samples);
    queued.samples += samples.length;
    if (queued.samples === samples.length) this.turns.push(session);
  }

  /** The session's audio has ended: the rest of it, then its finish, come before other sessions' audio. */
  end(session: number): void {
    const queued = this.queuedFor(session);
    if (queued.ended) return;
    queued.ended = true;
    this.ending.push(session);
    removeFrom(this.turns, session);
  }

  /** Forgets a session; returns how many of its samples were still queued (never decoded). */
  remove(session: number): number {
    const queued = this.sessions.get(session);
    if (queued === undefined) return 0;
    this.sessions.delete(session);
    removeFrom(this.ending, session);
    removeFrom(this.turns, session);
    return queued.samples;
  }

  /** Whether any work is waiting. */
  get isEmpty(): boolean {
    return this.ending.length === 0 && this.turns.length === 0;
  }

  /** The next piece of work, taken off the queue; undefined when there is none. */
  take(): DecodeWork | undefined {
    const session = this.ending[0] ?? this.turns.shift();
    if (session === undefined) return undefined;
    const queued = this.sessions.get(session)!;
    if (queued.samples === 0) {
      // Only an ended session is here without audio: its turn is its finish.
      this.ending.shift();
      this.sessions.delete(session);
      return { type: "finish", session };
    }
    const samples = this.takeSamples(queued);
    if (!queued.ended && queued.samples > 0) this.turns.push(session);
    return { type: "audio", session, samples };
  }

  private queuedFor(session: number): Queued {
    let queued = this.sessions.get(session);
    if (queued === undefined) {
      queued = { pieces: [], samples: 0, ended: false };
      this.sessions.set(session, queued);
    }
    return queued;
  }

  /** Up to `maxPieceSamples` of the session's oldest audio, in one array. */
  private takeSamples(queued: Queued): Int16Array {
    const first = queued.pieces[0]!;
    if (first.length >= this.maxPieceSamples || queued.pieces.length === 1) {
      const taken = first.subarray(0, this.maxPieceSamples);
      if (taken.length === first.length) queued.pieces.shift();
      else queued.pieces[0] = first.subarray(taken.length);
      queued.samples -= taken.length;
      return taken;
    }
    const size = Math.min(this.maxPieceSamples, queued.samples);
    const joined = new Int16Array(size);
    let filled = 0;
    while (filled < size) {
      const piece = queued.pieces[0]!;
      const part = piece.subarray(0, size - filled);
      joined.set(part, filled);
      filled += part.length;
      if (part.length === piece.length) queued.pieces.shift();
      else queued.pieces[0] = piece.subarray(part.length);
    }
    queued.samples -= size;
    return joined;
  }
}

function removeFrom(list: number[], session: number): void {
  const index = list.indexOf(session);
  if (index >= 0) list.splice(index, 1);
}
