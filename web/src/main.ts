/** The Parley web page: sign in, pick a service, talk (typed, push-to-talk or live), replay the past. */
import { Api, ApiError, type Credentials } from "./api.js";
import { httpTurnHandler } from "./http-turn.js";
import { LiveSession } from "./live.js";
import { Player } from "./player.js";
import { wirePushToTalk } from "./push-to-talk.js";
import { showReplay } from "./replay.js";
import { Transcript } from "./transcript.js";

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

const signinForm = byId<HTMLFormElement>("signin-form");
const servicePanel = byId<HTMLElement>("service-panel");
const serviceSelect = byId<HTMLSelectElement>("service-select");
const startButton = byId<HTMLButtonElement>("start-button");
const historyList = byId<HTMLUListElement>("history-list");
const conversationPanel = byId<HTMLElement>("conversation-panel");
const textForm = byId<HTMLFormElement>("text-form");
const textInput = byId<HTMLInputElement>("text-input");
const pttButton = byId<HTMLButtonElement>("ptt-button");
const liveButton = byId<HTMLButtonElement>("live-button");
const finishButton = byId<HTMLButtonElement>("finish-button");
const statusLine = byId<HTMLElement>("status");
const alertLine = byId<HTMLElement>("alert");
const transcript = new Transcript(
  byId<HTMLOListElement>("transcript"),
  byId<HTMLElement>("partial"),
  byId<HTMLOListElement>("actions"),
);

let api: Api | undefined;
let audioContext: AudioContext | undefined;
let player: Player | undefined;
let conversationId: string | undefined;
let live: LiveSession | undefined;
let busy = false;

function setStatus(text: string): void {
  statusLine.textContent = text;
}

function showError(text: string): void {
  alertLine.textContent = text;
  alertLine.hidden = text === "";
}

function describe(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return "Sign-in failed: check the ids and the key.";
  return error instanceof Error ? error.message : String(error);
}

/** The one AudioContext, made on a user gesture (browsers keep contexts made earlier suspended). */
function audio(): AudioContext {
  audioContext ??= new AudioContext();
  if (audioContext.state === "suspended") void audioContext.resume();
  player ??= new Player(audioContext);
  return audioContext;
}

function audioPlayer(): Player {
  audio();
  return player as Player;
}

function setTalking(enabled: boolean): void {
  for (const control of [textInput, pttButton, finishButton]) control.disabled = !enabled || busy;
  textForm.querySelector("button")?.toggleAttribute("disabled", !enabled || busy);
  liveButton.disabled = !enabled || (busy && live === undefined);
}

async function run(what: string, task: () => Promise<void>): Promise<void> {
  busy = true;
  setTalking(conversationId !== undefined);
  showError("");
  setStatus(what);
  try {
    await task();
    setStatus("");
  } catch (error) {
    setStatus("");
    showError(describe(error));
  } finally {
    busy = false;
    setTalking(conversationId !== undefined);
  }
}

async function prefill(): Promise<void> {
  const response = await fetch("/web/demo-settings", { headers: { accept: "application/json" } });
  if (!response.ok) return;
  const settings = (await response.json()) as { available: boolean } & Partial<Record<string, string>>;
  if (!settings.available) return;
  byId<HTMLInputElement>("org-input").value = settings.organization_id ?? "";
  byId<HTMLInputElement>("user-input").value = settings.user_id ?? "";
  byId<HTMLInputElement>("key-id-input").value = settings.api_key_id ?? "";
  byId<HTMLInputElement>("key-input").value = settings.api_key ?? "";
  byId<HTMLElement>("demo-note").hidden = false;
}

async function loadHistory(): Promise<void> {
  if (api === undefined) return;
  const current = api;
  const conversations = await current.conversations(serviceSelect.value);
  historyList.replaceChildren();
  for (const conversation of conversations) {
    const item = document.createElement("li");
    const when = new Date(conversation.created_at).toLocaleString();
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = `Replay ${when}${conversation.is_finished ? " (finished)" : " (open)"}`;
    button.addEventListener("click", () => {
      void run("Loading the conversation…", () =>
        showReplay(current, conversation.id, byId("replay-panel"), byId("replay-list"), byId("replay-title")),
      );
    });
    item.append(button);
    historyList.append(item);
  }
  if (conversations.length === 0)
    historyList.append(Object.assign(document.createElement("li"), { textContent: "None yet." }));
}

signinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = (id: string) => byId<HTMLInputElement>(id).value.trim();
  const credentials: Credentials = {
    organizationId: value("org-input"),
    userId: value("user-input"),
    apiKeyId: value("key-id-input"),
    apiKey: value("key-input"),
  };
  void run("Signing in…", async () => {
    const candidate = new Api(credentials);
    await candidate.signIn();
    api = candidate;
    const services = await candidate.services();
    serviceSelect.replaceChildren(
      ...services.map((s) =>
        Object.assign(document.createElement("option"), { value: s.id, textContent: s.name }),
      ),
    );
    servicePanel.hidden = false;
    signinForm.hidden = true;
    byId<HTMLElement>("signed-in-text").textContent =
      `Signed in to ${credentials.organizationId} as user ${credentials.userId}.`;
    byId<HTMLElement>("signed-in").hidden = false;
    // Focus moves with the panel, not after the history loads: a keyboard user may go on at once.
    serviceSelect.focus();
    await loadHistory();
  });
});

byId<HTMLButtonElement>("change-user-button").addEventListener("click", () => {
  live?.stop();
  byId<HTMLElement>("signed-in").hidden = true;
  signinForm.hidden = false;
  byId<HTMLInputElement>("org-input").focus();
});

serviceSelect.addEventListener("change", () => void run("Loading conversations…", loadHistory));

startButton.addEventListener("click", () => {
  if (api === undefined) return;
  const current = api;
  const speaker = audioPlayer();
  live?.stop();
  void run("Starting the conversation…", async () => {
    transcript.clear();
    conversationPanel.hidden = false;
    const open = (await current.conversations(serviceSelect.value)).find((c) => !c.is_finished);
    if (open !== undefined) {
      conversationId = open.id;
      for (const message of await current.messages(open.id)) {
        if (message.message_type === "agent-message") transcript.addAgent().setText(message.message);
        else if (message.message_type === "user-message") {
          transcript.addUser(message.message, message.format === "voice");
        }
      }
      transcript.addNote("Continuing your open conversation.");
    } else {
      await current.create(serviceSelect.value, (event) => {
        if (event.type === "conversation-created") conversationId = String(event.conversation_id);
        handler(event);
      });
    }
    byId<HTMLElement>("conversation-title").focus();
    await loadHistory();
  });
  const handler = httpTurnHandler(transcript, speaker, { spoken: false, onComplete: completed });
});

function completed(conversationCompleted: boolean): void {
  if (conversationCompleted) {
    transcript.addNote("The agent ended the conversation.");
    conversationId = undefined;
  }
}

function interact(input: { text: string } | { recording: Blob }): void {
  if (api === undefined || conversationId === undefined) return;
  const current = api;
  const id = conversationId;
  const handler = httpTurnHandler(transcript, audioPlayer(), {
    spoken: "recording" in input,
    onComplete: completed,
  });
  void run("recording" in input ? "Sending your voice note…" : "Sending…", () =>
    current.interact(id, input, handler),
  );
}

textForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = textInput.value.trim();
  if (text === "") return;
  textInput.value = "";
  interact({ text });
});

wirePushToTalk(pttButton, audio, (recording) => interact({ recording }), showError);

liveButton.addEventListener("click", () => {
  if (live !== undefined) {
    live.stop();
    return;
  }
  if (api === undefined) return;
  const session = new LiveSession(api, audio(), audioPlayer(), transcript, {
    onStatus: setStatus,
    onError: showError,
    onConversation: (id) => {
      conversationId = id;
    },
    onEnded: () => {
      live = undefined;
      liveButton.textContent = "Start live mode";
      liveButton.setAttribute("aria-pressed", "false");
      setStatus("");
      setTalking(conversationId !== undefined);
    },
  });
  live = session;
  liveButton.textContent = "Stop live mode";
  liveButton.setAttribute("aria-pressed", "true");
  for (const control of [textInput, pttButton, finishButton]) control.disabled = true;
  showError("");
  const target = conversationId !== undefined ? { conversationId } : { serviceId: serviceSelect.value };
  session.start(target).catch((error: unknown) => {
    showError(describe(error));
    session.stop();
  });
});

finishButton.addEventListener("click", () => {
  if (api === undefined || conversationId === undefined) return;
  const current = api;
  const id = conversationId;
  void run("Finishing…", async () => {
    await current.finish(id);
    conversationId = undefined;
    transcript.addNote("Conversation finished.");
    await loadHistory();
  });
});

setTalking(false);
prefill().catch(() => undefined);
