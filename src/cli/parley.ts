#!/usr/bin/env node
import { chatCommand, CHAT_USAGE } from "./chat.js";
import { CliError, EXIT } from "./cli-error.js";
import { liveCommand, LIVE_USAGE } from "./live.js";
import { talkCommand, TALK_USAGE } from "./talk.js";

const USAGE = `Usage: parley <command> [options]

Commands:
  ${TALK_USAGE.replace(/\n/g, "\n  ")}
  ${CHAT_USAGE.replace(/\n/g, "\n  ")}
  ${LIVE_USAGE.replace(/\n/g, "\n  ")}
  parley serve
    Runs the server (as \`npm start\`).
  parley bootstrap
    Creates the demo organization if needed and prints client settings with a new API key.

Credentials (talk, chat, live): --env FILE (default data/credentials.env, written by the server on its
first start), or flags that win over it: --base-url, --org, --user, --key-id, --key, --service;
--conversation ID talks in that conversation (default: your open one with the service, else a new one).

Exit codes: 0 done, 1 failure (the server's error is printed), 2 bad command line or missing
credentials, 3 server unreachable, 4 sign-in refused, 5 unsupported audio.`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  talk: talkCommand,
  chat: chatCommand,
  live: liveCommand,
  // The server's own entry points run when imported.
  serve: async () => {
    await import("./serve.js");
  },
  bootstrap: async () => {
    await import("./bootstrap.js");
  },
};

/** `parley <command>`: the command-line entry (the package's `bin`). */
async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = COMMANDS[name === "start" ? "serve" : name];
  if (command === undefined) throw new CliError(EXIT.usage, `Unknown command "${name}".\n\n${USAGE}`);
  await command(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError) {
    process.stderr.write(`parley: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(
    `parley: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(EXIT.failure);
});
