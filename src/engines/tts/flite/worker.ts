import { parentPort } from "node:worker_threads";
import { type FliteOutput, FliteRunner, fliteProgram } from "./flite-runner.js";

/** A Flite worker: `{ voice, text }` in, the sentence's audio and phone timings out. */
export interface FliteRequest {
  voice: string;
  text: string;
}

const port = parentPort;
if (port === null) throw new Error("the Flite worker must run in a worker thread");
const runner = new FliteRunner(await fliteProgram());

port.on("message", (request: FliteRequest) => {
  try {
    const value: FliteOutput = runner.synthesize(request.voice, request.text);
    port.postMessage({ ok: true, value }, [value.samples.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
  // Off the critical path, after the answer; a failure here only means the next run makes its own.
  try {
    runner.prepare(request.voice);
  } catch {
    runner.collect();
  }
});
process.on("exit", () => runner.dispose());
