import { describe, expect, it } from "vitest";
import { ID_PATTERN, isId, newId } from "./ids.js";

describe("ids", () => {
  it("are 24 lowercase hex characters and do not repeat", () => {
    const ids = Array.from({ length: 1000 }, newId);
    expect(ids.every((id) => ID_PATTERN.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("reject anything else", () => {
    expect(isId(newId())).toBe(true);
    for (const bad of [
      "",
      "ABCDEF0123456789abcdef01",
      "0123456789abcdef0123456",
      "g123456789abcdef01234567",
      42,
    ]) {
      expect(isId(bad)).toBe(false);
    }
  });
});
