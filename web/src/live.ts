/**
 * Live mode: the microphone streams over the real-time WebSocket (VAD turns), the agent's audio plays as
 * it streams, playback position is reported back, and a barge-in flushes what was not played.
 */
import type { Api } from "./api.js";
import { openMicrophone, type Microphone } from "./microphone.js";
import { base64ToBytes, floatToPcm16, pcm16ToFloat } from "./pcm.js";
import type { Player } from "./player.js";
import type { AgentBubble, Transcript } from "./transcript.js";

type ServerMessage = { type: string; seq: number; [field: string]: unknown };

declare global {
  interface Window {
    /** Every server message of live mode (audio payloads left out), for tests and debugging. */
    parleyLive: { type: string; [field: string]: unknown }[];
  }
}

/** How often the page reports how much of the running reply it has played. */
const PLAYBACK_REPORT_INTERVAL_MS = 250;

export interface LiveCallbacks {
  onStatus(text: string): void;
  onError(text: string): void;
  onConversation(conversationId: string): void;
  onEnded(): void;
}

/** One live session: open with {@link LiveSession.start}, end with {@link LiveSession.stop}. */
export class LiveSession {
  private socket: WebSocket | undefined;
  private microphone: Microphone | undefined;
  private started = false;
  private bubbles = new Map<string, AgentBubble>();
  /** The filler being spoken for a reply (its chunks carry the reply's message id). */
  private fillerBubbles = new Map<string, AgentBubble>();
  /** The last filler spoken for each reply (marked when the reply is interrupted during it). */
  private spokenFillers = new Map<string, AgentBubble>();
  /** The reply whose audio (answer or filler) came last, until its interaction completes. */
  private lastSpokenId: string | undefined;
  /** The reply whose audio is playing or arriving (its position is reported). */
  private currentMessageId: string | undefined;
  private reportTimer: ReturnType<typeof setInterval> | undefined;
  private report: Record<string, unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly api: Api,
    private readonly context: AudioContext,
    private readonly player: Player,
    private readonly transcript: Transcript,
    private readonly callbacks: LiveCallbacks,
  ) {
    window.parleyLive ??= [];
  }

  /** Opens the microphone and the socket, then starts (or continues) the conversation in VAD mode. */
  async start(target: { conversationId: string } | { serviceId: string }): Promise<void> {
    const token = await this.api.idToken();
    this.microphone = await openMicrophone(this.context, (samples) => this.sendAudio(samples));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = "response_format=voice&audio_format=pcm&include_latency_report=true";
    const url = `${scheme}://${location.host}/v1/${encodeURIComponent(this.api.organizationId)}/conversation/converse_realtime?${query}`;
    const socket = new WebSocket(url, [`bearer.authorization.amigo.ai.${token}`]);
    this.socket = socket;
    socket.onopen = () => {
      socket.send(
        JSON.stringify({
          type: "client.start-conversation",
          ...("conversationId" in target
            ? { conversation_id: target.conversationId }
            : { service_id: target.serviceId }),
          vad_mode: true,
          request_audio_config: {
            type: "pcm",
            frame_rate: this.microphone?.sampleRateHz ?? 48_000,
            n_channels: 1,
            sample_width: 2,
          },
        }),
      );
    };
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (typeof event.data === "string") this.handle(JSON.parse(event.data) as ServerMessage);
    };
    socket.onclose = (event) => this.ended(event.code, event.reason);
    this.reportTimer = setInterval(() => this.reportPlayback(), PLAYBACK_REPORT_INTERVAL_MS);
    this.callbacks.onStatus("Live: connecting…");
  }

  /** Ends the session; the conversation stays open (it can be continued). */
  stop(): void {
    this.stopping = true;
    this.microphone?.stop();
    this.microphone = undefined;
    if (this.socket?.readyState === WebSocket.OPEN && this.started) {
      this.socket.send(JSON.stringify({ type: "client.close-connection" }));
    } else {
      this.socket?.close(1000);
    }
  }

  private sendAudio(samples: Float32Array): void {
    if (!this.started || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(floatToPcm16(samples));
  }

  private reportPlayback(): void {
    const messageId = this.currentMessageId;
    if (messageId === undefined || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(
      JSON.stringify({
        type: "client.playback-position",
        message_id: messageId,
        played_ms: this.player.playedMs(messageId),
      }),
    );
    if (!this.player.isPlaying(messageId)) this.currentMessageId = undefined;
  }

  private bubbleFor(messageId: string): AgentBubble {
    let bubble = this.bubbles.get(messageId);
    if (bubble === undefined) {
      bubble = this.transcript.addAgent();
      this.bubbles.set(messageId, bubble);
    }
    return bubble;
  }

  private handle(message: ServerMessage): void {
    const { message: payload, ...visible } = message;
    window.parleyLive.push(
      message.type === "server.new-message" ? { ...visible, audio_chars: String(payload).length } : message,
    );
    switch (message.type) {
      case "server.conversation-created":
        this.started = true;
        this.callbacks.onConversation(String(message.conversation_id));
        this.callbacks.onStatus("Live: listening. Speak any time, also over the agent.");
        break;
      case "server.vad-speech-started":
        this.callbacks.onStatus("Live: hearing you…");
        break;
      case "server.vad-speech-ended":
      case "server.vad-speech-reset-zero":
        this.callbacks.onStatus("Live: listening.");
        break;
      case "server.user-transcript-partial":
        this.transcript.setPartial(String(message.text));
        break;
      case "server.user-message-available":
        this.transcript.setPartial("");
        this.transcript.addUser(String(message.user_message), true);
        break;
      case "server.current-agent-action":
        this.transcript.addAction(message.action as Record<string, unknown>);
        break;
      case "server.new-message":
        this.newMessage(message);
        break;
      case "server.latency-report":
        this.report = message;
        break;
      case "server.agent-paused":
        this.callbacks.onStatus("Live: the agent pauses while it listens to you…");
        break;
      case "server.agent-resumed":
        this.callbacks.onStatus("Live: the agent goes on.");
        break;
      case "server.agent-interrupted":
        this.interrupted(message);
        break;
      case "server.interaction-complete": {
        this.lastSpokenId = undefined;
        const bubble = this.bubbleFor(String(message.message_id));
        if (message.interrupted !== true) bubble.setText(String(message.full_message));
        if (this.report !== undefined) bubble.latency(this.report);
        this.report = undefined;
        if (message.conversation_completed === true)
          this.transcript.addNote("The agent ended the conversation.");
        break;
      }
      case "server.timeout-warning":
        this.socket?.send(JSON.stringify({ type: "client.extend-timeout" }));
        break;
      case "server.error":
        this.callbacks.onError(`Live: ${String(message.error_description)}`);
        break;
      default:
        break;
    }
  }

  private newMessage(message: ServerMessage): void {
    const filler = message.filler === true;
    const messageId = String(message.message_id);
    const alignment = Array.isArray(message.transcript_alignment) ? message.transcript_alignment : [];
    const text = alignment.map((pair) => (Array.isArray(pair) ? String(pair[1]) : "")).join("");
    let bubble: AgentBubble;
    if (filler) {
      bubble = this.fillerBubbles.get(messageId) ?? this.transcript.addAgent(true);
      this.fillerBubbles.set(messageId, bubble);
      this.spokenFillers.set(messageId, bubble);
      if (message.stop === true) this.fillerBubbles.delete(messageId);
    } else {
      bubble = this.bubbleFor(messageId);
    }
    bubble.append(text);
    const samples = pcm16ToFloat(base64ToBytes(String(message.message)));
    // A filler is played but is not part of the reply: its time is not reported as the reply's.
    this.player.enqueue(filler ? `filler:${messageId}` : messageId, samples, 16_000, {
      filler,
      source: "live",
    });
    if (!filler) this.currentMessageId = messageId;
    this.lastSpokenId = messageId;
  }

  private interrupted(message: ServerMessage): void {
    const messageId = typeof message.message_id === "string" ? message.message_id : this.lastSpokenId;
    this.player.flush();
    this.currentMessageId = undefined;
    this.lastSpokenId = undefined;
    if (messageId === undefined) return;
    // Interrupted during its answer, or during the filler before it.
    const bubble = this.bubbles.get(messageId) ?? this.spokenFillers.get(messageId);
    bubble?.interrupted(String(message.heard_text), bubble.textShown, message.rolled_back === true);
  }

  private ended(code: number, reason: string): void {
    if (this.reportTimer !== undefined) clearInterval(this.reportTimer);
    this.microphone?.stop();
    this.microphone = undefined;
    this.player.flush();
    this.transcript.setPartial("");
    if (!this.stopping && code !== 1000) {
      this.callbacks.onError(`Live mode ended (close ${code}${reason === "" ? "" : `: ${reason}`})`);
    }
    this.callbacks.onEnded();
  }
}
