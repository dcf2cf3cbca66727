import type { GraphState } from "../../../domain/context-graph.js";
import type { WalkContext } from "../walker/strategy.js";
import type { ChatMessage } from "./chat-brain.js";

/** Characters of one tool result shown to the model. */
const MAX_TOOL_RESULT_CHARS = 2000;

const list = (title: string, items: (string | undefined)[] | undefined): string => {
  const present = (items ?? []).filter((i): i is string => typeof i === "string" && i.trim() !== "");
  return present.length === 0 ? "" : `${title}:\n${present.map((i) => `- ${i}`).join("\n")}\n`;
};

/** Who the agent is: the persona's identity, background, behaviours and communication patterns. */
export function personaSection(context: WalkContext): string {
  const persona = context.input.persona;
  return [
    `You are ${persona.name}${persona.role === undefined ? "" : `, ${persona.role}`}.`,
    persona.background,
    list("Behaviours", persona.behaviors),
    list("Communication patterns", persona.communicationPatterns),
  ]
    .filter((part) => part !== "")
    .join("\n");
}

/** What is known this turn: slots, tool results of this turn and remembered ones. */
export function factsSection(context: WalkContext): string {
  const slots = Object.entries(context.slots).map(([name, value]) => `${name}: ${value}`);
  const tools = [
    ...context.rememberedToolResults.map((r) => `${r.toolName} (earlier): ${r.result}`),
    ...context.toolOutcomes.map((o) => `${o.toolName}: ${o.result}`),
  ].map((line) => line.slice(0, MAX_TOOL_RESULT_CHARS));
  return [list("Known facts", slots), list("Tool results", tools)].join("");
}

/** The state's objective, actions, guidelines and boundary constraints (with the graph's global ones). */
export function stateSection(context: WalkContext, here: GraphState = context.here): string {
  const graph = context.graph;
  return [
    `Current step of the conversation: ${here.name}.`,
    here.objective === undefined ? "" : `Objective: ${here.objective}`,
    list("Actions to take", here.actions),
    list("Guidelines", [...(graph.global_action_guidelines ?? []), ...(here.action_guidelines ?? [])]),
    list("Decision guidelines", here.decision_guidelines),
    list("Never", [...(graph.global_boundary_constraints ?? []), ...(here.boundary_constraints ?? [])]),
  ]
    .filter((part) => part !== "")
    .join("\n");
}

/** The conversation so far and this turn's user message, as chat messages. */
export function conversationMessages(context: WalkContext): ChatMessage[] {
  const messages: ChatMessage[] = context.input.history.map((entry) => ({
    role: entry.role === "agent" ? "assistant" : "user",
    content: entry.role === "external-event" ? `[event] ${entry.text}` : entry.text,
  }));
  const user = context.input.userMessage;
  if (user !== null && user.text.trim() !== "") {
    messages.push({
      role: "user",
      content: user.kind === "external-event" ? `[event] ${user.text}` : user.text,
    });
  }
  return messages;
}

/** A transcript of the conversation in one block (for choices, where the task is in the system prompt). */
export function transcript(context: WalkContext): string {
  const lines = conversationMessages(context).map(
    (m) => `${m.role === "assistant" ? context.input.persona.name : "User"}: ${m.content}`,
  );
  return lines.length === 0 ? "(The conversation has not started yet.)" : lines.slice(-20).join("\n");
}
