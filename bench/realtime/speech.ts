import { librivoxClips, readPcm16Wav, speechExtentMs } from "../../test/helpers/speech-corpus.js";

/** A recorded utterance to speak into a session, with where its speech lies. */
export interface SpokenClip {
  id: string;
  /** 16 kHz mono PCM16, as recorded (with its own quiet before and after the words). */
  samples: Int16Array;
  /** Index of the first sample of speech. */
  speechStartSample: number;
  /** Index one past the last sample of speech; the rest is the recording's trailing quiet. */
  speechEndSample: number;
}

/** The LibriVox clips of Debian `pocketsphinx-testdata` (3–7 s of read prose each). */
export function spokenClips(): SpokenClip[] {
  return librivoxClips().map((clip) => {
    const samples = readPcm16Wav(clip.wavPath).samples;
    const { startMs, endMs } = speechExtentMs(samples);
    return { id: clip.id, samples, speechStartSample: startMs * 16, speechEndSample: endMs * 16 };
  });
}
