import readline from "node:readline";
import { ApiClient, readEvents } from "./api-client.js";
import { parseCommandLine, resolveCredentials } from "./client-options.js";

export const CHAT_USAGE = `parley chat [credentials]
  A text conversation in the terminal: type a line, read the agent's reply as it streams.
  /finish finishes the conversation and quits; /quit (or end of input) quits and leaves it open.`;

/** `parley chat`: a typed conversation, each reply printed as its pieces arrive. */
export async function chatCommand(args: string[]): Promise<void> {
  const { values } = parseCommandLine(args, {});
  if (values.help === true) {
    process.stdout.write(`${CHAT_USAGE}\n`);
    return;
  }
  const client = new ApiClient(resolveCredentials(values));
  await client.signIn();
  const conversationId = await client.conversation(values.conversation, (event) => {
    if (event.type === "interaction-complete") process.stdout.write(`agent: ${String(event.full_message)}\n`);
  });
  const interactive = process.stdin.isTTY === true;
  const lines = readline.createInterface({ input: process.stdin, terminal: interactive });
  const prompt = () => {
    if (interactive) process.stdout.write("you> ");
  };
  prompt();
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === "") {
      prompt();
      continue;
    }
    // Piped input is not shown by the terminal: the transcript says what was sent.
    if (!interactive) process.stdout.write(`you: ${line}\n`);
    if (line === "/quit") break;
    if (line === "/finish") {
      await client.request(`/conversation/${conversationId}/finish/`, { method: "POST" });
      process.stdout.write("(conversation finished)\n");
      break;
    }
    const form = new FormData();
    form.set("initial_message_type", "user-message");
    form.set("recorded_message", line);
    const response = await client.request(
      `/conversation/${conversationId}/interact?request_format=text&response_format=text`,
      { method: "POST", body: form },
    );
    let completed = false;
    process.stdout.write("agent: ");
    await readEvents(response, (event) => {
      if (event.type === "new-message") process.stdout.write(String(event.message));
      if (event.type === "interaction-complete") {
        process.stdout.write("\n");
        completed = event.conversation_completed === true;
      }
    });
    if (completed) {
      process.stdout.write("(the agent ended the conversation)\n");
      break;
    }
    prompt();
  }
  lines.close();
}
