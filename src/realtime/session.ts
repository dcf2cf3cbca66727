import type { WebSocket } from "ws";
import type { ConversationService, InteractionInput, TurnOptions } from "../conversation/service.js";
import type { Principal } from "../domain/principal.js";
import type { ConversationEvent, Recognition, TurnEvent } from "../domain/turn-events.js";
import type { SttEngine } from "../engines/stt/types.js";
import type { VadEngine } from "../engines/vad/types.js";
import { AppError, isAbortError, toAppError } from "../lib/app-error.js";
import { LatencyReport } from "../observability/latency-report.js";
import type { TurnMetrics } from "../observability/metrics.js";
import type { ActionFilter } from "../protocol/events.js";
import { wireEventOf } from "../protocol/wire.js";
import { AgentAudioOutput } from "./agent-audio.js";
import {
  DEFAULT_INTERRUPTION_SETTINGS,
  FalseInterruptionGuard,
  type InterruptionSettings,
} from "./backchannel-filter.js";
import { EchoGate } from "./echo-gate.js";
import { EchoReference } from "./echo-reference.js";
import { FillerPlayback } from "./filler-playback.js";
import { IdleTimeout } from "./idle-timeout.js";
import { speechInterruptsReply } from "./barge-in.js";
import {
  type ClientMessage,
  CLOSE,
  closeCodeOf,
  type InputAudioConfig,
  parseClientMessage,
  vadSettings,
} from "./messages.js";
import { Outbox } from "./outbox.js";
import { type ExpiredSessions, newResumeToken, sameToken } from "./resume.js";
import { ReplyPlayback } from "./reply-playback.js";
import { linkSocket } from "./socket-link.js";
import { SpeechInput } from "./speech-input.js";
import { DEFAULT_VAD_SETTINGS } from "./turn-detector.js";
import { joinWords, tooManyTurns, TurnQueue } from "./turn-queue.js";
import { SESSION_RATE_HZ, type Utterance } from "./user-audio.js";

/** What a session needs from the server. */
export interface SessionDeps {
  conversations: ConversationService;
  stt: SttEngine;
  vad: VadEngine;
  metrics: TurnMetrics;
  maxAudioDurationMs: number;
  /** How long the session waits for `client.resume` after an abnormal drop (default 30 s). */
  resumeGraceMs: number;
  /** Sessions by conversation: one per conversation (a session waiting for its resume included). */
  registry: Map<string, RealtimeSession>;
  /** Sessions whose resume grace period ran out. */
  expired: ExpiredSessions;
  log: { warn(object: unknown, message: string): void; error(object: unknown, message: string): void };
}

/** Connection options from the query string. */
export interface SessionOptions {
  responseFormat: "voice" | "text";
  audioFormat: "pcm" | "mp3";
  filter: ActionFilter;
  includeLatencyReport: boolean;
}

const START_TIMEOUT_MS = 10_000;
/** The longest input audio chunk accepted (CONTRACT: chunks of 20-100 ms, at most 2 s each). */
const MAX_INPUT_CHUNK_MS = 2000;

/**
 * One real-time conversation over a WebSocket (docs/realtime.md): text and audio in, VAD turn-taking,
 * the agent's reply streamed and paced, barge-in that keeps only what was heard. Turns run through the
 * conversation service, as over HTTP; the connection's controller is the parent of every reply's.
 * The user's audio is `SpeechInput`'s; each reply's audio is a `ReplyPlayback`'s, sent through the one
 * `AgentAudioOutput`; whether speech interrupts a reply is `speechInterruptsReply`'s decision.
 */
