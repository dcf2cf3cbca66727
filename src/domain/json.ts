/** A JSON value (what the agent keeps between turns, bodies as stored). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** JSON object as stored (agent bodies, graph bodies, insights, user models). */
export type JsonObject = { [key: string]: unknown };
