/**
 * The demo clinic's calendar: which appointment slot is open for a requested day and time. Answers
 * are deterministic so that conversations (and tests) read the same every time.
 */

/** The demo tool's id in the context graph (24 hex digits). */
export const OPEN_SLOTS_TOOL_ID = "00000000000000000000de01";

/** What the open-slots tool takes: the time the caller asked for, as said and as a date, if any. */
export interface OpenSlotsRequest {
  requested_time?: string;
  requested_date?: string;
}

export interface OpenSlotsAnswer {
  /** The slot to offer, as a receptionist would say it. */
  open_slot: string;
  /** Further open slots. */
  other_slots: string[];
}

const DEFAULT_SLOT = "tomorrow at ten in the morning";
const OTHER_SLOTS = ["Thursday at three in the afternoon", "Friday at nine in the morning"];

/** The requested time when the caller named one (the demo clinic has room then), else the next open slot. */
export function openSlotsFor(request: OpenSlotsRequest): OpenSlotsAnswer {
  const requested = request.requested_time?.trim();
  return {
    open_slot: requested !== undefined && requested !== "" ? requested.slice(0, 80) : DEFAULT_SLOT,
    other_slots: OTHER_SLOTS,
  };
}

/** The tool's input schema (JSON Schema), as registered. */
export const OPEN_SLOTS_INPUT_SCHEMA = {
  type: "object" as const,
  properties: {
    requested_time: { type: "string", description: "The day or time the caller asked for, as they said it" },
    requested_date: { type: "string", description: "The requested date, YYYY-MM-DD" },
  },
  additionalProperties: false,
};
