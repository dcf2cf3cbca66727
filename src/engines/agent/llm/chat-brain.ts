import type { JsonValue } from "../../../domain/json.js";

/** One chat message sent to a language model. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A JSON schema the model's structured answer must match, with a name for tool-call mode. */
export interface StructuredRequest {
  /** `[a-zA-Z0-9_-]+`, e.g. `choose_exit`. */
  name: string;
  description: string;
  schema: { [key: string]: JsonValue };
}

/**
 * A language model behind the LLM agent: streamed free text for replies, and structured answers
 * (constrained to a JSON schema) for every choice. Both reject with the signal's reason when aborted,
 * and with an `AppError` (`service_unavailable`) naming the back-end and the setting when the model
 * fails or does not answer in time.
 */
export interface ChatBrain {
  /** What answers, for logs and the latency report, e.g. `openai:gpt-4o-mini`. */
  readonly name: string;
  streamText(
    messages: ChatMessage[],
    options: { signal: AbortSignal; maxTokens: number },
  ): AsyncIterable<string>;
  /** The parsed JSON answer; it matches `request.schema` (checked). */
  structured(
    messages: ChatMessage[],
    request: StructuredRequest,
    options: { signal: AbortSignal },
  ): Promise<JsonValue>;
  /** Checks the back-end is usable (model file loads, server answers) so that start-up can fail clearly. */
  warmUp?(): Promise<void>;
  close?(): Promise<void>;
}
