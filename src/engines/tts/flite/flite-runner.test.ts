import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WASI } from "node:wasi";
import { afterAll, describe, expect, it } from "vitest";
import { FliteRunner, fliteProgram, fliteWasmPath } from "./flite-runner.js";
import { wasm } from "./memory-image.js";

/** flite.wasm run as it is shipped: a fresh instance with its own memory. */
async function runShippedFlite(voice: string, text: string): Promise<{ wav: Buffer; printed: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-flite-test-"));
  try {
    fs.writeFileSync(path.join(dir, "in.txt"), text);
    const stdout = fs.openSync(path.join(dir, "stdout.txt"), "w");
    const wasi = new WASI({
      version: "preview1",
      args: ["flite", "-voice", voice, "-f", "/out/in.txt", "-o", "/out/out.wav", "-psdur"],
      preopens: { "/out": dir },
      stdout,
      stderr: stdout,
      returnOnExit: true,
    });
    const module = await wasm.compile(fs.readFileSync(fliteWasmPath()));
    const code = wasi.start(new wasm.Instance(module, wasi.getImportObject()));
    fs.closeSync(stdout);
    expect(code).toBe(0);
    return {
      wav: fs.readFileSync(path.join(dir, "out.wav")),
      printed: fs.readFileSync(path.join(dir, "stdout.txt"), "utf8"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("FliteRunner on one reused memory", () => {
  const runner = new Promise<FliteRunner>((resolve, reject) => {
    fliteProgram().then((program) => resolve(new FliteRunner(program)), reject);
  });
  afterAll(async () => (await runner).dispose());

  it("speaks every sentence as a fresh instance of flite.wasm does, run after run", async () => {
    const flite = await runner;
    // A long sentence first grows Flite's heap; the runs after it start from the initial image again.
    const sentences: [string, string][] = [
      ["kal16", "A much longer sentence, with numbers like 42 and 3.14, that grows the heap a little."],
      ["kal16", "Hello there."],
      ["slt", "What would you like to know about your account today?"],
      ["kal16", "Hello there."],
    ];
    for (const [index, [voice, text]] of sentences.entries()) {
      // Some runs use an instance made ahead of time, as the worker does between requests.
      if (index % 2 === 1) flite.prepare(voice);
      const output = flite.synthesize(voice, text);
      const shipped = await runShippedFlite(voice, text);
      const data = shipped.wav.indexOf("data") + 8;
      const samples = Buffer.from(
        output.samples.buffer,
        output.samples.byteOffset,
        output.samples.byteLength,
      );
      expect(samples.length).toBeGreaterThan(16_000);
      expect(samples.equals(shipped.wav.subarray(data))).toBe(true);
      const phones = output.phones.map(({ phone, endMs }) => `${phone}:${endMs}`).join(" ");
      const printedPhones = [...shipped.printed.matchAll(/([a-z]+):(\d+(?:\.\d+)?)/g)]
        .map((m) => `${m[1]}:${Math.round(Number(m[2]) * 1000)}`)
        .join(" ");
      expect(phones).toBe(printedPhones);
    }
  });
});
