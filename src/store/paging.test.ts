import { describe, expect, it } from "vitest";
import { checkPageRequest, MAX_PAGE_LIMIT, resolveSortFields } from "./paging.js";

const sortable = { created_at: "created_at", name: "name" };

describe("resolveSortFields", () => {
  it("reads +, - and bare fields in order, and a space as the + an unencoded query string lost", () => {
    expect(resolveSortFields(["-created_at", "+name"], sortable)).toEqual([
      { key: "created_at", descending: true },
      { key: "name", descending: false },
    ]);
    expect(resolveSortFields([" name", "created_at", ""], sortable)).toEqual([
      { key: "name", descending: false },
      { key: "created_at", descending: false },
    ]);
  });

  it("rejects a field the list does not support, naming the supported ones", () => {
    expect(() => resolveSortFields(["-secret_hash"], sortable)).toThrow(/supported: created_at, name/);
    expect(() => resolveSortFields(["toString"], sortable)).toThrow(
      expect.objectContaining({ code: "unprocessable" }),
    );
  });
});

describe("checkPageRequest", () => {
  it("accepts limits 1..MAX_PAGE_LIMIT and non-negative integer tokens only", () => {
    expect(() => checkPageRequest({ limit: 1, continuationToken: 0, sortBy: [] })).not.toThrow();
    expect(() => checkPageRequest({ limit: MAX_PAGE_LIMIT, continuationToken: 7, sortBy: [] })).not.toThrow();
    for (const [limit, continuationToken] of [
      [0, 0],
      [MAX_PAGE_LIMIT + 1, 0],
      [1.5, 0],
      [10, -1],
      [10, 0.5],
      [Number.NaN, 0],
    ] as const) {
      expect(() => checkPageRequest({ limit, continuationToken, sortBy: [] })).toThrow(
        expect.objectContaining({ code: "unprocessable", httpStatus: 422 }),
      );
    }
  });
});
