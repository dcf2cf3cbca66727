import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { wavHeader } from "../engines/codec/encoders.js";
import { ApiClient, readEvents } from "./api-client.js";
import { CliError, EXIT } from "./cli-error.js";
import { parseCommandLine, resolveCredentials } from "./client-options.js";
import { ProgressLine } from "./progress-line.js";

export const TALK_USAGE = `parley talk --file in.wav [--out reply.mp3|reply.wav] [credentials]
  Sends the recording as a voice note and saves the spoken reply (MP3, or WAV when --out ends in .wav).
  Without --out the reply is played (mpg123, ffplay or sox's play) or, with no player, saved as reply.mp3.`;

const CONTENT_TYPES: Record<string, string> = {
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".flac": "audio/flac",
};

/** The samples of a WAV reply piece (the server's pieces: RIFF header, 16-bit mono PCM). */
function wavData(piece: Buffer): Buffer {
  let offset = 12;
  while (offset + 8 <= piece.length) {
    const size = piece.readUInt32LE(offset + 4);
    if (piece.toString("ascii", offset, offset + 4) === "data")
      return piece.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size % 2);
  }
  return Buffer.alloc(0);
}

/** One WAV file of the pieces' samples (16 kHz mono 16-bit, as the server sends them). */
function joinWavPieces(pieces: Buffer[]): Buffer {
  const data = Buffer.concat(pieces.map(wavData));
  return Buffer.concat([wavHeader(16_000, data.length), data]);
}

/** Plays an MP3 with the first player found on PATH; false when there is none. */
function play(file: string): boolean {
  const players: [string, string[]][] = [
    ["mpg123", ["-q", file]],
    ["ffplay", ["-nodisp", "-autoexit", "-loglevel", "quiet", file]],
    ["play", ["-q", file]],
  ];
  for (const [command, args] of players) {
    // A player that cannot reach a sound device normally fails at once; the timeout bounds one that hangs.
    const result = spawnSync(command, args, { stdio: "ignore", timeout: 10 * 60_000 });
    if (result.error === undefined && result.status === 0) return true;
  }
  return false;
}

/** `parley talk`: one voice note in, the spoken reply out. */
export async function talkCommand(args: string[]): Promise<void> {
  const { values } = parseCommandLine(args, {
    file: { type: "string", short: "f" },
    out: { type: "string", short: "o" },
  });
  if (values.help === true) {
    process.stdout.write(`${TALK_USAGE}\n`);
    return;
  }
  if (values.file === undefined) throw new CliError(EXIT.usage, `--file is required.\n${TALK_USAGE}`);
  if (!fs.existsSync(values.file)) throw new CliError(EXIT.usage, `No such file: ${values.file}`);
  const recording = fs.readFileSync(values.file);
  const contentType = CONTENT_TYPES[path.extname(values.file).toLowerCase()] ?? "application/octet-stream";
  const wavOut = values.out !== undefined && values.out.toLowerCase().endsWith(".wav");

  const client = new ApiClient(resolveCredentials(values));
  await client.signIn();
  const conversationId = await client.conversation(values.conversation, (event) => {
    if (event.type === "interaction-complete") process.stdout.write(`agent: ${String(event.full_message)}\n`);
  });

  const progress = new ProgressLine(process.stderr);
  const pieces: Buffer[] = [];
  let audioMs = 0;
  let transcript = "";
  progress.update(`sending ${(recording.length / 1024).toFixed(1)} kB of ${contentType}…`);
  const response = await client.request(
    `/conversation/${conversationId}/interact?request_format=voice&response_format=voice`,
    {
      method: "POST",
      headers: { "content-type": contentType, accept: wavOut ? "audio/wav" : "audio/mpeg" },
      body: recording,
    },
  );
  await readEvents(response, (event) => {
    switch (event.type) {
      case "user-message-available":
        transcript = String(event.user_message);
        progress.update(`heard: "${transcript}" · waiting for the reply…`);
        break;
      case "current-agent-action": {
        const action = event.action as { type?: unknown };
        progress.update(`heard: "${transcript}" · agent: ${String(action.type)}`);
        break;
      }
      case "new-message": {
        pieces.push(Buffer.from(String(event.message), "base64"));
        const alignment = event.transcript_alignment;
        const last = Array.isArray(alignment)
          ? (alignment.at(-1) as [number, string] | undefined)
          : undefined;
        if (last !== undefined) audioMs = Math.max(audioMs, last[0]);
        progress.update(
          `heard: "${transcript}" · reply pieces: ${pieces.length} (${(audioMs / 1000).toFixed(1)} s)`,
        );
        break;
      }
      case "interaction-complete":
        progress.done();
        process.stdout.write(`you: ${transcript}\nagent: ${String(event.full_message)}\n`);
        if (event.conversation_completed === true)
          process.stdout.write("(the agent ended the conversation)\n");
        break;
      default:
        break;
    }
  });
  progress.done();

  const audio = wavOut ? joinWavPieces(pieces) : Buffer.concat(pieces);
  if (values.out !== undefined) {
    fs.writeFileSync(values.out, audio);
    process.stdout.write(`saved the reply to ${values.out} (${audio.length} bytes)\n`);
    return;
  }
  const temp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "parley-reply-")), "reply.mp3");
  fs.writeFileSync(temp, audio);
  if (play(temp)) {
    fs.rmSync(path.dirname(temp), { recursive: true, force: true });
    return;
  }
  fs.copyFileSync(temp, "reply.mp3");
  fs.rmSync(path.dirname(temp), { recursive: true, force: true });
  process.stdout.write("no audio player found (mpg123, ffplay or play); saved the reply to reply.mp3\n");
}
