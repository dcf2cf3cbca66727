import { randomBytes } from "node:crypto";

/** Identifiers are 24 lowercase hex characters, as the API's `^[a-f0-9]{24}$` patterns require. */
export const ID_PATTERN = /^[a-f0-9]{24}$/;

export function newId(): string {
  return randomBytes(12).toString("hex");
}

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}
