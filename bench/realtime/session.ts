import type { ServerMessage } from "../../test/helpers/realtime-client.js";
import { Line, type Target, type VadEcho } from "./line.js";
import type { SpeechTimes } from "./microphone.js";
import type { SpokenClip } from "./speech.js";

/**
 * A barge-in turn's first speech sample is sent this long after the first audio chunk of the reply it
 * cuts arrived (early enough that the demo's shortest replies, "Thank you." at about 1 s, are still playing).
 */
export const BARGE_IN_AFTER_MS = 200;
/** A session that fails more turns than this gives up its remaining turns. */
const MAX_FAILED_TURNS = 3;

/** What one session measured. Times are client-side, in milliseconds. */
export interface SessionFigures {
  /** Per turn: last speech sample sent → first audio chunk of the reply. */
  firstAudioMs: number[];
  /** Per turn: arrival of the turn's server.vad-speech-ended → first audio chunk of the reply. */
  endpointToAudioMs: number[];
  /** Per turn: send time of the clip's last speech sample → arrival of the turn's server.vad-speech-ended. */
  speechEndToEndpointMs: number[];
  /**
   * Per completed spoken turn, from its server.latency-report (server clock, from the end of the
   * utterance's input): the final transcript, the agent's first text, the first audio chunk. Replies cut
   * by a barge-in send none.
   */
  serverTranscriptMs: number[];
  serverAgentFirstTextMs: number[];
  serverFirstAudioMs: number[];
  /** Per turn: the ended utterance's audio_end_ms − where the clip's speech ended in the stream. */
  detectorEndOffsetMs: number[];
  /** The same for turns spoken while the agent was not talking, and for barge-in turns. */
  firstAudioCalmMs: number[];
  firstAudioBargeInMs: number[];
  /** Per barge-in: first speech sample sent → last audio chunk of the cut reply (0 if none came after). */
  bargeInMs: number[];
  /**
   * Per barge-in: first speech sample sent → the stop (server.agent-paused, else agent-interrupted);
   * negative when the VAD heard the clip's lead-in and paused the agent before the words.
   */
  stoppedMs: number[];
  /** Per barge-in: first speech sample sent → server.agent-interrupted. */
  interruptedMs: number[];
  /**
   * Barge-ins that found the reply already over, or whose audio had all been sent before the speech
   * (no chunk in the 200 ms, one chunk's length, before it).
   */
  bargeInMissed: number;
  /** Barge-ins whose reply had been interrupted before the clip began (by the previous clip's tail). */
  bargeInEarly: number;
  /** Turns whose clip the VAD ended more than once (the turn's reply may then be a partial one). */
  splitTurns: number;
  /** Conversations the agent ended (goodbye); the session then starts a new one. */
  conversationsEnded: number;
  framesSent: number;
  lateFrames: number;
  maxLatenessMs: number;
  /** Sockets the server closed with 1013 (input backlog over 10 s). */
  overloadCloses: number;
  failedTurns: number;
  errors: string[];
  vad: VadEcho | undefined;
}

/** The reply of the previous turn. */
interface Reply {
  messageId: unknown;
  firstAudioAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * One user's real-time conversation of `turns` spoken turns, from `clips` in turn (starting at
 * `firstClip`). Every odd turn barges in: its speech starts 0.2 s into the previous reply's audio;
 * the others wait for the previous reply to end. The microphone streams silence between clips. A
 * finished conversation (the agent said goodbye) or a failed turn starts a new conversation; a session
 * gives up after more than 3 failed turns.
 */
