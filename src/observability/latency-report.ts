import type { TurnEvent } from "../domain/turn-events.js";

/**
 * The optional `latency-report` event (query `include_latency_report=true`), built by watching a turn's
 * events. All figures are milliseconds from the origin: the last byte of a voice message (or the end of
 * the user's speech in real time), or the arrival of a text request. Time to first audio counts a filler;
 * time to first answer audio does not, so a filler cannot hide a slow answer.
 */
export class LatencyReport {
  private origin: number;
  private transcriptAt: number | undefined;
  private agentStartAt: number | undefined;
  private agentFirstTextAt: number | undefined;
  private agentDoneAt: number | undefined;
  private firstFillerAt: number | undefined;
  private firstAudioAt: number | undefined;
  private firstAnswerAudioAt: number | undefined;
  private lastAudioAt: number | undefined;
  private recognition: Record<string, unknown> | undefined;
  private agentEngine: string | undefined;

  constructor(private readonly requestStartAt: number) {
    this.origin = requestStartAt;
  }

  observe(event: TurnEvent): void {
    switch (event.type) {
      case "user-message": {
        const recognition = event.recognition;
        if (recognition === undefined) break;
        if (recognition.inputEndedAt > 0) this.origin = recognition.inputEndedAt;
        this.transcriptAt = recognition.transcriptAt;
        this.recognition = {
          mode: recognition.mode,
          grammar_confidence: recognition.grammarConfidence ?? null,
          audio_ms: Math.round(recognition.audioMs),
          recognized_ms_at_body_end: Math.round(recognition.recognizedMsAtInputEnd),
          engine: recognition.engine ?? null,
        };
        break;
      }
      case "stage":
        if (event.stage === "agent-started") this.agentStartAt ??= event.atMs;
        if (event.stage === "agent-first-text") this.agentFirstTextAt ??= event.atMs;
        if (event.stage === "agent-done") {
          this.agentDoneAt = event.atMs;
          this.agentEngine = event.engine;
        }
        break;
      case "filler":
        this.firstFillerAt ??= event.atMs;
        if (event.audio !== undefined) this.firstAudioAt ??= event.atMs;
        break;
      case "reply-audio":
        this.firstAudioAt ??= event.atMs;
        this.firstAnswerAudioAt ??= event.atMs;
        this.lastAudioAt = event.atMs;
        break;
      default:
        break;
    }
  }

  report(): { type: "latency-report"; [field: string]: unknown } {
    const since = (at: number | undefined) => (at === undefined ? null : Math.round(at - this.origin));
    const span = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? null : Math.round(to - from);
    return {
      type: "latency-report",
      body_end_to_final_transcript_ms: since(this.transcriptAt),
      agent_first_text_ms: since(this.agentFirstTextAt),
      first_filler_ms: since(this.firstFillerAt),
      first_audio_ms: since(this.firstAudioAt),
      first_answer_audio_ms: since(this.firstAnswerAudioAt),
      last_audio_piece_ms: since(this.lastAudioAt),
      stages: {
        request_to_body_end_ms: span(this.requestStartAt, this.origin),
        recognition_after_body_end_ms: since(this.transcriptAt),
        agent_ms: span(this.agentStartAt, this.agentDoneAt),
        synthesis_after_agent_ms: span(this.agentDoneAt, this.lastAudioAt),
      },
      recognition: this.recognition ?? null,
      agent_engine: this.agentEngine ?? null,
    };
  }
}
