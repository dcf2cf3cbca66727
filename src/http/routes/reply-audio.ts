import type { TtsEngine } from "../../engines/tts/types.js";
import { AsyncQueue } from "../../lib/async-queue.js";
import { speakableCount } from "../../pipeline/stages/sentence-splitter.js";
import { type AudioPiece, renderReplyAudio, type ReplyAudioFormat } from "../../pipeline/voice-output.js";
import type { NdjsonWriter } from "../ndjson.js";
import type { LatencyMarks } from "./latency-report.js";

/**
 * Speaks the reply while the agent writes it: text deltas go in, `new-message` events with base64 audio
 * pieces go out as sentences are synthesized. Every letter and digit of the text is spoken in exactly
 * one piece (the TTS contract), so counting them tells whether more is to come. A piece goes out as soon as it is synthesized when more
 * text is already known to follow; otherwise it waits only until the agent writes more (then
 * `stop: false`) or ends the reply (then it is the last piece, `stop: true`), never for the next
 * sentence's synthesis.
 */
export class ReplyAudioRenderer {
  private readonly text = new AsyncQueue<string>();
  private messageId = "";
  private task: Promise<void> | undefined;
  private speakablePushed = 0;
  private speakableSpoken = 0;
  private textEnded = false;
  private wakeHeldPiece: (() => void) | undefined;

  constructor(
    private readonly writer: Pick<NdjsonWriter, "write">,
    private readonly options: {
      tts: TtsEngine;
      voiceId: string | undefined;
      format: ReplyAudioFormat;
      signal: AbortSignal;
      marks: LatencyMarks;
      /** Told at once when synthesis fails, so the turn can stop before the agent is done. */
      onFailure?: (error: unknown) => void;
    },
  ) {
    options.signal.addEventListener("abort", () => this.wake(), { once: true });
  }

  push(messageId: string, delta: string): void {
    this.messageId = messageId;
    this.task ??= this.startRun();
    this.speakablePushed += speakableCount(delta);
    this.text.push(delta);
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeHeldPiece;
    this.wakeHeldPiece = undefined;
    wake?.();
  }

  private moreTextKnown(): boolean {
    return this.speakablePushed > this.speakableSpoken;
  }

  /** Resolves once it is known whether the piece just synthesized is the last one. */
  private async untilLastKnown(): Promise<void> {
    while (!this.moreTextKnown() && !this.textEnded) {
      this.options.signal.throwIfAborted();
      await new Promise<void>((resolve) => (this.wakeHeldPiece = resolve));
    }
  }

  /** The synthesis task; its failure is reported at once and again by `finish()`. */
  private startRun(): Promise<void> {
    const task = this.run();
    task.catch((error: unknown) => {
      if (!this.options.signal.aborted) this.options.onFailure?.(error);
    });
    return task;
  }

  private async run(): Promise<void> {
    let sequence = 0;
    for await (const piece of renderReplyAudio(this.text, this.options)) {
      this.options.marks.audioPiece();
      this.speakableSpoken += speakableCount(piece.text);
      await this.untilLastKnown();
      await this.send(piece, sequence, !this.moreTextKnown());
      sequence += 1;
    }
  }

  private async send(piece: AudioPiece, sequence: number, stop: boolean): Promise<void> {
    await this.writer.write({
      type: "new-message",
      message: Buffer.from(piece.audio).toString("base64"),
      message_id: this.messageId,
      sequence_number: sequence,
      stop,
      transcript_alignment: piece.alignment,
    });
  }

  /** Ends the text and waits until every audio piece has been written. */
  async finish(): Promise<void> {
    this.textEnded = true;
    this.text.close();
    this.wake();
    await this.task;
  }

  /** Stops synthesis after a failure elsewhere. */
  abandon(error: unknown): void {
    this.textEnded = true;
    this.text.fail(error);
    this.wake();
  }
}
