import { describe, expect, it } from "vitest";
import { expectEventsMatchSpec, expectResponseMatchesSpec } from "./spec-validator.js";

describe("spec validator", () => {
  it("rejects bodies the spec does not allow", () => {
    expect(() => expectResponseMatchesSpec("get-organization", 200, { org_id: "x" })).toThrow();
    expect(() =>
      expectResponseMatchesSpec("get-conversations", 200, {
        conversations: [{}],
        has_more: false,
        continuation_token: null,
      }),
    ).toThrow();
    expect(() => expectEventsMatchSpec([{ type: "interaction-complete" }])).toThrow();
    expect(() =>
      expectEventsMatchSpec([
        { type: "current-agent-action", action: { type: "navigate-state-machine-state-transitioned" } } as {
          type: string;
        },
      ]),
    ).toThrow();
  });

  it("accepts bodies the spec allows", () => {
    expectResponseMatchesSpec("get-organization", 200, {
      org_id: "x",
      org_name: "X",
      default_user_preferences: null,
      tenant_id: null,
    });
  });
});