export async function runSession(
  target: Target,
  token: string,
  clips: SpokenClip[],
  turns: number,
  firstClip = 0,
): Promise<SessionFigures> {
  const figures: SessionFigures = {
    firstAudioMs: [],
    endpointToAudioMs: [],
    speechEndToEndpointMs: [],
    detectorEndOffsetMs: [],
    serverTranscriptMs: [],
    serverAgentFirstTextMs: [],
    serverFirstAudioMs: [],
    firstAudioCalmMs: [],
    firstAudioBargeInMs: [],
    bargeInMs: [],
    interruptedMs: [],
    stoppedMs: [],
    bargeInMissed: 0,
    bargeInEarly: 0,
    splitTurns: 0,
    conversationsEnded: 0,
    framesSent: 0,
    lateFrames: 0,
    maxLatenessMs: 0,
    overloadCloses: 0,
    failedTurns: 0,
    errors: [],
    vad: undefined,
  };
  const retired = new WeakSet<Line>();
  const retire = (line: Line) => {
    if (retired.has(line)) return;
    retired.add(line);
    line.close();
    recordLatencyReports(line, figures);
    figures.framesSent += line.mic.framesSent;
    figures.lateFrames += line.mic.lateFrames;
    figures.maxLatenessMs = Math.max(figures.maxLatenessMs, line.mic.maxLatenessMs);
    if (line.closeCode === 1013) figures.overloadCloses += 1;
  };
  const open = () =>
    Line.open(target, token).catch((error: unknown) => {
      figures.errors.push(`connect: ${(error as Error).message}`);
      return undefined;
    });
  const opened = await open();
  if (opened === undefined) return figures;
  let line = opened;
  figures.vad = line.vad;
  let previous: Reply | undefined;
  for (let turn = 0; turn < turns; turn += 1) {
    const clip = clips[(firstClip + turn) % clips.length]!;
    const goodbye = () =>
      line.find((m) => m.type === "server.interaction-complete" && m.conversation_completed === true);
    try {
      const bargeIn = turn % 2 === 1 && previous !== undefined;
      if (bargeIn) {
        const leadMs = clip.speechStartSample / 16;
        await sleep(previous!.firstAudioAt + BARGE_IN_AFTER_MS - leadMs - performance.now());
      } else if (previous !== undefined) await line.replyEnd(previous.messageId);
      if (goodbye() !== undefined) {
        figures.conversationsEnded += 1;
        retire(line);
        const next = await open();
        if (next === undefined) return figures;
        line = next;
        previous = undefined;
      }
      const seenBefore = line.client.messages.length;
      const spoken = await line.mic.say(clip);
      if (bargeIn && previous !== undefined) await measureBargeIn(line, previous, spoken, figures);
      const heard = await line.until(
        (m) => m.type === "server.user-message-available" && line.arrivalOf(m) > spoken.speechEndAt,
        "the transcript",
        30_000,
      );
      const first = await line.until(
        (m) => m.type === "server.new-message" && m.seq > heard.seq,
        "the reply's audio",
        30_000,
      );
      const firstAudioMs = line.arrivalOf(first) - spoken.speechEndAt;
      figures.firstAudioMs.push(firstAudioMs);
      (bargeIn ? figures.firstAudioBargeInMs : figures.firstAudioCalmMs).push(firstAudioMs);
      const ends = line.client.messages
        .slice(seenBefore)
        .filter((m) => m.type === "server.vad-speech-ended" && m.seq < heard.seq);
      if (ends.length > 1) figures.splitTurns += 1;
      if (ends.length > 0) {
        figures.endpointToAudioMs.push(line.arrivalOf(first) - line.arrivalOf(ends.at(-1)!));
        figures.speechEndToEndpointMs.push(line.arrivalOf(ends.at(-1)!) - spoken.speechEndAt);
        figures.detectorEndOffsetMs.push((ends.at(-1)!.audio_end_ms as number) - spoken.speechEndStreamMs);
      }
      previous = { messageId: first.message_id, firstAudioAt: line.arrivalOf(first) };
    } catch (error) {
      // A barge-in can cut the agent's goodbye: the clip then meets a finished conversation, and the
      // turn is spoken again in a new one (at most `turns` times in all).
      if (goodbye() !== undefined && figures.conversationsEnded < turns) {
        figures.conversationsEnded += 1;
        turn -= 1;
      } else {
        figures.failedTurns += 1;
        figures.errors.push(`turn ${turn}: ${(error as Error).message}`);
      }
      retire(line);
      const reopened = figures.failedTurns > MAX_FAILED_TURNS ? undefined : await open();
      if (reopened === undefined) return figures;
      line = reopened;
      previous = undefined;
    }
  }
  if (previous !== undefined) await line.replyEnd(previous.messageId).catch(() => undefined);
  retire(line);
  return figures;
}

/**
 * After a barge-in clip: when the cut reply's audio stopped and its agent-interrupted arrived, both from
 * the send time of the clip's first speech sample. The audio stops at the first `server.agent-paused`
 * (speech over the agent pauses it while it is judged) or else at `server.agent-interrupted`; the figure
 * is the arrival of the last audio chunk of the reply before that (0 when all of it had arrived before the
 * speech began), and the stop's own arrival (when the client flushes). The stop the clip caused is the
 * first that arrived after the clip's first frame went out: the VAD may hear the clip's lead-in (a breath
 * below the energy threshold that marks its first speech sample) and pause the agent before the words,
 * which makes that figure negative. A reply stopped for good before the clip began counts in
 * `bargeInEarly`; one that played out without being interrupted in `bargeInMissed`.
 */
async function measureBargeIn(
  line: Line,
  cut: Reply,
  spoken: SpeechTimes,
  figures: SessionFigures,
): Promise<void> {
  const { clipStartAt, speechStartAt } = spoken;
  const end = await line.replyEnd(cut.messageId, 10_000);
  if (end.type !== "server.agent-interrupted") {
    figures.bargeInMissed += 1;
    return;
  }
  const ofReply = (m: ServerMessage) => m.message_id === cut.messageId && m.seq <= end.seq;
  const stops = line.client.messages.filter(
    (m: ServerMessage) =>
      ofReply(m) && (m.type === "server.agent-paused" || m.type === "server.agent-interrupted"),
  );
  // The stop this clip caused: the first one that arrived after its first frame went out.
  const stop = stops.find((m) => line.arrivalOf(m) >= clipStartAt);
  if (stop === undefined || stops.some((m) => m.seq < stop.seq && m.type === "server.agent-interrupted")) {
    figures.bargeInEarly += 1;
    return;
  }
  const chunkArrivals = line.client.messages
    .filter((m: ServerMessage) => ofReply(m) && m.type === "server.new-message" && m.seq < stop.seq)
    .map((m) => line.arrivalOf(m));
  // Every chunk may have arrived before the speech (the pacer sends 500 ms ahead): then no audio was
  // sent after the user began, 0 ms; the client still flushes what it has not played at the stop.
  figures.bargeInMs.push(Math.max(0, Math.max(...chunkArrivals) - speechStartAt));
  figures.stoppedMs.push(line.arrivalOf(stop) - speechStartAt);
  figures.interruptedMs.push(line.arrivalOf(end) - speechStartAt);
}

/** The server.latency-reports of the line's spoken turns (those with a recognition). */
function recordLatencyReports(line: Line, figures: SessionFigures): void {
  const add = (values: number[], value: unknown) => {
    if (typeof value === "number") values.push(value);
  };
  for (const report of line.client.messages) {
    if (report.type !== "server.latency-report" || report.recognition === null) continue;
    add(figures.serverTranscriptMs, report.body_end_to_final_transcript_ms);
    add(figures.serverAgentFirstTextMs, report.agent_first_text_ms);
    add(figures.serverFirstAudioMs, report.first_audio_ms);
  }
}
