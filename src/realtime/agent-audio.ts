import { encodeMp3Piece, encodePcm16 } from "../engines/codec/encoders.js";
import type { Outbox } from "./outbox.js";
import { SESSION_RATE_HZ } from "./user-audio.js";

/** One chunk of agent audio as it goes to the client. */
export interface AgentAudioChunk {
  messageId: string | undefined;
  /** 16 kHz mono PCM16. */
  pcm: Int16Array;
  /** The chunk's index in its message (absent for fillers, which have no place in the reply). */
  sequenceNumber: number | undefined;
  /** True for the reply's last chunk. */
  stop: boolean;
  transcriptAlignment: [number, string][];
  /** Where the chunk starts in its message's audio. */
  offsetMs: number;
  durationMs: number;
  filler: boolean;
}

/**
 * The one place agent audio leaves the server: every `server.new-message` that carries audio (reply
 * chunks, the reply's closing empty chunk, and fillers) is encoded and sent here, in the session's
 * output format. Whatever must know what the user hears from the agent (echo rejection, fillers)
 * hooks in here.
 */
export class AgentAudioOutput {
  constructor(
    private readonly outbox: Outbox,
    private readonly format: "pcm" | "mp3",
    /** Told of every chunk's audio as it is sent (the echo reference). */
    private readonly onSent: (pcm: Int16Array) => void = () => undefined,
  ) {}

  /** Encodes and sends one chunk. Chunks are sent in call order (encoding MP3 is synchronous work). */
  async send(chunk: AgentAudioChunk): Promise<void> {
    this.onSent(chunk.pcm);
    const bytes =
      chunk.pcm.length === 0
        ? new Uint8Array(0)
        : this.format === "mp3"
          ? await encodeMp3Piece(chunk.pcm, SESSION_RATE_HZ)
          : encodePcm16(chunk.pcm);
    this.outbox.send("server.new-message", {
      message_id: chunk.messageId,
      message: Buffer.from(bytes).toString("base64"),
      ...(chunk.sequenceNumber === undefined ? {} : { sequence_number: chunk.sequenceNumber }),
      stop: chunk.stop,
      transcript_alignment: chunk.transcriptAlignment,
      audio_offset_ms: Math.round(chunk.offsetMs),
      duration_ms: Math.round(chunk.durationMs),
      filler: chunk.filler,
    });
  }
}
