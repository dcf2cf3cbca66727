import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { returnFreedMemory } from "./malloc-tuning.js";

const MODULE = fileURLToPath(new URL("./malloc-tuning.ts", import.meta.url));

/**
 * In a new process: hands a 20 MB block back (it was mapped, and glibc's moving thresholds rise past
 * it), then mallocs, touches and frees a 16 MB one, and prints how much of it stayed resident.
 */
const PROBE = `
import fs from "node:fs";
import koffi from "koffi";
const { returnFreedMemory } = await import(${JSON.stringify(MODULE)});
const applied = process.argv.includes("tune") ? returnFreedMemory() : false;
const libc = koffi.load("libc.so.6");
const malloc = libc.func("void *malloc(size_t size)");
const memset = libc.func("void *memset(void *s, int c, size_t n)");
const free = libc.func("void free(void *p)");
const residentBytes = () => Number(fs.readFileSync("/proc/self/statm", "utf8").split(" ")[1]) * 4096;
const cycle = (bytes) => { const block = malloc(bytes); memset(block, 1, bytes); free(block); };
cycle(20 << 20);
const before = residentBytes();
cycle(16 << 20);
process.stdout.write(JSON.stringify({ applied, keptMb: (residentBytes() - before) / 2 ** 20 }));
`;

function probe(tune: boolean): { applied: boolean; keptMb: number } {
  const output = execFileSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", PROBE, "--", tune ? "tune" : "plain"],
    { encoding: "utf8", env: { ...process.env, MALLOC_TRIM_THRESHOLD_: undefined } },
  );
  return JSON.parse(output) as { applied: boolean; keptMb: number };
}

describe("returnFreedMemory", () => {
  it("makes glibc give a freed 16 MB block back, which it otherwise keeps", () => {
    const plain = probe(false);
    expect(plain.keptMb).toBeGreaterThan(12);
    const tuned = probe(true);
    expect(tuned.applied).toBe(true);
    expect(tuned.keptMb).toBeLessThan(4);
  });

  it("leaves glibc's malloc variables to the operator when set", () => {
    expect(returnFreedMemory({ MALLOC_TRIM_THRESHOLD_: "1048576" })).toBe(false);
    expect(returnFreedMemory({ MALLOC_MMAP_THRESHOLD_: "65536" })).toBe(false);
  });
});
