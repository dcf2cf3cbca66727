import type { ToolCallSpec } from "../../../domain/context-graph.js";
import type { JsonValue } from "../../../domain/json.js";
import type { ToolParameters } from "../tools/types.js";
import type {
  ActionToolsRequest,
  ExitChoiceRequest,
  ExitChooser,
  ToolParametersRequest,
  UtteranceRequest,
  UtteranceWriter,
} from "../walker/strategy.js";
import type { ChatBrain } from "./chat-brain.js";
import { conversationMessages, factsSection, personaSection, stateSection, transcript } from "./prompts.js";

const NONE = "none of these";

/**
 * Choices by a language model, always through a structured call whose schema lists the options: the
 * model can only answer one of them (JSON schema output or a forced tool call), never free text that
 * would have to be parsed.
 */
export class LlmExitChooser implements ExitChooser {
  constructor(private readonly brain: ChatBrain) {}

  async chooseExit(request: ExitChoiceRequest, signal: AbortSignal): Promise<number | null> {
    const labels = request.options.map((o, i) =>
      request.options.findIndex((p) => p.description === o.description) === i
        ? o.description
        : `${o.description} (${i + 1})`,
    );
    const allowed = request.mustChoose ? labels : [...labels, NONE];
    const system = [
      personaSection(request),
      stateSection(request),
      factsSection(request),
      request.mustChoose
        ? "Decide which of the options below is true now, from the conversation."
        : `The user has just answered. Decide which of the options below describes the user's answer, or "${NONE}" when none does.`,
      `Options:\n${allowed.map((l) => `- ${l}`).join("\n")}`,
      'Answer with JSON: {"exit": <one option, exactly as written>}.',
    ].join("\n\n");
    const answer = await this.brain.structured(
      [
        { role: "system", content: system },
        { role: "user", content: transcript(request) },
      ],
      {
        name: "choose_exit",
        description: "Chooses the option that holds now",
        schema: {
          type: "object",
          properties: { exit: { type: "string", enum: allowed } },
          required: ["exit"],
          additionalProperties: false,
        },
      },
      { signal },
    );
    const chosen = (answer as { exit: string }).exit;
    const index = labels.indexOf(chosen);
    return index >= 0 ? index : request.mustChoose ? 0 : null;
  }

  async toolParameters(request: ToolParametersRequest, signal: AbortSignal): Promise<ToolParameters> {
    if (request.tool === undefined) return {};
    const here = request.here;
    const system = [
      personaSection(request),
      `Prepare a call of the tool "${request.tool.name}": ${request.tool.description}`,
      request.spec.additional_instruction ?? "",
      here.designated_tool_call_objective === undefined
        ? ""
        : `Objective: ${here.designated_tool_call_objective}`,
      here.designated_tool_call_context === undefined ? "" : `Context: ${here.designated_tool_call_context}`,
      (here.designated_tool_call_guidances ?? []).join("\n"),
      (here.designated_tool_call_validations ?? []).join("\n"),
      factsSection(request),
      "Answer with the tool's parameters as JSON; leave out what the conversation does not give.",
    ]
      .filter((part) => part !== "")
      .join("\n\n");
    return (await this.brain.structured(
      [
        { role: "system", content: system },
        { role: "user", content: transcript(request) },
      ],
      {
        name: request.tool.name,
        description: request.tool.description,
        schema: request.tool.inputSchema,
      },
      { signal },
    )) as ToolParameters;
  }

  async actionToolCalls(
    request: ActionToolsRequest,
    signal: AbortSignal,
  ): Promise<{ spec: ToolCallSpec; parameters: ToolParameters }[]> {
    const calls: { spec: ToolCallSpec; parameters: ToolParameters }[] = [];
    for (const { spec, tool } of request.available) {
      const system = [
        personaSection(request),
        stateSection(request),
        factsSection(request),
        `Before answering, you may call the tool "${tool.name}": ${tool.description}`,
        spec.additional_instruction ?? "",
        'Answer with JSON: {"call": true or false, "parameters": the tool\'s parameters}.',
      ]
        .filter((part) => part !== "")
        .join("\n\n");
      const answer = (await this.brain.structured(
        [
          { role: "system", content: system },
          { role: "user", content: transcript(request) },
        ],
        {
          name: `decide_${tool.name}`,
          description: `Whether to call ${tool.name}, and with which parameters`,
          schema: {
            type: "object",
            properties: {
              call: { type: "boolean" },
              parameters: tool.inputSchema as unknown as { [key: string]: JsonValue },
            },
            required: ["call", "parameters"],
            additionalProperties: false,
          },
        },
        { signal },
      )) as { call: boolean; parameters: ToolParameters };
      if (answer.call) calls.push({ spec, parameters: answer.parameters });
    }
    return calls;
  }
}

/** Replies written by the language model from the persona, the state and the conversation, streamed. */
export class LlmUtteranceWriter implements UtteranceWriter {
  constructor(
    private readonly brain: ChatBrain,
    private readonly maxTokens: number,
  ) {}

  write(
    request: UtteranceRequest,
    signal: AbortSignal,
  ): Promise<{ action: string; text: AsyncIterable<string> }> {
    const system = [
      personaSection(request),
      stateSection(request),
      factsSection(request),
      request.reprompt
        ? "The user's last answer did not fit what you asked: ask again, briefly and politely."
        : "",
      "You are speaking on the phone: answer in one to three short spoken sentences, plain text without lists or markup.",
    ]
      .filter((part) => part !== "")
      .join("\n\n");
    const messages = [{ role: "system" as const, content: system }, ...conversationMessages(request)];
    if (messages.length === 1)
      messages.push({ role: "user", content: "(The call has just started. Greet the caller.)" });
    const action = request.here.actions?.[0] ?? request.here.objective ?? request.here.name;
    return Promise.resolve({
      action,
      text: this.brain.streamText(messages, { signal, maxTokens: this.maxTokens }),
    });
  }
}
