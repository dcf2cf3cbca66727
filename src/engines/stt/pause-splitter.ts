/** 10 ms frames at 16 kHz. */
const FRAME_SAMPLES = 160;
const FRAME_MS = 10;

/**
 * Quiet this long, followed by sound, separates two phrases (ms). Read speech has few longer pauses:
 * in the LibriVox test clips the gaps between word groups are 120–180 ms.
 */
export const PAUSE_MS = 120;
/**
 * A phrase has at least this much sound before a pause can end it (ms): shorter ones are not worth a
 * recognizer of their own. Half a second lets a 2–3 s note that pauses once after its first words use
 * both recognizer workers (LibriVox clip 0880, 3 s: final result 400 → 240 ms after the upload) with the
 * same words on the LibriVox clips, clean and with white noise added.
 */
const MIN_SOUND_MS = 500;
/**
 * The end of the pause that the next phrase also starts with (ms): PocketSphinx's detector takes up to
 * 200 ms before the first speech it hears into the utterance; shorter than a word, so no word is heard
 * twice.
 */
const LEAD_IN_MS = 100;
/** A frame is quiet below the loudest frame so far minus this (dB)... */
const BELOW_PEAK_DB = 20;
/** ...or below the quietest frame so far plus this (dB), when that one is well below the loudest. */
const ABOVE_FLOOR_DB = 6;

/** What the splitter says about the audio it was given. */
export type SplitEvent =
  /** Audio for the current phrase (a new phrase starts with its first `audio` after `end`). */
  | { type: "audio"; samples: Int16Array; startSample: number }
  /** The current phrase is over. */
  | { type: "end" };

/**
 * Splits a 16 kHz stream into phrases at pauses, as the audio arrives, so that phrases can be
 * recognized at the same time. A phrase gets every sample as it comes, the pause after it included;
 * when sound follows PAUSE_MS of quiet (frames well below the loudest frame so far) after at least
 * MIN_SOUND_MS of sound, the phrase ends and the next starts with the last LEAD_IN_MS of the pause.
 * Nothing is dropped, and a pause at the end stays with the last phrase. The decision is a function of
 * the samples alone (no timing), so the same audio always splits the same way; a stream without such
 * pauses is one phrase, exactly as given. Every `audio` event says where its samples lie in the stream.
 */
export class PauseSplitter {
  private pending = new Int16Array(0);
  /** Stream position of `pending[0]`. */
  private pendingStart = 0;
  private peakDb = Number.NEGATIVE_INFINITY;
  private floorDb = Number.POSITIVE_INFINITY;
  private soundFramesInPhrase = 0;
  /** The current run of quiet frames (the last LEAD_IN_MS of them), and its length. */
  private quiet: { samples: Int16Array; startSample: number }[] = [];
  private quietFrames = 0;

  /** Feeds samples; returns what they complete. */
  push(samples: Int16Array): SplitEvent[] {
    const events: SplitEvent[] = [];
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    let offset = 0;
    for (; offset + FRAME_SAMPLES <= joined.length; offset += FRAME_SAMPLES) {
      this.frame(joined.slice(offset, offset + FRAME_SAMPLES), this.pendingStart + offset, events);
    }
    this.pending = joined.slice(offset);
    this.pendingStart += offset;
    return merged(events);
  }

  /** Ends the stream: the rest of the audio goes to the last phrase, which ends. */
  end(): SplitEvent[] {
    const events: SplitEvent[] = [];
    if (this.pending.length > 0)
      events.push({ type: "audio", samples: this.pending, startSample: this.pendingStart });
    if (this.pendingStart > 0 || this.pending.length > 0) events.push({ type: "end" });
    this.pending = new Int16Array(0);
    return merged(events);
  }

  private frame(samples: Int16Array, startSample: number, events: SplitEvent[]): void {
    let energy = 0;
    for (const sample of samples) energy += sample * sample;
    const levelDb = 10 * Math.log10(energy / samples.length + 1);
    this.peakDb = Math.max(this.peakDb, levelDb);
    this.floorDb = Math.min(this.floorDb, levelDb);
    // Near the quietest frame counts as quiet only once there is a quietest frame well below the loudest.
    const quiet =
      levelDb < this.peakDb - BELOW_PEAK_DB ||
      (levelDb < this.floorDb + ABOVE_FLOOR_DB && this.peakDb - this.floorDb > BELOW_PEAK_DB);
    if (quiet) {
      this.quietFrames += 1;
      this.quiet.push({ samples, startSample });
      if (this.quiet.length > LEAD_IN_MS / FRAME_MS) this.quiet.shift();
      events.push({ type: "audio", samples, startSample });
      return;
    }
    if (this.quietFrames * FRAME_MS >= PAUSE_MS && this.soundFramesInPhrase * FRAME_MS >= MIN_SOUND_MS) {
      events.push({ type: "end" });
      events.push(...this.quiet.map((frame) => ({ type: "audio" as const, ...frame })));
      this.soundFramesInPhrase = 0;
    }
    this.quiet = [];
    this.quietFrames = 0;
    this.soundFramesInPhrase += 1;
    events.push({ type: "audio", samples, startSample });
  }
}

/** Adjacent audio events as one. */
function merged(events: SplitEvent[]): SplitEvent[] {
  const result: SplitEvent[] = [];
  let run: Extract<SplitEvent, { type: "audio" }>[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const samples = new Int16Array(run.reduce((n, e) => n + e.samples.length, 0));
    let offset = 0;
    for (const event of run) {
      samples.set(event.samples, offset);
      offset += event.samples.length;
    }
    result.push({ type: "audio", samples, startSample: run[0]!.startSample });
    run = [];
  };
  for (const event of events) {
    const last = run.at(-1);
    if (
      event.type === "audio" &&
      (last === undefined || last.startSample + last.samples.length === event.startSample)
    ) {
      run.push(event);
      continue;
    }
    flush();
    if (event.type === "audio") run.push(event);
    else result.push(event);
  }
  flush();
  return result;
}
