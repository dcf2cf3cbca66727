import * as chrono from "chrono-node";
import type { ToolParameters } from "../tools/types.js";
import type {
  ActionToolsRequest,
  ExitChoiceRequest,
  ExitChooser,
  ToolParametersRequest,
  UtteranceRequest,
  UtteranceWriter,
  WalkContext,
} from "../walker/strategy.js";
import { classifyExitCondition, isFarewell, understoodPart } from "./intent-classifier.js";
import type { ToolDefinition } from "../tools/types.js";

/**
 * Exit choices by the intent classifier. Only the start of a long message is read
 * (`MAX_UNDERSTOOD_TEXT_CHARS`), so no message holds the event loop for longer than that costs.
 */
export class RulesExitChooser implements ExitChooser {
  /** Times and dates the user mentions go to `requested_time` (as said) and `requested_date` (ISO). */
  readUserMessage(text: string, now: Date): { [slot: string]: string } {
    const found = chrono.parse(understoodPart(text), now, { forwardDate: true })[0];
    if (found === undefined) return {};
    const date = found.start.date();
    return { requested_time: found.text, requested_date: date.toISOString().slice(0, 10) };
  }

  chooseExit(request: ExitChoiceRequest): Promise<number | null> {
    const userText = understoodPart(request.userText);
    if (request.farewellIndex !== undefined && isFarewell(userText)) {
      return Promise.resolve(request.farewellIndex);
    }
    const authored = request.options.filter((_, i) => i !== request.farewellIndex);
    const match = classifyExitCondition(
      userText,
      authored.map((o) => o.description),
    );
    if (match === undefined) return Promise.resolve(request.mustChoose ? 0 : null);
    return Promise.resolve(request.options.indexOf(authored[match.index]!));
  }

  /** Parameters named like a slot (or `timezone`: the user's) take its value. */
  toolParameters(request: ToolParametersRequest): Promise<ToolParameters> {
    return Promise.resolve(request.tool === undefined ? {} : parametersFromSlots(request.tool, request));
  }

  /** Every tool of the action state is called, parameters from slots. */
  actionToolCalls(request: ActionToolsRequest) {
    return Promise.resolve(
      request.available.map(({ spec, tool }) => ({ spec, parameters: parametersFromSlots(tool, request) })),
    );
  }
}

function parametersFromSlots(tool: ToolDefinition, context: WalkContext): ToolParameters {
  const parameters: ToolParameters = {};
  for (const [name, schema] of Object.entries(tool.inputSchema.properties)) {
    const value = Object.hasOwn(context.slots, name)
      ? context.slots[name]
      : name === "timezone"
        ? context.input.user.timezone
        : undefined;
    if (value === undefined) continue;
    const numeric = schema.type === "number" || schema.type === "integer";
    parameters[name] = numeric && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return parameters;
}

/**
 * With no language model to paraphrase, an action state's first authored `actions` entry (or its
 * objective) is the utterance, with `{{slot|fallback}}` placeholders filled from the slots.
 */
export class RulesUtteranceWriter implements UtteranceWriter {
  write(request: UtteranceRequest): Promise<{ action: string; text: AsyncIterable<string> }> {
    const template = request.here.actions?.[0] ?? request.here.objective ?? "";
    const reply =
      (request.reprompt ? "Sorry, I didn't quite catch that. " : "") + render(template, request.slots);
    return Promise.resolve({ action: template, text: iterate(replyPieces(reply)) });
  }
}

async function* iterate(pieces: string[]): AsyncGenerator<string> {
  yield* pieces;
}

/**
 * Fills `{{slot|fallback}}` placeholders in an authored action from the conversation's slots (own
 * properties only: `{{constructor}}` is an unknown slot, not `Object.prototype.constructor`).
 */
export function render(template: string, slots: { [name: string]: string }): string {
  return template.replace(
    // The fallback stops at a brace, so an unclosed `{{a|` costs one scan to the next brace, not to the end.
    /\{\{\s*([a-z_]+)\s*(?:\|([^{}]*))?\}\}/gi,
    (_m, name: string, fallback?: string) => {
      return (Object.hasOwn(slots, name) ? slots[name] : undefined) ?? fallback?.trim() ?? "";
    },
  );
}

/** Splits a reply into the pieces it is streamed in: clauses ending in punctuation, or about 6 words. */
export function replyPieces(text: string): string[] {
  const pieces: string[] = [];
  let current = "";
  let words = 0;
  for (const token of text.split(/(\s+)/)) {
    current += token;
    if (/\S/.test(token)) words += 1;
    if ((/[.,!?;:]$/.test(token) && words >= 3) || words >= 6) {
      pieces.push(current);
      current = "";
      words = 0;
    }
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}
