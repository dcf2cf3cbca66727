import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTo16k } from "../helpers/audio-fixtures.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { librivoxClips } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
/** tsx by URL, so the child finds it from any working directory. */
const tsxLoader = import.meta.resolve("tsx");

/** LibriVox clip 3 (19 words), as in the voice-note tests, with the same word error bound. */
const clip = librivoxClips()[3]!;
const TRANSCRIPT_MAX_WER = 0.4;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `parley <args>` (the TypeScript entry, as the built `bin` runs the compiled one) with only PATH
 * and HOME from this environment, in `cwd`.
 */
function parley(args: string[], options: { stdin?: string; cwd?: string } = {}): Promise<Run> {
  const child = spawn(
    process.execPath,
    ["--import", tsxLoader, path.join(repoRoot, "src/cli/parley.ts"), ...args],
    {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.homedir() },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** The text after `label` on its line of the output. */
function lineAfter(output: string, label: string): string | undefined {
  return output
    .split("\n")
    .find((line) => line.startsWith(label))
    ?.slice(label.length)
    .trim();
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the parley command-line client against a real server", () => {
  let server: TestServer;
  let dir: string;
  let envFile: string;
  beforeAll(async () => {
    server = await startTestServer({ store: "sqlite" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-cli-client-"));
    envFile = path.join(dir, "credentials.env");
    fs.writeFileSync(
      envFile,
      [
        `AMIGO_BASE_URL=${server.baseUrl}`,
        `AMIGO_ORGANIZATION_ID=${server.orgId}`,
        `AMIGO_USER_ID=${server.userId}`,
        `AMIGO_API_KEY_ID=${server.apiKeyId}`,
        `AMIGO_API_KEY=${server.apiKey}`,
        `AMIGO_SERVICE_ID=${server.serviceId}`,
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("talk: sends a voice note, shows progress, prints the transcript and saves the spoken reply as MP3", async () => {
    const out = path.join(dir, "reply.mp3");
    const run = await parley(["talk", "--env", envFile, "--file", clip.wavPath, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const heard = lineAfter(run.stdout, "you:") ?? "";
    expect(wer(clip.transcript, heard), heard).toBeLessThanOrEqual(TRANSCRIPT_MAX_WER);
    expect(lineAfter(run.stdout, "agent:")).toBeTruthy();
    expect(run.stderr).toContain("reply pieces:");
    const samples = await decodeTo16k(fs.readFileSync(out), { contentType: "audio/mpeg" });
    expect(samples.length / 16).toBeGreaterThan(1000);
  });

  it("talk: saves the reply as one WAV file when --out ends in .wav", async () => {
    const out = path.join(dir, "reply.wav");
    const run = await parley(["talk", "--env", envFile, "--file", clip.wavPath, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const bytes = fs.readFileSync(out);
    expect(bytes.toString("ascii", 0, 4)).toBe("RIFF");
    expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
    const samples = await decodeTo16k(bytes, { contentType: "audio/wav" });
    expect(samples.length / 16).toBeGreaterThan(1000);
  });

  it("chat: a typed conversation from standard input, finished with /finish", async () => {
    const run = await parley(["chat", "--env", envFile], { stdin: "I have a sore throat\n/finish\n" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("you: I have a sore throat");
    expect(run.stdout.match(/^agent: \S+/gm)?.length ?? 0).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toContain("(conversation finished)");
    const token = await server.token();
    const list = (await (
      await fetch(`${server.baseUrl}/v1/${server.orgId}/conversation/?is_finished=false`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { conversations: unknown[] };
    expect(list.conversations).toEqual([]);
  });

  it("live: streams the file at real-time pace and prints the turn's events as they come", async () => {
    const run = await parley(["live", "--env", envFile, "--file", clip.wavPath, "--finish"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    // Each event follows the one before it (the greeting's own lines come first).
    let at = -1;
    for (const label of [
      "conversation",
      "speech started",
      "partial",
      "speech ended",
      "user",
      "agent speaking",
    ]) {
      at = lines.findIndex((line, index) => index > at && line.startsWith(label));
      expect(at, `${label} in order:\n${run.stdout}`).toBeGreaterThanOrEqual(0);
    }
    const heard = lineAfter(run.stdout, "user") ?? "";
    expect(wer(clip.transcript, heard), heard).toBeLessThanOrEqual(TRANSCRIPT_MAX_WER);
    const answers = lines.filter((line) => /^agent {13}\S/.test(line));
    expect(answers.length, run.stdout).toBeGreaterThanOrEqual(2); // the greeting and the answer
    expect(run.stdout).toContain("finished");
  }, 90_000);

  it("exits 3 with a clear message when the server is down", async () => {
    const port = await closedPort();
    const run = await parley([
      "talk",
      "--env",
      envFile,
      "--base-url",
      `http://127.0.0.1:${port}`,
      "--file",
      clip.wavPath,
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("Cannot reach the Parley server");
  });

  it("exits 4 when the API key is refused, over HTTP and over the WebSocket client alike", async () => {
    for (const command of ["talk", "live"]) {
      const run = await parley([command, "--env", envFile, "--key", "not-the-key", "--file", clip.wavPath]);
      expect(run.code, command).toBe(4);
      expect(run.stderr).toContain("Sign-in refused (401");
    }
  });

  it("exits 5 for audio that cannot be decoded: refused by the server (talk) or by the client (live)", async () => {
    const bad = path.join(dir, "notes.wav");
    fs.writeFileSync(bad, "these are notes, not a recording");
    const talk = await parley(["talk", "--env", envFile, "--file", bad, "--out", path.join(dir, "x.mp3")]);
    expect(talk.code).toBe(5);
    expect(talk.stderr).toContain("(415)");
    expect(fs.existsSync(path.join(dir, "x.mp3"))).toBe(false);
    const live = await parley(["live", "--env", envFile, "--file", bad]);
    expect(live.code).toBe(5);
    expect(live.stderr).toContain("Cannot decode");
  });

  it("exits 2 for a bad command line or missing credentials", async () => {
    const cases: [string[], string][] = [
      [["frob"], 'Unknown command "frob"'],
      [["talk", "--env", envFile], "--file is required"],
      [["talk", "--env", envFile, "--file", path.join(dir, "missing.wav")], "No such file"],
      [["talk", "--env", envFile, "--bogus"], "Unknown option"],
      [["chat", "--env", path.join(dir, "nothing.env")], "No such file"],
    ];
    for (const [args, message] of cases) {
      const run = await parley(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(message);
    }
    // No --env and no data/credentials.env in the working directory: it names what is missing.
    const bare = await parley(["chat"], { cwd: dir });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Missing credentials: --org, --user, --key-id, --key, --service");
  });

  it("bootstrap: prints client settings whose new key signs in", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-cli-bootstrap-"));
    try {
      const child = spawn(
        process.execPath,
        ["--import", tsxLoader, path.join(repoRoot, "src/cli/parley.ts"), "bootstrap"],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.homedir(), PARLEY_DATA_DIR: dataDir },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
      expect(code).toBe(0);
      expect(stdout).toMatch(/^AMIGO_ORGANIZATION_ID=parley-demo$/m);
      expect(stdout).toMatch(/^AMIGO_API_KEY=\S+$/m);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
