import koffi from "koffi";

/** glibc `mallopt` parameters (malloc.h). */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

/** Free memory at the top of a malloc heap beyond this goes back to the system. */
const TRIM_THRESHOLD_BYTES = 128 * 1024;
/** Allocations this large get pages of their own (glibc's own ceiling for its moving threshold). */
const MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024;

/** The environment variables through which glibc takes the same settings. */
const GLIBC_VARIABLES = ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"];

/**
 * Makes glibc's malloc give freed memory back instead of keeping it for later. By default glibc raises
 * its trim threshold to twice the largest block it has handed back to the system, up to 64 MB per
 * heap, and keeps that much free memory in every heap: the main thread's and each recognizer and
 * synthesizer worker's. Under load (8 real-time sessions, bench/realtime) that was about 70 MB of the
 * server's peak resident memory. A fixed trim threshold of 128 KiB returns it; a fixed mmap threshold at
 * glibc's own ceiling keeps blocks below 32 MB in the heaps, as the moving threshold ends up doing, so
 * they are not mapped and faulted in anew each time (measured: the same CPU per session).
 *
 * Applies to the whole process, from now on. Does nothing when the environment already sets glibc's
 * malloc variables (the operator's choice) or where the C library is not glibc. Returns whether the
 * settings were applied.
 */
export function returnFreedMemory(env: NodeJS.ProcessEnv = process.env): boolean {
  if (GLIBC_VARIABLES.some((name) => env[name] !== undefined)) return false;
  try {
    const libc = koffi.load("libc.so.6");
    const mallopt = libc.func("int mallopt(int param, int value)") as (
      param: number,
      value: number,
    ) => number;
    return (
      mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1 &&
      mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) === 1
    );
  } catch {
    return false;
  }
}
