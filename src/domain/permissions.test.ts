import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, DEFAULT_USER_PERMISSIONS, isPermission } from "./permissions.js";

const specPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../shared/amigo-openapi.json",
);

describe("permissions", () => {
  it("are exactly the Resource:Action names the API spec uses", () => {
    const spec = fs.readFileSync(specPath, "utf8");
    const named = new Set(spec.match(/\b[A-Z][A-Za-z]+:[A-Z][A-Za-z]+\b/g));
    expect([...ALL_PERMISSIONS].sort()).toEqual([...named].sort());
  });

  it("give the default user role the conversation permissions and no administration", () => {
    expect(DEFAULT_USER_PERMISSIONS).toContain("Conversation:InteractWithConversation");
    expect(DEFAULT_USER_PERMISSIONS).toContain("User:UpdateUserInfo");
    expect(DEFAULT_USER_PERMISSIONS).not.toContain("Conversation:GetInteractionInsights");
    expect(DEFAULT_USER_PERMISSIONS.filter((p) => p.startsWith("Organization:"))).toEqual([]);
    expect(DEFAULT_USER_PERMISSIONS.every(isPermission)).toBe(true);
    expect(isPermission("Conversation:Anything")).toBe(false);
  });
});
