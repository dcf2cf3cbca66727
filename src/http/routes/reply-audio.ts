import type { TtsEngine } from "../../engines/tts/types.js";
import { AsyncQueue } from "../../lib/async-queue.js";
import { type AudioPiece, renderReplyAudio, type ReplyAudioFormat } from "../../pipeline/voice-output.js";
import type { NdjsonWriter } from "../ndjson.js";
import type { LatencyMarks } from "./latency-report.js";

/**
 * Speaks the reply while the agent writes it: text deltas go in, `new-message` events with base64 audio
 * pieces go out as sentences are synthesized. One piece is held back so the last can carry `stop: true`.
 */
export class ReplyAudioRenderer {
  private readonly text = new AsyncQueue<string>();
  private messageId = "";
  private task: Promise<void> | undefined;

  constructor(
    private readonly writer: NdjsonWriter,
    private readonly options: {
      tts: TtsEngine;
      voiceId: string | undefined;
      format: ReplyAudioFormat;
      signal: AbortSignal;
      marks: LatencyMarks;
    },
  ) {}

  push(messageId: string, delta: string): void {
    this.messageId = messageId;
    this.task ??= this.run();
    this.text.push(delta);
  }

  private async run(): Promise<void> {
    let held: AudioPiece | undefined;
    let sequence = 0;
    const send = async (piece: AudioPiece, stop: boolean) => {
      await this.writer.write({
        type: "new-message",
        message: Buffer.from(piece.audio).toString("base64"),
        message_id: this.messageId,
        sequence_number: sequence,
        stop,
        transcript_alignment: piece.alignment,
      });
      sequence += 1;
    };
    for await (const piece of renderReplyAudio(this.text, this.options)) {
      this.options.marks.audioPiece();
      if (held !== undefined) await send(held, false);
      held = piece;
    }
    if (held !== undefined) await send(held, true);
  }

  /** Ends the text and waits until every audio piece has been written. */
  async finish(): Promise<void> {
    this.text.close();
    await this.task;
  }

  /** Stops synthesis after a failure elsewhere. */
  abandon(error: unknown): void {
    this.text.fail(error);
    this.task?.catch(() => undefined);
  }
}
