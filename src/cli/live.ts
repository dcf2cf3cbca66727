import fs from "node:fs";
import WebSocket from "ws";
import { openAudioDecoder } from "../engines/codec/open-decoder.js";
import { joinSamples } from "../lib/samples.js";
import { toMonoInt16 } from "../pipeline/stages/resample.js";
import { ApiClient } from "./api-client.js";
import { CliError, EXIT, unreachable } from "./cli-error.js";
import { parseCommandLine, resolveCredentials } from "./client-options.js";

export const LIVE_USAGE = `parley live --file in.wav [--finish] [--json] [credentials]
  Streams the file over the real-time WebSocket at real-time pace (VAD turns) and prints the events as
  they come. Then keeps streaming silence until the last turn has been answered, and closes (--finish
  finishes the conversation). --json prints every server message as JSON (audio left out).`;

/** Audio sent per binary frame. */
const FRAME_MS = 20;
const SAMPLES_PER_MS = 16;
/** Silence streamed after the file, before waiting for the last turn (lets the VAD close it). */
const TRAILING_SILENCE_MS = 1500;
/** The longest wait for the last turn's answer once the file and its trailing silence are sent. */
const LAST_TURN_TIMEOUT_MS = 60_000;

type ServerMessage = { type: string; seq: number; [field: string]: unknown };