export class RealtimeSession {
  /** The socket now attached; undefined while the session waits for a resume. */
  private socket: WebSocket | undefined;
  private releaseSocket: () => void = () => undefined;
  private readonly resumeToken = newResumeToken();
  private graceTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly outbox: Outbox;
  private readonly agentAudio: AgentAudioOutput;
  private readonly connection = new AbortController();
  private readonly speech: SpeechInput;
  private conversationId: string | undefined;
  private inputAudio: InputAudioConfig = {
    type: "pcm",
    frame_rate: SESSION_RATE_HZ,
    n_channels: 1,
    sample_width: 2,
  };
  private readonly idleTimeout = new IdleTimeout({
    warning: (secondsLeft) => this.send("server.timeout-warning", { seconds_left: secondsLeft }),
    expired: () => this.fail(new AppError("request_timeout", "The session was idle"), 4408),
  });
  private readonly startTimer: NodeJS.Timeout;
  /** The reply running or playing now. */
  private turn: ReplyPlayback | undefined;
  private readonly turns = new TurnQueue();
  private closing = false;
  /** What the client plays of the agent (every chunk sent), for echo rejection. */
  private readonly echoReference = new EchoReference();
  private echoGate: EchoGate | undefined;
  private interruption: InterruptionSettings = DEFAULT_INTERRUPTION_SETTINGS;
  private readonly falseInterruptions: FalseInterruptionGuard;
  /** The filler playing now, until the answer's audio or a barge-in ends it. */
  private filler: FillerPlayback | undefined;

  constructor(
    socket: WebSocket,
    private readonly principal: Principal,
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    // A detached session whose kept messages overflow cannot be resumed completely: it ends.
    this.outbox = new Outbox(socket, () => this.expire());
    this.agentAudio = new AgentAudioOutput(this.outbox, options.audioFormat, (pcm) =>
      this.echoReference.record(pcm, performance.now()),
    );
    this.falseInterruptions = new FalseInterruptionGuard(() => this.interruption, {
      pause: () => {
        this.turn?.pause();
        this.send("server.agent-paused", { message_id: this.turn?.messageId ?? null });
      },
      resume: () => {
        this.turn?.resume();
        this.send("server.agent-resumed", { message_id: this.turn?.messageId ?? null });
      },
      interrupt: () => this.interruptReply(),
    });
    this.speech = new SpeechInput(
      {
        stt: deps.stt,
        vad: deps.vad,
        maxAudioDurationMs: deps.maxAudioDurationMs,
        signal: this.connection.signal,
        rejectEcho: (samples, arrivedAtMs) => this.echoGate?.process(samples, arrivedAtMs).cleaned ?? samples,
      },
      {
        speechStarted: (utteranceId, audioStartMs) => {
          this.touch();
          this.send("server.vad-speech-started", { utterance_id: utteranceId, audio_start_ms: audioStartMs });
        },
        speechConfirmed: (utteranceId, startMs, confirmedAtMs) => {
          const speech = { utteranceId, startMs, confirmedAtMs };
          if (!speechInterruptsReply(speech, this.turn, this.speech.vadSettings)) return;
          // Over the agent's voice, speech first pauses it: a backchannel or a cough must not stop it.
          const agentSpeaking = this.turn?.speaking === true || this.filler !== undefined;
          if (agentSpeaking && this.interruption.resume_false_interruptions)
            this.falseInterruptions.speechConfirmed(utteranceId, startMs, confirmedAtMs);
          else this.interruptReply();
        },
        blip: (utteranceId, reason) => {
          if (utteranceId !== undefined) this.falseInterruptions.speechDropped(utteranceId);
          this.send("server.vad-speech-reset-zero", { utterance_id: utteranceId, reason });
        },
        speechEnded: (utteranceId, audioEndMs) => {
          if (utteranceId !== undefined) this.falseInterruptions.speechStopped(utteranceId, audioEndMs);
          this.send("server.vad-speech-ended", { utterance_id: utteranceId, audio_end_ms: audioEndMs });
        },
        utteranceEnded: (utterance, recognition) => this.onUtteranceEnded(utterance, recognition),
        speechHeard: (utteranceId, untilMs) => this.falseInterruptions.speechHeard(utteranceId, untilMs),
        partialTranscript: (utteranceId, text) => {
          this.falseInterruptions.partial(utteranceId, text);
          this.send("server.user-transcript-partial", { utterance_id: utteranceId, text });
        },
        failed: (error, closeCode) => {
          if (this.connection.signal.aborted) return;
          this.fail(toAppError(error), closeCode === "overloaded" ? CLOSE.overloaded : CLOSE.internal);
        },
      },
    );
    this.startTimer = setTimeout(
      () => this.fail(new AppError("request_timeout", "No start-conversation within 10 s"), 4408),
      START_TIMEOUT_MS,
    );
    this.attachSocket(socket);
  }

