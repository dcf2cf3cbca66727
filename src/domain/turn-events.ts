import type { AgentAction } from "./agent.js";

/**
 * What one turn produces, transport-free: every transport maps these to its wire (protocol/wire.ts),
 * and observers (latency report, metrics) watch them.
 */

/** What the recognizer made of one utterance. */
export interface Recognition {
  text: string;
  /** Milliseconds of audio in the utterance. */
  audioMs: number;
  /** Which recognizer's result was used; `grammarConfidence` is the grammar result's agreement (0..1). */
  mode: "open" | "grammar";
  grammarConfidence: number | undefined;
  openText: string | undefined;
  grammarText: string | undefined;
  /** `performance.now()` when the final transcript was ready. */
  transcriptAt: number;
  /** Audio (ms) the recognizer had heard when the input ended: shows recognition ran during the upload. */
  recognizedMsAtInputEnd: number;
  /** `performance.now()` when the input's last byte arrived (0 when not told). */
  inputEndedAt: number;
  /** The speech recognizer that produced `text` (a fallback's name when one took over). */
  engine?: string;
}

/** One spoken piece of the reply (a sentence), transport-free: the transport encodes `pcm`. */
export interface Utterance {
  /** Mono signed 16-bit samples. */
  pcm: Int16Array;
  sampleRateHz: number;
  text: string;
  /** `[ms from the start of the reply's audio, character]` for each character the piece speaks. */
  alignment: [number, string][];
  durationMs: number;
  /** 0, 1, 2… in the order spoken. */
  sequence: number;
  /** True for the reply's last piece. */
  isLast: boolean;
}

/** Stage marks for observers (latency report, metrics); transports ignore them. */
export type TurnStage = "agent-started" | "agent-first-text" | "agent-done";

/** What a turn produces, transport-free; `atMs` is `performance.now()` when it happened. */
export type TurnEvent = { atMs: number } &
  /** `engine` (on `agent-done`): the agent engine that answered (a fallback's name when it did). */
  (
    | { type: "stage"; stage: TurnStage; engine?: string }
    | { type: "user-message"; messageId: string; text: string; recognition?: Recognition }
    | { type: "agent-action"; action: AgentAction }
    | { type: "step-started"; step: TurnStep }
    | { type: "step-ended"; stepId: string }
    /**
     * A step outlived its filler trigger before any of the answer went out: the filler to say meanwhile
     * (`audio` in voice replies). Never part of the agent's message.
     */
    | { type: "filler"; messageId: string; step: TurnStep; text: string; audio?: FillerAudio }
    /** A piece of a text reply; the last one has `isLast` (pieces are held back by one to know it). */
    | { type: "reply-text"; messageId: string; text: string; sequence: number; isLast: boolean }
    /** A spoken piece of a voice reply. */
    | { type: "reply-audio"; messageId: string; utterance: Utterance }
    | {
        type: "complete";
        interactionId: string;
        messageId: string;
        fullMessage: string;
        conversationCompleted: boolean;
        /** True when the user interrupted the reply and only the heard prefix was kept. */
        interrupted?: boolean;
      }
  );

/** A long-running step of the agent (a tool call, a decision) that may deserve a filler. */
export interface TurnStep {
  stepId: string;
  /** The action event that announced the step. */
  startedEvent: AgentAction;
  /** Authored filler phrases; empty when the place has none. */
  fillers: string[];
  /** Seconds after which a filler is due; absent when there are no fillers. */
  fillerTriggeredAfterSeconds?: number;
}

/** A filler phrase spoken in the reply's voice, 16 kHz mono. */
export interface FillerAudio {
  pcm: Int16Array;
  sampleRateHz: number;
  /** `[ms from the start of the filler's audio, character]` for each character spoken. */
  alignment: [number, string][];
  durationMs: number;
  /** The spec's form of the filler: a mono 16-bit 16 kHz WAV file, base64. */
  wavBase64: string;
}

/** The events of a conversation's stream: its creation, then its turn's events. */
export type ConversationEvent =
  TurnEvent | { type: "conversation-created"; conversationId: string; atMs: number };