/** The file as 16 kHz mono PCM (any format the server takes: WAV, MP3, FLAC). */
async function decodeFile(file: string): Promise<Int16Array> {
  const bytes = fs.readFileSync(file);
  async function* body(): AsyncIterable<Uint8Array> {
    yield bytes;
  }
  try {
    const parts: Int16Array[] = [];
    const decoder = openAudioDecoder({ contentType: undefined, audioConfig: undefined });
    for await (const part of toMonoInt16(decoder(body(), { signal: new AbortController().signal }))) {
      parts.push(part);
    }
    const samples = joinSamples(parts);
    if (samples.length === 0) throw new Error("no audio in the file");
    return samples;
  } catch (error) {
    throw new CliError(
      EXIT.unsupportedAudio,
      `Cannot decode ${file} (WAV, MP3 or FLAC expected): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** One line per event worth reading; audio chunks are summed per reply instead of listed. */
function describe(message: ServerMessage, audioMs: Map<string, number>): string | undefined {
  const pad = (name: string) => name.padEnd(18);
  switch (message.type) {
    case "server.conversation-created":
      return `${pad("conversation")}${String(message.conversation_id)}${message.continued === true ? " (continued)" : ""}`;
    case "server.vad-speech-started":
      return `${pad("speech started")}at ${String(message.audio_start_ms)} ms`;
    case "server.vad-speech-ended":
      return `${pad("speech ended")}at ${String(message.audio_end_ms)} ms`;
    case "server.vad-speech-reset-zero":
      return `${pad("speech reset")}${String(message.reason)}`;
    case "server.user-transcript-partial":
      return `${pad("partial")}${String(message.text)}`;
    case "server.user-message-available":
      return `${pad("user")}${String(message.user_message)}`;
    case "server.current-agent-action": {
      const action = message.action as Record<string, unknown>;
      const next = typeof action.next_state === "string" ? ` → ${action.next_state}` : "";
      return `${pad("agent step")}${String(action.type)}${next}`;
    }
    case "server.new-message": {
      const id = String(message.message_id);
      const before = audioMs.get(id) ?? 0;
      audioMs.set(id, before + Number(message.duration_ms ?? 0));
      if (message.filler === true) return `${pad("filler")}(${String(message.duration_ms)} ms)`;
      return before === 0 ? `${pad("agent speaking")}message ${id}` : undefined;
    }
    case "server.agent-interrupted":
      return `${pad("interrupted")}heard ${String(message.heard_ms)} ms: "${String(message.heard_text)}"${message.rolled_back === true ? " (rolled back)" : ""}`;
    case "server.interaction-complete": {
      const audio = audioMs.get(String(message.message_id));
      const seconds = audio === undefined ? "" : ` (${(audio / 1000).toFixed(1)} s of audio)`;
      return `${pad("agent")}${String(message.full_message)}${message.interrupted === true ? " [cut]" : ""}${seconds}`;
    }
    case "server.conversation-finished":
      return `${pad("finished")}${String(message.conversation_id)}`;
    case "server.error":
      return `${pad("error")}${String(message.http_error_code)} ${String(message.error_description)}`;
    default:
      return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `parley live`: a file streamed at real-time pace over the WebSocket, events printed as they come. */
export async function liveCommand(args: string[]): Promise<void> {
  const { values } = parseCommandLine(args, {
    file: { type: "string", short: "f" },
    finish: { type: "boolean" },
    json: { type: "boolean" },
  });
  if (values.help === true) {
    process.stdout.write(`${LIVE_USAGE}\n`);
    return;
  }
  if (values.file === undefined) throw new CliError(EXIT.usage, `--file is required.\n${LIVE_USAGE}`);
  if (!fs.existsSync(values.file)) throw new CliError(EXIT.usage, `No such file: ${values.file}`);
  const samples = await decodeFile(values.file);
  const credentials = resolveCredentials(values);
  const client = new ApiClient(credentials);
  const token = await client.signIn();

  const url = `${credentials.baseUrl.replace(/^http/, "ws")}/v1/${encodeURIComponent(credentials.organizationId)}/conversation/converse_realtime`;
  const socket = new WebSocket(url, [`bearer.authorization.amigo.ai.${token}`]);
  const audioMs = new Map<string, number>();
  let created: ((continued: boolean) => void) | undefined;
  const started = new Promise<boolean>((resolve) => (created = resolve));
  let greeted: (() => void) | undefined;
  const greeting = new Promise<void>((resolve) => (greeted = resolve));
  /** Turns heard but not yet answered (speech ended or a user message, until complete or rolled back). */
  let openTurns = 0;
  let fatal: ServerMessage | undefined;
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const message = JSON.parse(data.toString("utf8")) as ServerMessage;
    if (values.json === true) {
      const { message: payload, ...rest } = message;
      const shown =
        message.type === "server.new-message"
          ? { ...rest, audio_bytes: Buffer.from(String(payload), "base64").length }
          : message;
      process.stdout.write(`${JSON.stringify(shown)}\n`);
    } else {
      const line = describe(message, audioMs);
      if (line !== undefined) process.stdout.write(`${line}\n`);
    }
    if (message.type === "server.conversation-created") created?.(message.continued === true);
    if (message.type === "server.interaction-complete") greeted?.();
    if (message.type === "server.vad-speech-ended") openTurns += 1;
    if (message.type === "server.interaction-complete" && message.message_id !== undefined) {
      openTurns = Math.max(0, openTurns - 1);
    }
    if (message.type === "server.agent-interrupted" && message.rolled_back === true) {
      openTurns = Math.max(0, openTurns - 1);
    }
    if (message.type === "server.error" && message.fatal === true) fatal = message;
    // A turn that fails (no speech in it, for one) is answered by its error.
    if (message.type === "server.error" && message.fatal !== true) openTurns = Math.max(0, openTurns - 1);
  });
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", (error) => reject(unreachable(credentials.baseUrl, error)));
  });
  await opened;
  socket.send(
    JSON.stringify({
      type: "client.start-conversation",
      ...(values.conversation === undefined
        ? { service_id: credentials.serviceId }
        : { conversation_id: values.conversation }),
      vad_mode: true,
    }),
  );
  const outcome = await Promise.race([started, closed]);
  if (typeof outcome === "number") throw closeError(outcome, fatal);
  // A new conversation's greeting plays first; the file starts once it has played out.
  if (!outcome) {
    const ended = await Promise.race([greeting.then(() => undefined), closed]);
    if (ended !== undefined) throw closeError(ended, fatal);
  }

  const silence = new Int16Array(FRAME_MS * SAMPLES_PER_MS);
  const frameSamples = FRAME_MS * SAMPLES_PER_MS;
  const startedAt = Date.now();
  let sentMs = 0;
  const sendFrame = async (frame: Int16Array) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    sentMs += FRAME_MS;
    const ahead = startedAt + sentMs - Date.now();
    if (ahead > 0) await sleep(ahead);
  };
  for (let offset = 0; offset < samples.length; offset += frameSamples) {
    await sendFrame(samples.subarray(offset, offset + frameSamples));
  }
  for (let ms = 0; ms < TRAILING_SILENCE_MS; ms += FRAME_MS) await sendFrame(silence);
  const waitUntil = Date.now() + LAST_TURN_TIMEOUT_MS;
  while (openTurns > 0 && socket.readyState === WebSocket.OPEN && Date.now() < waitUntil) {
    await sendFrame(silence);
  }
  if (socket.readyState === WebSocket.OPEN) {
    socket.send(
      JSON.stringify({
        type: values.finish === true ? "client.finish-conversation" : "client.close-connection",
      }),
    );
  }
  const code = await closed;
  if (code !== 1000) throw closeError(code, fatal);
  if (openTurns > 0) throw new CliError(EXIT.failure, "The last turn was not answered in time");
}

/** The exit for a socket the server closed: 4000 + HTTP status, as the protocol says. */
function closeError(code: number, fatal: ServerMessage | undefined): CliError {
  const reason = fatal === undefined ? "" : `: ${String(fatal.error_description)}`;
  if (code === 4401 || code === 4403) {
    return new CliError(EXIT.authentication, `The server refused the credentials (close ${code})${reason}`);
  }
  if (code === 4415)
    return new CliError(EXIT.unsupportedAudio, `The server refused the audio (close ${code})${reason}`);
  return new CliError(EXIT.failure, `The server closed the connection (${code})${reason}`);
}