  /** Closes after the running turn, with `code` (1001 when the server shuts down). */
  async shutdown(code: number, reason: string): Promise<void> {
    await this.turns.idle();
    this.close(code, reason);
  }

  /** Listens to `socket` and keeps it alive (see linkSocket). */
  private attachSocket(socket: WebSocket): void {
    this.socket = socket;
    this.releaseSocket = linkSocket(socket, {
      message: (data, isBinary) => this.receive(data, isBinary),
      close: (code) => this.onSocketClosed(socket, code),
      error: (error) => this.deps.log.warn({ err: error }, "real-time socket error"),
    });
  }

  /** The socket closed. An abnormal drop of a started session opens the resume grace period. */
  private onSocketClosed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.releaseSocket();
    this.socket = undefined;
    // Normal ends: the server closed, or the client closed with 1000 (normal) or 1001 (going away).
    const normal = this.closing || code === CLOSE.normal || code === CLOSE.goingAway;
    if (normal || this.conversationId === undefined) {
      this.end();
      return;
    }
    this.outbox.detach();
    this.graceTimer = setTimeout(() => this.expire(), this.deps.resumeGraceMs);
  }

  /** The resume grace period ran out (or the kept messages overflowed): the session ends. */
  private expire(): void {
    if (this.ended) return;
    if (this.conversationId !== undefined) this.deps.expired.add(this.conversationId, this.resumeToken);
    this.end();
  }

  /** The session is over: its reply and recognition stop, and the conversation is free again. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.closing = true;
    clearTimeout(this.startTimer);
    this.idleTimeout.stop();
    clearTimeout(this.graceTimer);
    this.releaseSocket();
    this.connection.abort(new DOMException("The client closed the connection", "AbortError"));
    this.speech.close(this.connection.signal.reason);
    if (this.conversationId !== undefined && this.deps.registry.get(this.conversationId) === this) {
      this.deps.registry.delete(this.conversationId);
    }
  }

  /** True when the session belongs to `principal`'s user in its organization. */
  private belongsTo(principal: Principal): boolean {
    return (
      principal.user.id === this.principal.user.id &&
      principal.organization.id === this.principal.organization.id
    );
  }

  /**
   * `client.resume` on a new socket for this session: the old socket (if the server has not noticed it
   * is gone) is dropped, every kept message after `lastSeq` is sent on the new one, then
   * `server.resumed`. Undefined when a message after `lastSeq` is no longer kept.
   */
  private takeOver(socket: WebSocket, lastSeq: number): { replayed: number } | undefined {
    if (lastSeq > this.outbox.lastSeq) return undefined;
    const old = this.socket;
    if (old !== undefined) {
      this.releaseSocket();
      this.socket = undefined;
      this.outbox.detach();
      old.close(CLOSE.resumedElsewhere, "the session was resumed on another connection");
    }
    const resumed = this.outbox.resume(socket, lastSeq);
    if (resumed === undefined) return undefined;
    clearTimeout(this.graceTimer);
    this.closing = false;
    this.attachSocket(socket);
    this.send("server.resumed", {
      conversation_id: this.conversationId,
      last_seq: lastSeq,
      replayed: resumed.replayed,
      resume_token: this.resumeToken,
    });
    this.touch();
    return resumed;
  }

  /** This connection's first message is `client.resume`: it hands its socket to the waiting session. */
  private resume(message: Extract<ClientMessage, { type: "client.resume" }>): void {
    clearTimeout(this.startTimer);
    const refuse = (status: number, code: string, description: string) => {
      this.send("server.error", {
        http_error_code: status,
        error_description: description,
        code,
        fatal: true,
      });
      this.close(4000 + status, description);
    };
    const target = this.deps.registry.get(message.conversation_id);
    if (target === undefined || target === this || !target.belongsTo(this.principal)) {
      if (this.deps.expired.has(message.conversation_id, message.resume_token))
        refuse(410, "resume_expired", "The session's resume period has passed");
      else refuse(404, "not_found", `No session of conversation ${message.conversation_id} to resume`);
      return;
    }
    if (!sameToken(target.resumeToken, message.resume_token)) {
      refuse(401, "unauthorized", "The resume token does not match");
      return;
    }
    if (message.last_seq > target.outbox.lastSeq) {
      refuse(422, "unprocessable", `last_seq ${message.last_seq} is after the session's last message`);
      return;
    }
    const socket = this.socket;
    if (socket === undefined) return;
    // This session object never started: it lets go of the socket without closing it.
    this.releaseSocket();
    this.socket = undefined;
    this.closing = true;
    this.end();
    if (target.takeOver(socket, message.last_seq) === undefined) {
      const error = {
        type: "server.error",
        seq: 1,
        http_error_code: 410,
        error_description: "Messages after last_seq are no longer kept",
        code: "resume_incomplete",
        fatal: true,
      };
      socket.send(JSON.stringify(error));
      socket.close(4410, error.error_description);
    }
  }

  private send(type: string, body: Record<string, unknown> = {}): void {
    this.outbox.send(type, body);
  }

  private sendError(error: AppError, fatal: boolean, clientEventId?: unknown): void {
    this.send("server.error", {
      http_error_code: error.httpStatus,
      error_description: error.message,
      code: error.code,
      fatal,
      ...(clientEventId === undefined ? {} : { client_event_id: clientEventId }),
    });
  }

  private fail(error: AppError, closeCode: number): void {
    this.sendError(error, true);
    this.close(closeCode, error.message);
  }

  /**
   * Closes the socket with `code`. A session without a socket (waiting for a resume) ends at once, as
   * when its grace period runs out: a later `client.resume` gets 4410.
   */
  private close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    if (this.socket === undefined) this.expire();
    else this.socket.close(code, reason.slice(0, 120));
  }

  /** One frame from the client (also those that arrived before the session existed). */
  receive(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (this.conversationId === undefined) {
        this.fail(new AppError("bad_request", "Send client.start-conversation first"), CLOSE.protocolMisuse);
        return;
      }
      this.pushAudio(data, undefined);
      return;
    }
    const text = data.toString("utf8");
    let message: ClientMessage;
    let clientEventId: unknown;
    try {
      clientEventId = (JSON.parse(text) as { client_event_id?: unknown }).client_event_id;
    } catch {
      clientEventId = undefined;
    }
    try {
      message = parseClientMessage(text);
    } catch (error) {
      const appError = toAppError(error);
      if (this.conversationId === undefined) this.fail(appError, CLOSE.protocolMisuse);
      else this.sendError(appError, false, clientEventId);
      return;
    }
    if (this.conversationId === undefined && message.type === "client.resume") {
      this.resume(message);
      return;
    }
    if (this.conversationId === undefined && message.type !== "client.start-conversation") {
      this.fail(new AppError("bad_request", "Send client.start-conversation first"), CLOSE.protocolMisuse);
      return;
    }
    this.handle(message, clientEventId).catch((error: unknown) => {
      if (this.connection.signal.aborted) return;
      const appError = toAppError(error);
      if (appError.httpStatus >= 500) this.deps.log.error({ err: error }, "real-time message failed");
      this.sendError(appError, false, clientEventId);
    });
  }

  private async handle(message: ClientMessage, clientEventId: unknown): Promise<void> {
    switch (message.type) {
      case "client.start-conversation":
        return this.start(message);
      case "client.resume":
        throw new AppError("conflict", "client.resume must be a connection's first message");
      case "client.new-text-message":
        this.touch();
        if (message.message_type === "external-event") {
          this.turns.addExternalEvent(message.text);
          return;
        }
        if (!this.turns.hasRoom) throw tooManyTurns();
        this.interruptReply();
        this.enqueueTextTurn(message.text);
        return;
      case "client.new-audio-message":
        if (message.audio === null) this.speech.endOfAudio();
        else this.pushAudio(Buffer.from(message.audio, "base64"), clientEventId);
        return;
      case "client.switch-vad-mode": {
        const settings =
          message.vad === undefined
            ? this.speech.vadSettings
            : vadSettings(message.vad, this.speech.vadSettings);
        this.speech.setMode(message.vad_mode, settings);
        this.send("server.vad-mode-switched", { vad_mode: message.vad_mode, vad: settings });
        return;
      }
      case "client.extend-timeout":
        this.touch(message.seconds);
        return;
      case "client.playback-position":
        if (this.turn !== undefined && this.turn.messageId === message.message_id)
          this.turn.playedMs = message.played_ms;
        return;
      case "client.interrupt":
        this.interruptReply();
        return;
      case "client.finish-conversation":
        await this.turns.idle();
        await this.deps.conversations.finish(this.principal, this.conversationId!);
        this.send("server.conversation-finished", { conversation_id: this.conversationId });
        this.close(CLOSE.normal, "conversation finished");
        return;
      case "client.close-connection":
        await this.turns.idle();
        this.close(CLOSE.normal, "closed by the client");
        return;
    }
  }

  /** One chunk of input audio; a chunk over 2 s gets a non-fatal 422 and is dropped. */
  private pushAudio(bytes: Buffer, clientEventId: unknown): void {
    const samples = Math.floor(bytes.length / 2);
    if (samples > (this.inputAudio.frame_rate * MAX_INPUT_CHUNK_MS) / 1000) {
      const error = new AppError("unprocessable", `An audio chunk holds at most ${MAX_INPUT_CHUNK_MS} ms`);
      this.sendError(error, false, clientEventId);
      return;
    }
    this.speech.push(bytes);
  }

  private async start(message: Extract<ClientMessage, { type: "client.start-conversation" }>): Promise<void> {
    if (this.conversationId !== undefined)
      throw new AppError("conflict", "The conversation has already started");
    clearTimeout(this.startTimer);
    const vadMode = message.vad_mode ?? false;
    const vad = message.vad === undefined ? DEFAULT_VAD_SETTINGS : vadSettings(message.vad);
    this.speech.setMode(vadMode, vad);
    this.interruption = message.interruption ?? DEFAULT_INTERRUPTION_SETTINGS;
    this.echoGate = message.echo_rejection === false ? undefined : new EchoGate(this.echoReference);
    this.inputAudio = message.request_audio_config ?? this.inputAudio;
    this.idleTimeout.timeoutS = message.idle_timeout_s ?? this.idleTimeout.timeoutS;
    this.speech.start(this.inputAudio.frame_rate);
    const settings = () => ({
      vad_mode: this.speech.isVadMode,
      vad: this.speech.vadSettings,
      idle_timeout_s: this.idleTimeout.timeoutS,
      interruption: this.interruption,
      echo_rejection: this.echoGate !== undefined,
      input_audio: { format: "pcm", sample_rate_hz: this.inputAudio.frame_rate },
      output_audio: { format: this.options.audioFormat, sample_rate_hz: SESSION_RATE_HZ },
      resume_token: this.resumeToken,
    });
    try {
      if (message.conversation_id !== undefined) {
        const conversation = await this.deps.conversations.loadOwnConversation(
          this.principal,
          message.conversation_id,
        );
        if (conversation.isFinished) {
          const description = "The conversation is already finished";
          this.send("server.error", {
            http_error_code: 410,
            error_description: description,
            code: "conversation_finished",
            fatal: true,
          });
          this.close(4410, description);
          return;
        }
        this.claimSocket(conversation.id);
        this.send("server.conversation-created", {
          conversation_id: conversation.id,
          continued: true,
          ...settings(),
        });
        this.touch();
        return;
      }
      if (message.service_id === undefined)
        throw new AppError("unprocessable", "service_id or conversation_id is required");
      const initial = message.initial_message;
      const greeting = this.newTurn(initial ?? "");
      const events = this.deps.conversations.create(
        this.principal,
        {
          serviceId: message.service_id,
          versionSetName: message.service_version_set_name ?? "release",
          initialMessage:
            initial === undefined
              ? null
              : { kind: message.initial_message_type ?? "user-message", text: initial },
          tags: {},
        },
        this.turnOptions(greeting),
      );
      // The first event is the conversation's creation; the rest is the greeting turn.
      const first = await events.next();
      if (first.done === true || first.value.type !== "conversation-created")
        throw new Error("the conversation was not created");
      this.claimSocket(first.value.conversationId);
      this.send("server.conversation-created", {
        conversation_id: first.value.conversationId,
        continued: false,
        ...settings(),
      });
      this.touch();
      this.turns.runFirst(this.playTurn(events, greeting));
    } catch (error) {
      const appError = toAppError(error);
      this.fail(appError, closeCodeOf(appError));
    }
  }

  private claimSocket(conversationId: string): void {
    if (this.deps.registry.has(conversationId))
      throw new AppError("conflict", "Another socket is connected to this conversation");
    this.deps.registry.set(conversationId, this);
    this.conversationId = conversationId;
  }

  /** Activity: the idle timeout starts again (from `seconds` for `client.extend-timeout`). */
  private touch(seconds?: number): void {
    if (!this.closing) this.idleTimeout.restart(seconds);
  }

  // ---- turns ------------------------------------------------------------------------------------

  /**
   * An utterance ended. In manual mode it is a turn that interrupts the reply. Speech that paused the agent is judged on its transcript first: a false
   * interruption (short, or backchannel words only) is dropped and the agent goes on; else it is a turn.
   */
  private onUtteranceEnded(utterance: Utterance, recognition: Promise<Recognition>): void {
    if (!this.speech.isVadMode) {
      // Manual mode: `audio: null` ended the user's turn; like a typed message, it interrupts the reply.
      if (this.turns.hasRoom) this.interruptReply();
      this.enqueueSpokenTurn(utterance, recognition);
      return;
    }
    if (!this.falseInterruptions.watches(utterance.id)) {
      this.enqueueSpokenTurn(utterance, recognition);
      return;
    }
    recognition.then(
      (recognized) => {
        if (this.falseInterruptions.speechEnded(utterance.id, recognized.text) === "interrupted")
          this.enqueueSpokenTurn(utterance, Promise.resolve(recognized));
      },
      () => this.falseInterruptions.speechDropped(utterance.id),
    );
  }

  /**
   * A filler: as text, one `server.new-message` with `filler: true`; spoken, it plays into the agent's
   * audio until the answer's audio ends it at a word boundary (or a barge-in stops it).
   */
  private playFiller(event: Extract<TurnEvent, { type: "filler" }>, turn: ReplyPlayback): void {
    if (event.audio === undefined) {
      this.send("server.new-message", {
        message_id: event.messageId,
        message: event.text,
        stop: true,
        transcript_alignment: null,
        filler: true,
      });
      return;
    }
    this.filler?.stop();
    const filler = new FillerPlayback(event.audio, event.messageId, (chunk) => {
      this.agentAudio.send(chunk).catch(() => undefined);
    });
    this.filler = filler;
    turn.controller.signal.addEventListener("abort", () => filler.stop(), { once: true });
  }

  /** A spoken turn: waits for the utterance's transcript, then runs the interaction. */
  private enqueueSpokenTurn(utterance: Utterance, recognition: Promise<Recognition>): void {
    if (!this.turns.hasRoom) {
      this.sendError(tooManyTurns(), false);
      return;
    }
    const events = this.turns.takeExternalEvents();
    const turn = this.newTurn("");
    this.turns.enqueue(async (carried) => {
      let recognized: Recognition;
      try {
        recognized = await recognition;
      } catch (error) {
        this.turns.carry(carried.text, carried.events);
        if (!isAbortError(error) && !this.connection.signal.aborted) this.sendError(toAppError(error), false);
        return;
      }
      turn.userText = joinWords(carried.text, recognized.text);
      turn.externalEvents = [...carried.events, ...events];
      const input: InteractionInput = {
        format: "transcribed",
        recognition: { ...recognized, text: turn.userText },
        recording: () => utterance.recording(),
        externalEvents: turn.externalEvents,
      };
      await this.runTurn(turn, input);
    });
  }

  /** A typed user message. */
  private enqueueTextTurn(text: string): void {
    const events = this.turns.takeExternalEvents();
    const turn = this.newTurn(text);
    this.turns.enqueue(async (carried) => {
      turn.userText = joinWords(carried.text, text);
      turn.externalEvents = [...carried.events, ...events];
      await this.runTurn(turn, {
        format: "text",
        kind: "user-message",
        text: turn.userText,
        externalEvents: turn.externalEvents,
      });
    });
  }

  private newTurn(userText: string): ReplyPlayback {
    return new ReplyPlayback(userText, this.outbox, this.agentAudio);
  }

  private turnOptions(turn: ReplyPlayback): TurnOptions {
    const stop = () => turn.controller.abort(this.connection.signal.reason);
    this.connection.signal.addEventListener("abort", stop, { once: true });
    turn.detach = () => this.connection.signal.removeEventListener("abort", stop);
    return {
      reply: this.options.responseFormat,
      signal: turn.controller.signal,
      cutShort: turn.cutShort.signal,
      delivered: async (done) => {
        const delivery = await turn.delivered(done);
        if (delivery.kind === "none") this.turns.carry(turn.userText, turn.externalEvents);
        return delivery;
      },
    };
  }

  private async runTurn(turn: ReplyPlayback, input: InteractionInput): Promise<void> {
    this.turn = turn;
    try {
      await this.playTurn(
        this.deps.conversations.interact(this.principal, this.conversationId!, input, this.turnOptions(turn)),
        turn,
      );
    } finally {
      if (this.turn === turn) this.turn = undefined;
    }
  }

  /** Sends a turn's events as server messages; agent audio goes to the reply's playback. */
  private async playTurn(events: AsyncGenerator<ConversationEvent>, turn: ReplyPlayback): Promise<void> {
    this.turn = turn;
    const startedAt = performance.now();
    const latency = this.options.includeLatencyReport ? new LatencyReport(startedAt) : undefined;
    const observer = this.deps.metrics.observer("websocket", startedAt);
    try {
      for await (const event of events) {
        if (event.type === "conversation-created") continue;
        latency?.observe(event);
        observer.observe(event);
        this.touch();
        if (event.type === "filler") this.playFiller(event, turn);
        if (event.type === "reply-audio") {
          // The answer never plays over a filler: the filler ends at its next word boundary first.
          const filler = this.filler;
          this.filler = undefined;
          await filler?.finish();
          turn.addAudio(event.messageId, event.utterance);
          continue;
        }
        if (event.type === "complete") {
          if (latency !== undefined)
            this.send("server.latency-report", { ...latency.report(), type: undefined });
          const heardMs = turn.clockHeardMs();
          this.send("server.interaction-complete", {
            interaction_id: event.interactionId,
            message_id: event.messageId,
            full_message: event.fullMessage,
            conversation_completed: event.conversationCompleted,
            interrupted: event.interrupted === true,
            heard_ms: heardMs === null ? null : Math.round(heardMs),
          });
          observer.finish("completed");
          continue;
        }
        const wire = wireEventOf(event, this.options.filter);
        if (wire !== undefined) this.send(`server.${wire.type}`, { ...wire, type: undefined });
      }
    } catch (error) {
      turn.stopAudio();
      if (this.connection.signal.aborted) {
        observer.finish("abandoned");
        return;
      }
      if (isAbortError(error)) {
        observer.finish("abandoned");
        this.send("server.agent-interrupted", {
          interaction_id: turn.interactionId ?? null,
          message_id: turn.messageId ?? null,
          heard_ms: 0,
          heard_text: "",
          rolled_back: true,
        });
        this.turns.carry(turn.userText, turn.externalEvents);
        return;
      }
      observer.finish("failed");
      const appError = toAppError(error);
      if (appError.httpStatus >= 500) this.deps.log.error({ err: error }, "real-time interaction failed");
      this.sendError(appError, false);
    } finally {
      this.filler?.stop();
      this.filler = undefined;
      turn.detach();
      if (this.turn === turn) this.turn = undefined;
    }
  }

  /** Barge-in (speech the policy let through, a text message, `client.interrupt`): stops the reply. */
  private interruptReply(): void {
    this.falseInterruptions.clear();
    this.filler?.stop();
    this.filler = undefined;
    if (this.turn !== undefined) this.echoReference.flush(performance.now());
    this.turn?.interrupt();
  }
}
