/** Replays a past conversation: its messages in order, with the recorded audio of spoken ones. */
import type { Api } from "./api.js";

/** Fills `list` with the messages of `conversationId` and shows `panel`. */
export async function showReplay(
  api: Api,
  conversationId: string,
  panel: HTMLElement,
  list: HTMLOListElement,
  title: HTMLElement,
): Promise<void> {
  const messages = await api.messages(conversationId);
  list.replaceChildren();
  for (const message of messages) {
    if (message.message_type !== "user-message" && message.message_type !== "agent-message") continue;
    const fromUser = message.message_type === "user-message";
    const item = document.createElement("li");
    item.className = fromUser ? "message user" : "message agent";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = fromUser ? "You" : "Agent";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = message.message;
    item.append(who, text);
    if (fromUser && message.format === "voice") {
      const recording = await api.messageAudio(conversationId, message.id);
      const player = document.createElement("audio");
      player.controls = true;
      player.src = URL.createObjectURL(recording);
      player.setAttribute("aria-label", "Your recording");
      item.append(player);
    }
    list.append(item);
  }
  panel.hidden = false;
  title.focus();
}
