import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { WorkerOptions } from "node:worker_threads";

/**
 * How to start a worker module that lives next to its caller: the compiled `.js` when it exists
 * (production, `dist/`), else the `.ts` source, loaded through tsx's loader registered inside the worker
 * (tests and `tsx` runs).
 */
export function workerEntry(
  callerUrl: string,
  baseName: string,
): { filename: string | URL; options: WorkerOptions } {
  const compiled = new URL(`./${baseName}.js`, callerUrl);
  if (fs.existsSync(fileURLToPath(compiled))) return { filename: compiled, options: {} };
  const source = new URL(`./${baseName}.ts`, callerUrl).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return { filename: bootstrap, options: { eval: true } };
}
