import type WebSocket from "ws";
import type { SpokenClip } from "./speech.js";

/** Each binary frame holds this much audio (320 samples at 16 kHz). */
export const FRAME_MS = 20;
const FRAME_SAMPLES = 16 * FRAME_MS;
/** A frame sent more than this after its audio ended counts as late. */
export const LATE_AFTER_MS = 20;

/** When the words of a spoken clip went out. */
export interface SpeechTimes {
  /** `performance.now()` when the clip's first frame was sent. */
  clipStartAt: number;
  /** `performance.now()` when the frame holding the first speech sample was sent. */
  speechStartAt: number;
  /** `performance.now()` when the frame holding the last speech sample was sent. */
  speechEndAt: number;
  /** Where the last speech sample lies in the microphone's stream (ms from its first frame). */
  speechEndStreamMs: number;
}

interface Speaking {
  clip: SpokenClip;
  offset: number;
  /** Stream time of the clip's first sample (ms), set when its first frame goes out. */
  startStreamMs: number | undefined;
  clipStartAt: number | undefined;
  speechStartAt: number | undefined;
  speechEndAt: number | undefined;
  resolve: (times: SpeechTimes) => void;
  reject: (error: Error) => void;
}

/**
 * A live microphone on a socket: from `start()` it sends one 20 ms PCM16 frame each 20 ms, on a fixed
 * schedule (frame k is due when its audio ends, k + 1 frames after the start), digital silence unless a
 * clip is being spoken. Frames that fall behind are sent at once to catch up and counted as late.
 */
export class Microphone {
  framesSent = 0;
  lateFrames = 0;
  maxLatenessMs = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private speaking: Speaking | undefined;
  private readonly silence = Buffer.alloc(FRAME_SAMPLES * 2);

  constructor(private readonly socket: WebSocket) {}

  start(): void {
    this.startedAt = performance.now();
    this.schedule();
  }

  /** Stops sending; a clip being spoken fails. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.speaking?.reject(new Error("the microphone stopped mid-clip"));
    this.speaking = undefined;
  }

  /** Speaks `clip` in place of silence; resolves once its last frame has gone out. One clip at a time. */
  say(clip: SpokenClip): Promise<SpeechTimes> {
    if (this.stopped) return Promise.reject(new Error("the microphone is stopped"));
    if (this.speaking !== undefined) return Promise.reject(new Error("already speaking"));
    return new Promise((resolve, reject) => {
      this.speaking = {
        clip,
        offset: 0,
        startStreamMs: undefined,
        clipStartAt: undefined,
        speechStartAt: undefined,
        speechEndAt: undefined,
        resolve,
        reject,
      };
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    const dueAt = this.startedAt + (this.framesSent + 1) * FRAME_MS;
    this.timer = setTimeout(() => this.tick(), Math.max(0, dueAt - performance.now()));
  }

  private tick(): void {
    const now = performance.now();
    for (;;) {
      const dueAt = this.startedAt + (this.framesSent + 1) * FRAME_MS;
      if (dueAt > now || this.stopped) break;
      const latenessMs = now - dueAt;
      if (latenessMs > LATE_AFTER_MS) this.lateFrames += 1;
      this.maxLatenessMs = Math.max(this.maxLatenessMs, latenessMs);
      if (this.socket.readyState !== this.socket.OPEN) {
        this.stop();
        return;
      }
      this.socket.send(this.nextFrame(now));
      this.framesSent += 1;
    }
    this.schedule();
  }

  private nextFrame(now: number): Buffer {
    const speaking = this.speaking;
    if (speaking === undefined) return this.silence;
    const { clip, offset } = speaking;
    const end = offset + FRAME_SAMPLES;
    speaking.startStreamMs ??= this.framesSent * FRAME_MS;
    speaking.clipStartAt ??= now;
    if (speaking.speechStartAt === undefined && end > clip.speechStartSample) speaking.speechStartAt = now;
    if (speaking.speechEndAt === undefined && end >= clip.speechEndSample) speaking.speechEndAt = now;
    const frame = Buffer.alloc(FRAME_SAMPLES * 2);
    const part = clip.samples.subarray(offset, Math.min(end, clip.samples.length));
    Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(frame);
    speaking.offset = end;
    if (end >= clip.samples.length) {
      this.speaking = undefined;
      speaking.resolve({
        clipStartAt: speaking.clipStartAt,
        speechStartAt: speaking.speechStartAt!,
        speechEndAt: speaking.speechEndAt!,
        speechEndStreamMs: speaking.startStreamMs + clip.speechEndSample / 16,
      });
    }
    return frame;
  }
}
