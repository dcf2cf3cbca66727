import { execFileSync } from "node:child_process";
import fs from "node:fs";

const CLOCK_TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The fields of /proc/<pid>/stat after the command name (index 0 is field 3, the state). */
function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * The pid of the server that `startServerProcess` started: this process's one child running
 * src/cli/serve.ts (its helper does not expose the child).
 */
export function serverPid(): number {
  const pids = fs
    .readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          Number(statFields(pid)[1]) === process.pid &&
          fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("src/cli/serve.ts")
        );
      } catch {
        return false; // the process ended meanwhile
      }
    });
  if (pids.length !== 1) throw new Error(`expected one server child process, found ${pids.length}`);
  return pids[0]!;
}

/** CPU time (user + system, all threads) the process has used, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Resident memory (VmRSS) of the process, in MB. */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) / 1024;
}

/** Samples the process's RSS every `intervalMs` until `stop()`, which returns the peak and the mean. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): { peakMb: number; meanMb: number } } {
  const samples: number[] = [rssMb(pid)];
  const timer = setInterval(() => samples.push(rssMb(pid)), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push(rssMb(pid));
      return {
        peakMb: Math.max(...samples),
        meanMb: samples.reduce((a, b) => a + b, 0) / samples.length,
      };
    },
  };
}
