/**
 * A WebAssembly module split into code and its memory's initial image, so that one memory can serve
 * many instances: instantiating a module copies its data segments into a fresh memory, and on a virtual
 * machine every first touch of a fresh page is a costly fault (Flite's 17 MB image: about 55 ms a run,
 * against about 1 ms to copy it into memory already mapped).
 */
export interface SplitModule {
  /** The module with its memory imported as `env.memory` and no data segments. */
  bytes: Uint8Array;
  /** The memory's content after instantiation: the data segments in place, zeros elsewhere. */
  image: Uint8Array;
  /** The memory's initial size and limit, in 64 KiB pages. */
  initialPages: number;
  maximumPages: number | undefined;
}

/** The parts of the WebAssembly global used here (the project's lib settings leave it untyped). */
export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports?: object) => { exports: Record<string, unknown> };
  Memory: new (limits: { initial: number; maximum?: number }) => WasmMemory;
}
export type WasmModule = { readonly brand?: "WebAssembly.Module" };
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const SECTION = { import: 2, memory: 5, data: 11, dataCount: 12 } as const;
const IMPORT_KIND_MEMORY = 2;
const OPCODE_I32_CONST = 0x41;
const OPCODE_END = 0x0b;
export const PAGE_BYTES = 65_536;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public offset = 0,
  ) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error("The module ends early");
    return this.bytes[this.offset++]!;
  }

  unsigned(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return value;
    }
  }

  signed32(): number {
    let value = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      value |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && b & 0x40 ? value | (-1 << shift) : value;
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new Error("The module ends early");
    const part = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return part;
  }
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

const name = (text: string) => [...unsignedLeb(text.length), ...new TextEncoder().encode(text)];

function section(id: number, payload: Uint8Array | number[]): Uint8Array {
  return Uint8Array.from([id, ...unsignedLeb(payload.length), ...payload]);
}

/**
 * Splits a module that defines one memory and fills it with active data segments at constant offsets
 * (what a C program compiled for WASI has). Throws for anything else (bulk-memory passive segments, a
 * memory already imported, several memories): such a module must be instantiated as it is.
 */
export function splitMemoryImage(module: Uint8Array): SplitModule {
  const reader = new Reader(module, 8);
  const kept: Uint8Array[] = [module.subarray(0, 8)];
  let limits: number[] | undefined;
  let initialPages = 0;
  let maximumPages: number | undefined;
  const segments: { at: number; data: Uint8Array }[] = [];
  let importIndex = -1;
  while (reader.offset < module.length) {
    const start = reader.offset;
    const id = reader.byte();
    const size = reader.unsigned();
    const body = new Reader(reader.take(size));
    if (id === SECTION.dataCount) throw new Error("Passive data segments are not supported");
    if (id === SECTION.memory) {
      if (body.unsigned() !== 1) throw new Error("The module must define exactly one memory");
      const limitsStart = body.offset;
      const flags = body.byte();
      if (flags > 1) throw new Error("Shared or 64-bit memories are not supported");
      initialPages = body.unsigned();
      if (flags === 1) maximumPages = body.unsigned();
      limits = [...body.bytes.subarray(limitsStart, body.offset)];
      continue;
    }
    if (id === SECTION.data) {
      const count = body.unsigned();
      for (let i = 0; i < count; i += 1) {
        if (body.unsigned() !== 0) throw new Error("Only active data segments of memory 0 are supported");
        if (body.byte() !== OPCODE_I32_CONST) throw new Error("A data segment's offset is not a constant");
        const at = body.signed32() >>> 0;
        if (body.byte() !== OPCODE_END) throw new Error("A data segment's offset is not a constant");
        segments.push({ at, data: body.take(body.unsigned()) });
      }
      continue;
    }
    if (id === SECTION.import) importIndex = kept.length;
    kept.push(module.subarray(start, reader.offset));
  }
  if (limits === undefined) throw new Error("The module defines no memory");
  const memoryImport = [...name("env"), ...name("memory"), IMPORT_KIND_MEMORY, ...limits];
  if (importIndex < 0) {
    // Sections keep their order: the import section goes before the function section (id 3).
    const at = kept.findIndex((part, i) => i > 0 && part[0]! > SECTION.import && part[0]! !== 0);
    kept.splice(at < 0 ? kept.length : at, 0, section(SECTION.import, [1, ...memoryImport]));
  } else {
    const imports = new Reader(kept[importIndex]!, 1);
    imports.unsigned();
    const count = imports.unsigned();
    const entries = imports.bytes.subarray(imports.offset);
    kept[importIndex] = section(SECTION.import, [...unsignedLeb(count + 1), ...entries, ...memoryImport]);
  }
  const imageLength = Math.max(0, ...segments.map(({ at, data }) => at + data.length));
  if (imageLength > initialPages * PAGE_BYTES) throw new Error("A data segment lies beyond the memory");
  const image = new Uint8Array(imageLength);
  for (const { at, data } of segments) image.set(data, at);
  return { bytes: Buffer.concat(kept), image, initialPages, maximumPages };
}
