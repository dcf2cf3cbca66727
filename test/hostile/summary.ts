import { CATEGORIES, type Category } from "./cases.js";
import type { BystanderReport } from "./bystander.js";
import type { MemoryReport } from "./memory.js";
import type { Outcome } from "./runner.js";
import type { AttributedDeath } from "./supervisor.js";

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** `422×40, closed×2`: how often each answer was seen, most frequent first. */
export function histogram(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome.seen, (counts.get(outcome.seen) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([seen, count]) => `${seen}×${count}`)
    .join(", ");
}

/** The failed requests of a category, grouped by kind: `kind: expected X, seen Y×n`. */
export function failuresOf(outcomes: Outcome[], category: Category): string[] {
  const byKind = new Map<string, Outcome[]>();
  for (const outcome of outcomes) {
    if (outcome.category !== category || outcome.pass) continue;
    byKind.set(outcome.kind, [...(byKind.get(outcome.kind) ?? []), outcome]);
  }
  return [...byKind].map(
    ([kind, failed]) => `${kind}: expected ${failed[0]!.expected}, seen ${histogram(failed)}`,
  );
}

/** The table printed at the end of the run (so that it shows in CI output). */
export function summaryTable(input: {
  seed: number;
  outcomes: Outcome[];
  excluded: Map<string, string>;
  deaths: AttributedDeath[];
  followUpRetries: number;
  bystander: BystanderReport | undefined;
  memory: MemoryReport | undefined;
  elapsedMs: number;
}): string {
  const lines: string[] = [];
  const pad = (text: string, width: number) => text.padEnd(width);
  lines.push(
    `Hostile-input suite, seed ${input.seed} (replay with PARLEY_HOSTILE_SEED=${input.seed}), ${(input.elapsedMs / 1000).toFixed(1)} s`,
  );
  lines.push(`${pad("category", 22)}${pad("requests", 10)}${pad("failed", 8)}statuses seen`);
  let total = 0;
  let failed = 0;
  for (const category of CATEGORIES) {
    const of = input.outcomes.filter((o) => o.category === category && !o.seen.startsWith("not-sent"));
    const bad = input.outcomes.filter((o) => o.category === category && !o.pass);
    total += of.length;
    failed += bad.length;
    lines.push(
      `${pad(category, 22)}${pad(String(of.length), 10)}${pad(String(bad.length), 8)}${histogram(of)}`,
    );
  }
  const flood = input.outcomes.filter((o) => o.phase === "flood" && !o.seen.startsWith("not-sent")).length;
  lines.push(
    `${pad("total", 22)}${pad(String(total), 10)}${pad(String(failed), 8)}(flood: ${flood}; the rest are probes and follow-ups)`,
  );
  if (input.followUpRetries > 0) {
    lines.push(`follow-ups after a hang-up that met a 409 and retried: ${input.followUpRetries}`);
  }
  for (const [kind, reason] of input.excluded) lines.push(`left out of the flood: ${kind}: ${reason}`);
  for (const { death, suspects } of input.deaths) {
    lines.push(
      `server death at ${death.atMs} ms: ${death.killedAsWedged ? "wedged, killed" : `exit code ${String(death.code)} signal ${String(death.signal)}`}; suspects: ${suspects.join(", ") || "none"}`,
    );
    const lastWords = death.outputTail.trim().split("\n").slice(-6).join("\n    ");
    if (lastWords !== "") lines.push(`    ${lastWords}`);
  }
  if (input.bystander !== undefined) {
    const b = input.bystander;
    lines.push(
      `bystander: ${b.requests} requests, worst ${b.worstMs} ms (${b.worstRequest}), p99 ${b.p99Ms} ms, ${b.failures.length} failed`,
    );
  }
  if (input.memory !== undefined) {
    const m = input.memory;
    lines.push(
      `server memory: baseline RSS ${mib(m.baselineRssBytes)} (JS ${mib(m.baselineHeapBytes)}), peak RSS ${mib(m.peakRssBytes)} (VmHWM ${mib(m.highWaterRssBytes)}), halfway RSS ${mib(m.halfwayRssBytes)} (JS ${mib(m.halfwayHeapBytes)}), after RSS ${mib(m.afterRssBytes)} (JS ${mib(m.afterHeapBytes)})`,
    );
  }
  return lines.join("\n");
}
