import { Ajv } from "ajv";
import type { JsonValue } from "../../../domain/json.js";
import { AppError } from "../../../lib/app-error.js";
import { type OpenAiEndpoint, postOpenAi, serverSentData } from "../../openai-http.js";
import type { ChatBrain, ChatMessage, StructuredRequest } from "./chat-brain.js";

export interface OpenAiBrainOptions {
  endpoint: OpenAiEndpoint;
  model: string;
  /** `json_schema`: `response_format` with the schema; `tool_call`: one forced function call. */
  structuredOutput: "json_schema" | "tool_call";
}

interface ChatCompletionChunk {
  choices?: { delta?: { content?: string | null } }[];
  error?: { message?: string };
}

interface ChatCompletion {
  choices?: {
    message?: {
      content?: string | null;
      tool_calls?: { function?: { name?: string; arguments?: string } }[];
    };
  }[];
}

/**
 * A language model behind an OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI, vLLM,
 * llama.cpp's server, Ollama, LocalAI, …). Replies stream as server-sent events; structured answers
 * use `response_format: json_schema` or a forced tool call, and are checked against the schema.
 */
export class OpenAiBrain implements ChatBrain {
  readonly name: string;
  private readonly ajv = new Ajv({ strict: false });

  constructor(private readonly options: OpenAiBrainOptions) {
    this.name = `openai:${options.model}`;
  }

  async *streamText(
    messages: ChatMessage[],
    options: { signal: AbortSignal; maxTokens: number },
  ): AsyncGenerator<string> {
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      stream: true,
      max_tokens: options.maxTokens,
    });
    const answer = await postOpenAi(this.options.endpoint, "/chat/completions", body, options.signal);
    for await (const data of serverSentData(answer.chunks())) {
      let chunk: ChatCompletionChunk;
      try {
        chunk = JSON.parse(data) as ChatCompletionChunk;
      } catch {
        throw this.failure("sent a stream chunk that is not JSON");
      }
      if (chunk.error !== undefined)
        throw this.failure(`reported an error mid-stream: ${chunk.error.message ?? ""}`);
      const text = chunk.choices?.[0]?.delta?.content;
      if (typeof text === "string" && text.length > 0) yield text;
    }
  }

  async structured(
    messages: ChatMessage[],
    request: StructuredRequest,
    options: { signal: AbortSignal },
  ): Promise<JsonValue> {
    const toolMode = this.options.structuredOutput === "tool_call";
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      stream: false,
      temperature: 0,
      ...(toolMode
        ? {
            tools: [
              {
                type: "function",
                function: {
                  name: request.name,
                  description: request.description,
                  parameters: request.schema,
                },
              },
            ],
            tool_choice: { type: "function", function: { name: request.name } },
          }
        : {
            response_format: {
              type: "json_schema",
              json_schema: { name: request.name, schema: request.schema, strict: false },
            },
          }),
    });
    const answer = await postOpenAi(this.options.endpoint, "/chat/completions", body, options.signal);
    let completion: ChatCompletion;
    try {
      completion = JSON.parse(await answer.text()) as ChatCompletion;
    } catch {
      throw this.failure("answered with something that is not JSON");
    }
    const message = completion.choices?.[0]?.message;
    const raw = toolMode
      ? message?.tool_calls?.find((c) => c.function?.name === request.name)?.function?.arguments
      : message?.content;
    if (typeof raw !== "string") {
      throw this.failure(toolMode ? `did not call ${request.name}` : "answered without content");
    }
    let value: JsonValue;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      throw this.failure(`answered ${request.name} with text that is not JSON`);
    }
    const validate = this.ajv.compile(request.schema);
    if (!validate(value)) {
      throw this.failure(
        `answered ${request.name} outside its schema: ${this.ajv.errorsText(validate.errors)}`,
      );
    }
    return value;
  }

  private failure(what: string): AppError {
    return new AppError(
      "service_unavailable",
      `The language model ${this.name} at ${this.options.endpoint.baseUrl} ${what}`,
    );
  }
}
