import type { WebSocket } from "ws";
import type { ConversationService, Delivery, InteractionInput } from "../conversation/service.js";
import { newId } from "../domain/ids.js";
import type { Principal } from "../domain/principal.js";
import type { ConversationEvent, Recognition, Utterance as SpokenPiece } from "../domain/turn-events.js";
import { encodeMp3Piece, encodePcm16 } from "../engines/codec/encoders.js";
import type { SttEngine } from "../engines/stt/types.js";
import type { VadEngine } from "../engines/vad/types.js";
import { AppError, isAbortError, toAppError } from "../lib/app-error.js";
import { AsyncQueue } from "../lib/async-queue.js";
import { LatencyReport } from "../observability/latency-report.js";
import type { TurnMetrics } from "../observability/metrics.js";
import { recognizeUtterance } from "../pipeline/voice-input.js";
import type { ActionFilter } from "../protocol/events.js";
import { wireEventOf } from "../protocol/wire.js";
import { AudioPacer, type PacedChunk } from "./audio-pacer.js";
import {
  type ClientMessage,
  CLOSE,
  type InputAudioConfig,
  parseClientMessage,
  vadSettings,
} from "./messages.js";
import { DEFAULT_VAD_SETTINGS, TurnDetector, type VadSettings } from "./turn-detector.js";
import { AudioHistory, InputResampler, pcm16FromBytes, SESSION_RATE_HZ, Utterance } from "./user-audio.js";

/** What a session needs from the server. */
export interface SessionDeps {
  conversations: ConversationService;
  stt: SttEngine;
  vad: VadEngine;
  metrics: TurnMetrics;
  maxAudioDurationMs: number;
  /** Sockets by conversation: one live socket per conversation. */
  registry: Map<string, RealtimeSession>;
  log: { warn(object: unknown, message: string): void; error(object: unknown, message: string): void };
}

/** Connection options from the query string. */
export interface SessionOptions {
  responseFormat: "voice" | "text";
  audioFormat: "pcm" | "mp3";
  filter: ActionFilter;
  includeLatencyReport: boolean;
}

/** More unprocessed input audio than this closes the session with 1013 (overloaded). */
const MAX_INPUT_BACKLOG_MS = 10_000;
const START_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 20_000;
const TIMEOUT_WARNING_S = 15;

/** One reply on its way out, with what is needed to cut it where the user stopped listening. */
interface ActiveTurn {
  controller: AbortController;
  pacer: AudioPacer | undefined;
  messageId: string | undefined;
  interactionId: string | undefined;
  pieces: SpokenPiece[];
  /** Set once production has ended and the reply waits to play out. */
  production: "running" | "delivering";
  interrupt: (heardMs: number) => void;
  /** The user's words of this turn, carried into the next turn when the reply is rolled back. */
  userText: string;
  playedMs: number | undefined;
  /** Audio chunks of this reply sent so far (their sequence numbers). */
  audioChunksSent: number;
  /** Removes the turn's listener from the connection's signal once the turn is over. */
  detach: () => void;
  done: Promise<void>;
}

/**
 * One real-time conversation over a WebSocket (docs/realtime.md): text and audio in, VAD turn-taking,
 * the agent's reply streamed and paced, barge-in that keeps only what was heard. Turns run through the
 * conversation service, as over HTTP; the connection's controller is the parent of every reply's.
 */
