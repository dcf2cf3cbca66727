/** Shows and plays one HTTP interaction (greeting, typed message or voice note) as its events stream in. */
import type { StreamEvent } from "./api.js";
import { base64ToBytes, decodeWav } from "./pcm.js";
import type { Player } from "./player.js";
import type { AgentBubble, Transcript } from "./transcript.js";

function alignedText(alignment: unknown): string {
  if (!Array.isArray(alignment)) return "";
  return alignment.map((pair) => (Array.isArray(pair) ? String(pair[1]) : "")).join("");
}

let fillerCount = 0;

/**
 * An event handler for one NDJSON turn: user message, agent steps (fillers played and marked), the reply's
 * WAV pieces played as they arrive, then the final text and the latency figures.
 */
export function httpTurnHandler(
  transcript: Transcript,
  player: Player,
  options: { spoken: boolean; onComplete: (conversationCompleted: boolean) => void },
): (event: StreamEvent) => void {
  let bubble: AgentBubble | undefined;
  let report: Record<string, unknown> | undefined;
  return (event) => {
    switch (event.type) {
      case "user-message-available":
        transcript.addUser(String(event.user_message), options.spoken);
        break;
      case "current-agent-action": {
        const action = event.action as Record<string, unknown>;
        transcript.addAction(action);
        if (action.type === "action-too-long" && typeof action.filler === "string") {
          const filler = transcript.addAgent(true);
          const id = `filler-${(fillerCount += 1)}`;
          try {
            const { samples, sampleRateHz } = decodeWav(base64ToBytes(action.filler));
            filler.setText("(a filler while the agent works)");
            player.enqueue(id, samples, sampleRateHz, { filler: true, source: "http" });
          } catch {
            // A text filler (text replies) is its phrase.
            filler.setText(action.filler);
          }
        }
        break;
      }
      case "new-message": {
        bubble ??= transcript.addAgent();
        const alignment = event.transcript_alignment;
        if (alignment === null || alignment === undefined) {
          bubble.append(String(event.message));
          break;
        }
        bubble.append(alignedText(alignment));
        const audio = String(event.message);
        if (audio !== "") {
          const { samples, sampleRateHz } = decodeWav(base64ToBytes(audio));
          player.enqueue(String(event.message_id), samples, sampleRateHz, { filler: false, source: "http" });
        }
        break;
      }
      case "latency-report":
        report = event;
        break;
      case "interaction-complete":
        bubble ??= transcript.addAgent();
        bubble.setText(String(event.full_message));
        if (report !== undefined) bubble.latency(report);
        options.onComplete(event.conversation_completed === true);
        break;
      default:
        break;
    }
  };
}
