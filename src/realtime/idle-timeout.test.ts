import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IdleTimeout } from "./idle-timeout.js";

function timeout() {
  const events: string[] = [];
  const idle = new IdleTimeout({
    warning: (secondsLeft) => events.push(`warning ${secondsLeft} at ${Date.now() / 1000}`),
    expired: () => events.push(`expired at ${Date.now() / 1000}`),
  });
  return { idle, events };
}

describe("IdleTimeout", () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it("warns 15 s before the timeout runs out, then expires", () => {
    const { idle, events } = timeout();
    idle.timeoutS = 60;
    idle.restart();
    vi.advanceTimersByTime(61_000);
    expect(events).toEqual(["warning 15 at 45", "expired at 60"]);
  });

  it("starts again on activity, and from the extension's seconds once", () => {
    const { idle, events } = timeout();
    idle.timeoutS = 30;
    idle.restart();
    vi.advanceTimersByTime(20_000);
    idle.restart(100);
    vi.advanceTimersByTime(90_000);
    // The first countdown warned at 15 s; the extension's runs from 20 s and does not expire by 110 s.
    expect(events).toEqual(["warning 15 at 15", "warning 15 at 105"]);
    idle.restart();
    vi.advanceTimersByTime(31_000);
    expect(events.slice(2)).toEqual(["warning 15 at 125", "expired at 140"]);
  });

  it("warns at once when the timeout is shorter than the warning, and stops", () => {
    const { idle, events } = timeout();
    idle.timeoutS = 5;
    idle.restart();
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["warning 5 at 0"]);
    idle.stop();
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(["warning 5 at 0"]);
  });
});