export class RealtimeSession {
  private seq = 0;
  private readonly connection = new AbortController();
  private conversationId: string | undefined;
  private vadMode = false;
  private vad: VadSettings = DEFAULT_VAD_SETTINGS;
  private inputAudio: InputAudioConfig = {
    type: "pcm",
    frame_rate: SESSION_RATE_HZ,
    n_channels: 1,
    sample_width: 2,
  };
  private idleTimeoutS = 120;
  private idleTimer: NodeJS.Timeout | undefined;
  private warnTimer: NodeJS.Timeout | undefined;
  private readonly startTimer: NodeJS.Timeout;
  private pingTimer: NodeJS.Timeout | undefined;
  private missedPongs = 0;
  private turn: ActiveTurn | undefined;
  private turnQueue: Promise<void> = Promise.resolve();
  private utterance: Utterance | undefined;
  private carriedText = "";
  private externalEvents: { text: string; timestamp: string }[] = [];
  private readonly history = new AudioHistory();
  private resampler: InputResampler | undefined;
  private readonly input = new AsyncQueue<Int16Array>();
  private backlogSamples = 0;
  private vadInput: AsyncQueue<Int16Array> | undefined;
  private detector: TurnDetector | undefined;
  private closing = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly principal: Principal,
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.startTimer = setTimeout(
      () => this.fail(new AppError("request_timeout", "No start-conversation within 10 s"), 4408),
      START_TIMEOUT_MS,
    );
    socket.on("message", (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    socket.on("close", () => this.onClosed());
    socket.on("error", (error) => deps.log.warn({ err: error }, "real-time socket error"));
    socket.on("pong", () => (this.missedPongs = 0));
    this.pingTimer = setInterval(() => {
      if (this.missedPongs >= 2) {
        socket.terminate();
        return;
      }
      this.missedPongs += 1;
      socket.ping();
    }, PING_INTERVAL_MS);
    this.runInputLoop().catch((error: unknown) => this.fail(toAppError(error), CLOSE.internal));
  }

  /** Closes after the running turn, with `code` (1001 when the server shuts down). */
  async shutdown(code: number, reason: string): Promise<void> {
    await this.turnQueue.catch(() => undefined);
    this.close(code, reason);
  }

  private send(type: string, body: Record<string, unknown> = {}): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.seq += 1;
    this.socket.send(JSON.stringify({ ...body, type, seq: this.seq }));
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

  private close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason.slice(0, 120));
  }

  private onClosed(): void {
    this.closing = true;
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.warnTimer);
    clearInterval(this.pingTimer);
    this.connection.abort(new DOMException("The client closed the connection", "AbortError"));
    this.utterance?.cancel(this.connection.signal.reason);
    this.input.close();
    this.vadInput?.close();
    this.resampler?.close();
    if (this.conversationId !== undefined && this.deps.registry.get(this.conversationId) === this) {
      this.deps.registry.delete(this.conversationId);
    }
  }

  /** One frame from the client (also those that arrived before the session existed). */
  receive(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (this.conversationId === undefined) {
        this.fail(new AppError("bad_request", "Send client.start-conversation first"), CLOSE.protocolMisuse);
        return;
      }
      this.onAudio(data);
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
    if (this.conversationId === undefined && message.type !== "client.start-conversation") {
      this.fail(new AppError("bad_request", "Send client.start-conversation first"), CLOSE.protocolMisuse);
      return;
    }
    this.handle(message).catch((error: unknown) => {
      if (this.connection.signal.aborted) return;
      const appError = toAppError(error);
      if (appError.httpStatus >= 500) this.deps.log.error({ err: error }, "real-time message failed");
      this.sendError(appError, false, clientEventId);
    });
  }

  private async handle(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case "client.start-conversation":
        return this.start(message);
      case "client.new-text-message":
        this.touch();
        if (message.message_type === "external-event") {
          this.externalEvents.push({ text: message.text, timestamp: new Date().toISOString() });
          return;
        }
        this.interruptReply();
        this.enqueueTurn(message.text, {
          format: "text",
          kind: "user-message",
          text: message.text,
          externalEvents: this.takeExternalEvents(),
        });
        return;
      case "client.new-audio-message":
        if (message.audio === null) {
          if (!this.vadMode) this.endUtterance();
          return;
        }
        this.onAudio(Buffer.from(message.audio, "base64"));
        return;
      case "client.switch-vad-mode":
        this.vadMode = message.vad_mode;
        this.vad = message.vad === undefined ? this.vad : vadSettings(message.vad, this.vad);
        this.detector = this.vadMode ? new TurnDetector(this.vad) : undefined;
        this.send("server.vad-mode-switched", { vad_mode: this.vadMode, vad: this.vad });
        return;
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
        await this.turnQueue.catch(() => undefined);
        await this.deps.conversations.finish(this.principal, this.conversationId!);
        this.send("server.conversation-finished", { conversation_id: this.conversationId });
        this.close(CLOSE.normal, "conversation finished");
        return;
      case "client.close-connection":
        await this.turnQueue.catch(() => undefined);
        this.close(CLOSE.normal, "closed by the client");
        return;
    }
  }

  private async start(message: Extract<ClientMessage, { type: "client.start-conversation" }>): Promise<void> {
    if (this.conversationId !== undefined)
      throw new AppError("conflict", "The conversation has already started");
    clearTimeout(this.startTimer);
    this.vadMode = message.vad_mode ?? false;
    this.vad = message.vad === undefined ? DEFAULT_VAD_SETTINGS : vadSettings(message.vad);
    this.detector = this.vadMode ? new TurnDetector(this.vad) : undefined;
    this.inputAudio = message.request_audio_config ?? this.inputAudio;
    this.idleTimeoutS = message.idle_timeout_s ?? this.idleTimeoutS;
    this.resampler = new InputResampler(this.inputAudio.frame_rate);
    const settings = () => ({
      vad_mode: this.vadMode,
      vad: this.vad,
      idle_timeout_s: this.idleTimeoutS,
      input_audio: { format: "pcm", sample_rate_hz: this.inputAudio.frame_rate },
      output_audio: { format: this.options.audioFormat, sample_rate_hz: SESSION_RATE_HZ },
      resume_token: null,
    });
    try {
      if (message.conversation_id !== undefined) {
        const conversation = await this.deps.conversations.loadOwnConversation(
          this.principal,
          message.conversation_id,
        );
        if (conversation.isFinished) throw new AppError("conflict", "The conversation is already finished");
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
      this.turnQueue = this.playTurn(events, greeting);
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

  private touch(seconds?: number): void {
    if (this.closing) return;
    clearTimeout(this.idleTimer);
    clearTimeout(this.warnTimer);
    const timeoutS = seconds ?? this.idleTimeoutS;
    this.warnTimer = setTimeout(
      () => this.send("server.timeout-warning", { seconds_left: Math.min(TIMEOUT_WARNING_S, timeoutS) }),
      Math.max(0, timeoutS - TIMEOUT_WARNING_S) * 1000,
    );
    this.idleTimer = setTimeout(
      () => this.fail(new AppError("request_timeout", "The session was idle"), 4408),
      timeoutS * 1000,
    );
  }

  private takeExternalEvents(): { text: string; timestamp: string }[] {
    const events = this.externalEvents;
    this.externalEvents = [];
    return events;
  }

  // ---- user audio -------------------------------------------------------------------------------

  private onAudio(bytes: Buffer): void {
    const samples = pcm16FromBytes(bytes);
    this.backlogSamples += (samples.length * SESSION_RATE_HZ) / this.inputAudio.frame_rate;
    if ((this.backlogSamples * 1000) / SESSION_RATE_HZ > MAX_INPUT_BACKLOG_MS) {
      this.fail(
        new AppError("service_unavailable", "More than 10 s of input audio is waiting"),
        CLOSE.overloaded,
      );
      return;
    }
    this.input.push(samples);
  }

  /** Input audio in order: to 16 kHz, into the history, the open utterance and the VAD. */
  private async runInputLoop(): Promise<void> {
    for await (const raw of this.input) {
      const samples = (await this.resampler?.process(raw)) ?? raw;
      this.history.push(samples);
      if (this.vadMode) {
        this.utterance?.push(samples);
        this.feedVad(samples);
      } else {
        this.backlogSamples = Math.max(0, this.backlogSamples - samples.length);
        if (this.utterance === undefined)
          this.startUtterance(this.history.nowMs() - (samples.length * 1000) / SESSION_RATE_HZ);
        else this.utterance.push(samples);
      }
    }
  }

  private feedVad(samples: Int16Array): void {
    if (this.vadInput === undefined) {
      const input = new AsyncQueue<Int16Array>();
      this.vadInput = input;
      this.runVadLoop(input).catch((error: unknown) => {
        if (!this.connection.signal.aborted) this.fail(toAppError(error), CLOSE.internal);
      });
    }
    this.vadInput.push(samples);
  }

  private async runVadLoop(input: AsyncQueue<Int16Array>): Promise<void> {
    const frameSamples = (this.deps.vad.frameDurationMs * SESSION_RATE_HZ) / 1000;
    for await (const frame of this.deps.vad.process(input, { signal: this.connection.signal })) {
      this.backlogSamples = Math.max(0, this.backlogSamples - frameSamples);
      for (const event of this.detector?.push(frame) ?? []) {
        if (event.type === "onset") {
          this.touch();
          this.startUtterance(event.paddedStartMs);
          this.send("server.vad-speech-started", {
            utterance_id: this.utterance?.id,
            audio_start_ms: Math.round(event.paddedStartMs),
          });
        } else if (event.type === "confirmed") {
          if (this.vad.interrupt_response) this.interruptReply();
        } else if (event.type === "reset") {
          const id = this.utterance?.id;
          this.utterance?.cancel(new DOMException("A blip, not speech", "AbortError"));
          this.utterance = undefined;
          this.send("server.vad-speech-reset-zero", { utterance_id: id, reason: event.reason });
        } else {
          this.send("server.vad-speech-ended", {
            utterance_id: this.utterance?.id,
            audio_end_ms: Math.round(event.endMs),
          });
          this.endUtterance();
        }
      }
    }
  }

  private startUtterance(fromMs: number): void {
    this.utterance?.cancel(new DOMException("A new utterance started", "AbortError"));
    const utterance = new Utterance(newId());
    this.utterance = utterance;
    utterance.push(this.history.since(fromMs));
    const stop = () => utterance.controller.abort(this.connection.signal.reason);
    this.connection.signal.addEventListener("abort", stop, { once: true });
    const signal = utterance.controller.signal;
    const recognition = recognizeUtterance({
      pcm: utterance.pcm,
      stt: this.deps.stt,
      expectedPhrases: null,
      signal,
      maxDurationMs: this.deps.maxAudioDurationMs,
      inputEndedAt: () => utterance.inputEndedAt(),
      onPartial: (text) => this.send("server.user-transcript-partial", { utterance_id: utterance.id, text }),
    });
    recognition
      .catch(() => undefined)
      .finally(() => this.connection.signal.removeEventListener("abort", stop))
      .catch(() => undefined);
    this.recognitions.set(utterance, recognition);
  }

  private readonly recognitions = new Map<Utterance, Promise<Recognition>>();

  private endUtterance(): void {
    const utterance = this.utterance;
    if (utterance === undefined) return;
    this.utterance = undefined;
    utterance.end();
    const recognition = this.recognitions.get(utterance)!;
    this.recognitions.delete(utterance);
    const turn = this.newTurn("");
    this.turnQueue = this.turnQueue
      .catch(() => undefined)
      .then(async () => {
        let recognized: Recognition;
        try {
          recognized = await recognition;
        } catch (error) {
          if (!isAbortError(error) && !this.connection.signal.aborted)
            this.sendError(toAppError(error), false);
          return;
        }
        turn.userText = recognized.text;
        const input: InteractionInput = {
          format: "transcribed",
          recognition: this.withCarriedText(recognized),
          recording: () => utterance.recording(),
          externalEvents: this.takeExternalEvents(),
        };
        await this.runTurn(turn, input);
      });
  }

  private withCarriedText(recognition: Recognition): Recognition {
    if (this.carriedText === "") return recognition;
    const text = `${this.carriedText} ${recognition.text}`;
    this.carriedText = "";
    return { ...recognition, text };
  }

  // ---- turns ------------------------------------------------------------------------------------

  private enqueueTurn(userText: string, input: Extract<InteractionInput, { format: "text" }>): void {
    const turn = this.newTurn(userText);
    this.turnQueue = this.turnQueue
      .catch(() => undefined)
      .then(() => {
        // Words of a reply rolled back before this turn runs are carried into it.
        const text = this.carriedText === "" ? input.text : `${this.carriedText} ${input.text}`;
        this.carriedText = "";
        return this.runTurn(turn, { ...input, text });
      });
  }

  private newTurn(userText: string): ActiveTurn {
    let interrupt: (heardMs: number) => void = () => undefined;
    const interrupted = new Promise<number>((resolve) => (interrupt = resolve));
    const turn: ActiveTurn = {
      controller: new AbortController(),
      pacer: undefined,
      messageId: undefined,
      interactionId: undefined,
      pieces: [],
      production: "running",
      interrupt,
      userText,
      playedMs: undefined,
      audioChunksSent: 0,
      detach: () => undefined,
      done: Promise.resolve(),
    };
    (turn as ActiveTurn & { interrupted: Promise<number> }).interrupted = interrupted;
    return turn;
  }

  private turnOptions(turn: ActiveTurn) {
    const stop = () => turn.controller.abort(this.connection.signal.reason);
    this.connection.signal.addEventListener("abort", stop, { once: true });
    turn.detach = () => this.connection.signal.removeEventListener("abort", stop);
    return {
      reply: this.options.responseFormat,
      signal: turn.controller.signal,
      delivered: async (done: {
        interactionId: string;
        messageId: string;
        fullMessage: string;
      }): Promise<Delivery> => {
        turn.production = "delivering";
        turn.interactionId = done.interactionId;
        turn.messageId = done.messageId;
        if (turn.pacer === undefined) return { kind: "all" };
        turn.pacer.end();
        // Every chunk went out before the reply was known to be complete: a last, empty one says so.
        if (turn.pacer.pendingChunks === 0) this.sendLastMarker(turn);
        const interrupted = (turn as ActiveTurn & { interrupted: Promise<number> }).interrupted;
        const heardMs = await Promise.race([turn.pacer.playedOut.then(() => -1), interrupted]);
        if (heardMs < 0) return { kind: "all" };
        const heardText = heardPrefix(done.fullMessage, turn.pieces, heardMs);
        this.send("server.agent-interrupted", {
          interaction_id: done.interactionId,
          message_id: done.messageId,
          heard_ms: Math.round(heardMs),
          heard_text: heardText,
          rolled_back: heardText === "",
        });
        if (heardText === "") {
          this.carriedText = turn.userText;
          return { kind: "none" };
        }
        return { kind: "prefix", text: heardText };
      },
    };
  }

  private async runTurn(turn: ActiveTurn, input: InteractionInput): Promise<void> {
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

  /** Sends a turn's events as server messages; agent audio goes through the pacer. */
  private async playTurn(events: AsyncGenerator<ConversationEvent>, turn: ActiveTurn): Promise<void> {
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
        if (event.type === "reply-audio") {
          turn.messageId = event.messageId;
          turn.pieces.push(event.utterance);
          turn.pacer ??= new AudioPacer((chunk) => {
            void this.sendAudio(turn, chunk, turn.audioChunksSent).catch(() => undefined);
            turn.audioChunksSent += 1;
          });
          turn.pacer.push(event.utterance.pcm, event.utterance.sampleRateHz);
          continue;
        }
        if (event.type === "complete") {
          if (latency !== undefined)
            this.send("server.latency-report", { ...latency.report(), type: undefined });
          this.send("server.interaction-complete", {
            interaction_id: event.interactionId,
            message_id: event.messageId,
            full_message: event.fullMessage,
            conversation_completed: event.conversationCompleted,
            interrupted: event.interrupted === true,
            heard_ms: turn.pacer === undefined ? null : Math.round(turn.pacer.heardMs()),
          });
          observer.finish("completed");
          continue;
        }
        const wire = wireEventOf(event, this.options.filter);
        if (wire !== undefined) this.send(`server.${wire.type}`, { ...wire, type: undefined });
      }
    } catch (error) {
      turn.pacer?.stop();
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
        this.carriedText = turn.userText;
        return;
      }
      observer.finish("failed");
      const appError = toAppError(error);
      if (appError.httpStatus >= 500) this.deps.log.error({ err: error }, "real-time interaction failed");
      this.sendError(appError, false);
    } finally {
      turn.detach();
      if (this.turn === turn) this.turn = undefined;
    }
  }

  private async sendAudio(turn: ActiveTurn, chunk: PacedChunk, sequence: number): Promise<void> {
    const isLast =
      turn.production === "delivering" && chunk.offsetMs + chunk.durationMs >= totalMs(turn.pieces) - 0.5;
    const bytes =
      this.options.audioFormat === "mp3"
        ? await encodeMp3Piece(chunk.pcm, SESSION_RATE_HZ)
        : encodePcm16(chunk.pcm);
    this.send("server.new-message", {
      message_id: turn.messageId,
      message: Buffer.from(bytes).toString("base64"),
      sequence_number: sequence,
      stop: isLast,
      transcript_alignment: alignmentWithin(turn.pieces, chunk.offsetMs, chunk.offsetMs + chunk.durationMs),
      audio_offset_ms: Math.round(chunk.offsetMs),
      duration_ms: Math.round(chunk.durationMs),
      filler: false,
    });
  }

  private sendLastMarker(turn: ActiveTurn): void {
    this.send("server.new-message", {
      message_id: turn.messageId,
      message: "",
      sequence_number: turn.audioChunksSent,
      stop: true,
      transcript_alignment: [],
      audio_offset_ms: Math.round(turn.pacer?.sentAudioMs ?? 0),
      duration_ms: 0,
      filler: false,
    });
  }

  /** Barge-in: stops the agent's audio at once and cancels or cuts its reply. */
  private interruptReply(): void {
    const turn = this.turn;
    if (turn === undefined) return;
    if (turn.production === "running") {
      turn.pacer?.stop();
      turn.controller.abort(new DOMException("The user interrupted", "AbortError"));
      return;
    }
    if (turn.pacer === undefined) return;
    const clockMs = turn.pacer.stop();
    turn.interrupt(turn.playedMs ?? clockMs);
  }
}

