import type { Delivery } from "../conversation/service.js";
import type { Utterance as SpokenPiece } from "../domain/turn-events.js";
import type { AgentAudioOutput } from "./agent-audio.js";
import { AudioPacer } from "./audio-pacer.js";
import { alignmentWithin, heardPrefix, totalMs } from "./heard-prefix.js";
import type { Outbox } from "./outbox.js";

/** What the service tells the transport when a reply is produced and waits to reach the user. */
export interface ProducedReply {
  interactionId: string;
  messageId: string;
  fullMessage: string;
}

/**
 * One reply on its way out: its controller (child of the connection's), its paced audio, and what is
 * needed to cut it where the user stopped listening. Audio chunks leave through the session's
 * `AgentAudioOutput`; an interruption stops them at once.
 */
export class ReplyPlayback {
  /** Aborting it cancels the reply's remaining work (agent, synthesis, queued jobs); nothing is kept. */
  readonly controller = new AbortController();
  /**
   * Aborting it also stops the agent and the synthesis, but the turn goes on to its delivery with the
   * text produced so far: used when the user interrupts a reply still being produced after hearing some.
   */
  readonly cutShort = new AbortController();
  messageId: string | undefined;
  interactionId: string | undefined;
  /** Set once production has ended and the reply waits to play out. */
  production: "running" | "delivering" = "running";
  /** External events inserted before this turn's user message (carried on when it rolls back). */
  externalEvents: { text: string; timestamp: string }[] = [];
  /** The client's last playback report for this reply's message. */
  playedMs: number | undefined;
  /** Removes the turn's listener from the connection's signal once the turn is over. */
  detach: () => void = () => undefined;
  private pacer: AudioPacer | undefined;
  private readonly pieces: SpokenPiece[] = [];
  /** Audio chunks of this reply sent so far (their sequence numbers). */
  private audioChunksSent = 0;
  /** Where the user interrupted the reply's audio (ms of it heard), once they did. */
  private interruptedAtMs: number | undefined;
  private resolveInterrupted: (heardMs: number) => void = () => undefined;
  private readonly interrupted = new Promise<number>((resolve) => (this.resolveInterrupted = resolve));

  constructor(
    /** The user's words of this turn, carried into the next turn when the reply is rolled back. */
    public userText: string,
    private readonly outbox: Outbox,
    private readonly audio: AgentAudioOutput,
  ) {
    // A cancelled reply (the connection ended, a fault) stops its audio and its wait for playback.
    this.controller.signal.addEventListener("abort", () => this.pacer?.stop(), { once: true });
  }

  /** True while some of the reply's audio is produced and not yet played out or stopped. */
  get hasAudio(): boolean {
    return this.pacer !== undefined;
  }

  /** Queues one spoken piece of the reply; the pacer sends it in chunks. */
  addAudio(messageId: string, piece: SpokenPiece): void {
    this.messageId = messageId;
    this.pieces.push(piece);
    this.pacer ??= new AudioPacer((chunk) => {
      const sequence = this.audioChunksSent;
      this.audioChunksSent += 1;
      const isLast =
        this.production === "delivering" && chunk.offsetMs + chunk.durationMs >= totalMs(this.pieces) - 0.5;
      this.audio
        .send({
          messageId: this.messageId,
          pcm: chunk.pcm,
          sequenceNumber: sequence,
          stop: isLast,
          transcriptAlignment: alignmentWithin(
            this.pieces,
            chunk.offsetMs,
            chunk.offsetMs + chunk.durationMs,
          ),
          offsetMs: chunk.offsetMs,
          durationMs: chunk.durationMs,
          filler: false,
        })
        .catch(() => undefined);
    });
    this.pacer.push(piece.pcm, piece.sampleRateHz);
  }

  /** Milliseconds of the reply played by the pacing clock (null when it has no audio). */
  clockHeardMs(): number | null {
    return this.pacer === undefined ? null : this.pacer.heardMs();
  }

  /**
   * The service's `delivered` hook: waits until the reply's audio has played out (all of it is kept) or
   * the user interrupts it (the heard prefix is kept, or nothing: the turn is rolled back).
   */
  async delivered(done: ProducedReply): Promise<Delivery> {
    this.production = "delivering";
    this.interactionId = done.interactionId;
    this.messageId = done.messageId;
    if (this.pacer === undefined) return { kind: "all" };
    if (this.interruptedAtMs === undefined) {
      this.pacer.end();
      // Every chunk went out before the reply was known to be complete: a last, empty one says so.
      if (this.pacer.pendingChunks === 0) this.sendLastMarker();
      await Promise.race([this.pacer.playedOut, this.interrupted]);
    }
    const heardMs = this.interruptedAtMs;
    if (heardMs === undefined) return { kind: "all" };
    const heardText = heardPrefix(done.fullMessage, this.pieces, heardMs);
    this.outbox.send("server.agent-interrupted", {
      interaction_id: done.interactionId,
      message_id: done.messageId,
      heard_ms: Math.round(heardMs),
      heard_text: heardText,
      rolled_back: heardText === "",
    });
    return heardText === "" ? { kind: "none" } : { kind: "prefix", text: heardText };
  }

  /**
   * Barge-in: stops the reply's audio at once. A reply still being produced is cut short where the user
   * stopped listening (its production stops, the heard part is kept), or cancelled and rolled back when
   * none of it was heard. A produced reply is cut where heard.
   */
  interrupt(): void {
    if (this.interruptedAtMs !== undefined) return;
    const clockMs = this.pacer?.stop() ?? 0;
    const heardMs = this.playedMs ?? clockMs;
    const reason = new DOMException("The user interrupted", "AbortError");
    if (this.production === "running") {
      if (heardMs <= 0) {
        this.controller.abort(reason);
        return;
      }
      this.interruptedAtMs = heardMs;
      this.resolveInterrupted(heardMs);
      this.cutShort.abort(reason);
      return;
    }
    if (this.pacer === undefined) return;
    this.interruptedAtMs = heardMs;
    this.resolveInterrupted(heardMs);
  }

  /** Stops the audio without a decision (the turn failed or the connection ended). */
  stopAudio(): void {
    this.pacer?.stop();
  }

  /** True while some of the reply's audio is unsent or unplayed by the pacing clock. */
  get speaking(): boolean {
    const pacer = this.pacer;
    return pacer !== undefined && (pacer.pendingChunks > 0 || pacer.heardMs() < pacer.sentAudioMs);
  }

  /** Holds the reply's unsent audio (a possible interruption is being judged). */
  pause(): void {
    this.pacer?.hold();
  }

  /** Sends the held audio on from where it stopped. */
  resume(): void {
    this.pacer?.release();
  }

  private sendLastMarker(): void {
    this.audio
      .send({
        messageId: this.messageId,
        pcm: new Int16Array(0),
        sequenceNumber: this.audioChunksSent,
        stop: true,
        transcriptAlignment: [],
        offsetMs: this.pacer?.sentAudioMs ?? 0,
        durationMs: 0,
        filler: false,
      })
      .catch(() => undefined);
  }
}
