/**
 * The demo service that bootstrap creates: Ada, the receptionist of a small clinic, who greets, asks
 * the reason for the visit, looks up an open slot with a tool (the demo's open-slots endpoint), offers
 * it, confirms it and says goodbye. The bodies are the API's request bodies, so bootstrap creates the
 * demo through the same code paths as any client.
 */
import { OPEN_SLOTS_TOOL_ID } from "./open-slots.js";

export const DEMO_AGENT_NAME = "Ada, clinic receptionist";
export const DEMO_GRAPH_NAME = "clinic_reception";
export const DEMO_SERVICE_NAME = "Maple Clinic reception";

export const demoAgentVersionBody = {
  initials: "AR",
  identity: {
    name: "Ada",
    role: "Receptionist at Maple Clinic",
    developed_by: "Parley",
    default_spoken_language: "eng",
    relationship_to_developer: {
      ownership: "Parley demo",
      type: "assistant",
      conversation_visibility: "visible to the clinic staff",
      thought_visibility: "visible to the clinic staff",
    },
  },
  background: "Ada answers the phone at Maple Clinic and books appointments with the clinic's doctors.",
  behaviors: ["Keep answers short and friendly.", "Never give medical advice; book a visit instead."],
  communication_patterns: ["Confirm details back to the caller."],
  voice_config: { voice_id: "flite:rms" },
};

const noGuidelines = {
  intra_state_navigation_guidelines: [],
  action_guidelines: [],
  boundary_constraints: [],
  action_tool_call_specs: [],
  exit_condition_tool_call_specs: [],
  skip_active_memory_retrieval: true,
};

const reasonExits = [
  {
    description: "The user describes the reason for the visit, a symptom or a health concern",
    next_state: "find_open_slot",
  },
  { description: "The user wants to cancel or does not need an appointment", next_state: "goodbye" },
];

export const demoGraphVersionBody = {
  description: "Greets the caller, asks the reason for the visit, offers and confirms a time, says goodbye.",
  new_user_initial_state: "greet_new_user",
  returning_user_initial_state: "greet_returning_user",
  terminal_state: "goodbye",
  references: {},
  global_intra_state_navigation_guidelines: [],
  global_action_guidelines: ["Speak as a friendly clinic receptionist."],
  global_boundary_constraints: ["Do not give medical advice."],
  states: [
    {
      type: "action",
      name: "greet_new_user",
      objective: "Welcome a first-time caller and learn why they are calling.",
      actions: ["Hello, welcome to Maple Clinic. I am Ada, the receptionist. What brings you in today?"],
      exit_conditions: reasonExits,
      ...noGuidelines,
    },
    {
      type: "action",
      name: "greet_returning_user",
      objective: "Welcome a returning caller back and learn why they are calling.",
      actions: ["Welcome back to Maple Clinic. What can I help you with today?"],
      exit_conditions: reasonExits,
      ...noGuidelines,
    },
    {
      type: "tool-call",
      name: "find_open_slot",
      next_state: "offer_time",
      designated_tool: {
        tool_id: OPEN_SLOTS_TOOL_ID,
        version_constraint: ">=1.0",
        additional_instruction: "Pass the day or time the caller asked for, if they named one.",
        audio_fillers: ["Let me look at the calendar.", "One moment please, I am checking the calendar."],
        audio_filler_triggered_after: 1.5,
        result_persistence: "persisted-preferred",
      },
      designated_tool_call_params_generation_audio_fillers: ["One moment please."],
      designated_tool_call_params_generation_audio_filler_triggered_after: 3,
      designated_tool_call_objective: "Find the next open appointment slot for the caller.",
      designated_tool_call_context: "The caller has told the reason for the visit and needs an appointment.",
      designated_tool_call_guidances: ["Use the day or time the caller asked for, if any."],
      designated_tool_call_validations: [],
      tool_call_specs: [],
    },
    {
      type: "action",
      name: "offer_time",
      objective: "Offer the open appointment slot the calendar gave.",
      actions: [
        "Thank you. The next available appointment is {{open_slot|tomorrow at ten in the morning}}. Does that time work for you?",
      ],
      exit_conditions: [{ description: "The user answers the offered time", next_state: "check_answer" }],
      ...noGuidelines,
    },
    {
      type: "decision",
      name: "check_answer",
      objective: "Decide whether the caller takes the offered time.",
      decision_guidelines: ["Only book a time the caller clearly agreed to."],
      exit_conditions: [
        { description: "The user accepts the offered time, yes that works", next_state: "confirm_booking" },
        {
          description: "The user asks for another time or a different day",
          next_state: "offer_another_time",
        },
        { description: "The user wants to cancel", next_state: "goodbye" },
      ],
      tool_call_specs: [],
      audio_fillers: ["Let me check the calendar.", "One moment please."],
      audio_filler_triggered_after: 1.5,
    },
    {
      type: "action",
      name: "offer_another_time",
      objective: "Offer another appointment time.",
      actions: [
        "Of course. I can also offer {{requested_time|Thursday at three in the afternoon}}. Would that work?",
      ],
      exit_conditions: [{ description: "The user answers the offered time", next_state: "check_answer" }],
      ...noGuidelines,
    },
    {
      type: "action",
      name: "confirm_booking",
      objective: "Confirm the booked appointment.",
      actions: [
        "Wonderful, you are booked for {{requested_time|the time we discussed}}. Is there anything else I can help you with?",
      ],
      exit_conditions: [
        { description: "The user says no, there is nothing else", next_state: "goodbye" },
        {
          description: "The user describes another reason for a visit, a symptom or a health concern",
          next_state: "find_open_slot",
        },
      ],
      ...noGuidelines,
    },
    {
      type: "action",
      name: "goodbye",
      objective: "Close the call politely.",
      actions: ["Thank you for calling Maple Clinic. Take care, goodbye!"],
      exit_conditions: [],
      ...noGuidelines,
    },
  ],
};

/** Body of create-service; the ids come from the agent and graph just created. */
export function demoServiceBody(agentId: string, graphId: string): Record<string, unknown> {
  return {
    service_hierarchical_state_machine_id: graphId,
    agent_id: agentId,
    name: DEMO_SERVICE_NAME,
    description: "Book an appointment at Maple Clinic by talking to Ada, the receptionist.",
    is_active: true,
    release_version_set: {
      agent_version_number: 1,
      service_hierarchical_state_machine_version_number: 1,
      llm_model_preferences: {},
    },
    keyterms: [],
    tags: { demo: "true" },
  };
}