function totalMs(pieces: SpokenPiece[]): number {
  return pieces.reduce((n, p) => n + p.durationMs, 0);
}

/** The alignment entries whose time falls in [fromMs, toMs). */
function alignmentWithin(pieces: SpokenPiece[], fromMs: number, toMs: number): [number, string][] {
  return pieces.flatMap((p) => p.alignment).filter(([ms]) => ms >= fromMs && ms < toMs);
}

/**
 * The start of `fullMessage` that was heard: each spoken piece is found in the message in order, and
 * a piece counts up to its last character whose alignment time is below `heardMs`.
 */
export function heardPrefix(fullMessage: string, pieces: SpokenPiece[], heardMs: number): string {
  let cursor = 0;
  let heardEnd = 0;
  for (const piece of pieces) {
    const at = fullMessage.indexOf(piece.text.trim(), cursor);
    if (at < 0) break;
    const heardChars = piece.alignment.filter(([ms]) => ms < heardMs).length;
    if (heardChars === 0) break;
    const spoken = Math.min(piece.text.trim().length, heardChars);
    heardEnd = at + spoken;
    cursor = at + piece.text.trim().length;
    if (spoken < piece.text.trim().length) break;
  }
  return fullMessage.slice(0, heardEnd).trim();
}

/** The WebSocket close code of a fatal error: 4000 + its HTTP status, as docs/realtime.md lists. */
export function closeCodeOf(error: AppError): number {
  if (error.httpStatus >= 500 && error.code !== "service_unavailable") return CLOSE.internal;
  return 4000 + error.httpStatus;
}
