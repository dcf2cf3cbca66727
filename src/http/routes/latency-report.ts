/**
 * Timestamps of one interaction for the optional `latency-report` event (query
 * `include_latency_report=true`). All figures are milliseconds from `origin`: the last byte of a voice
 * upload, or the arrival of a text request.
 */
export class LatencyMarks {
  origin = performance.now();
  private requestStart = performance.now();
  private transcriptAt: number | undefined;
  private agentStartAt: number | undefined;
  private agentFirstTextAt: number | undefined;
  private agentDoneAt: number | undefined;
  private firstAudioAt: number | undefined;
  private lastAudioAt: number | undefined;
  recognition: Record<string, unknown> | undefined;

  voiceUpload(bodyEndAt: number, transcriptAt: number, recognition: Record<string, unknown>): void {
    this.origin = bodyEndAt;
    this.transcriptAt = transcriptAt;
    this.recognition = recognition;
  }

  agentStarted(): void {
    this.agentStartAt ??= performance.now();
  }

  agentText(): void {
    this.agentFirstTextAt ??= performance.now();
  }

  agentDone(): void {
    this.agentDoneAt = performance.now();
  }

  audioPiece(): void {
    const now = performance.now();
    this.firstAudioAt ??= now;
    this.lastAudioAt = now;
  }

  report(): Record<string, unknown> {
    const since = (at: number | undefined) => (at === undefined ? null : Math.round(at - this.origin));
    const span = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? null : Math.round(to - from);
    return {
      type: "latency-report",
      body_end_to_final_transcript_ms: since(this.transcriptAt),
      agent_first_text_ms: since(this.agentFirstTextAt),
      first_audio_piece_ms: since(this.firstAudioAt),
      last_audio_piece_ms: since(this.lastAudioAt),
      stages: {
        request_to_body_end_ms: span(this.requestStart, this.origin),
        recognition_after_body_end_ms: since(this.transcriptAt),
        agent_ms: span(this.agentStartAt, this.agentDoneAt),
        synthesis_after_agent_ms: span(this.agentDoneAt, this.lastAudioAt),
      },
      recognition: this.recognition ?? null,
    };
  }
}
