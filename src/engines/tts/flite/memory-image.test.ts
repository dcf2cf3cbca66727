import { describe, expect, it } from "vitest";
import { splitMemoryImage, wasm, type WasmMemory } from "./memory-image.js";

const text = (s: string) => [s.length, ...Buffer.from(s)];
const section = (id: number, payload: number[]) => [id, payload.length, ...payload];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module with one page of memory holding "hello" at 16 and `read(i)`: the byte at `i`. */
function helloModule(dataSegment: number[]): Uint8Array {
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...text("memory"), 2, 0, ...text("read"), 0, 0]),
    ...section(10, [1, 7, 0, 0x20, 0, 0x2d, 0, 0, 0x0b]),
    ...section(11, [1, ...dataSegment]),
  ]);
}
const ACTIVE_HELLO = [0, 0x41, 16, 0x0b, ...text("hello")];

interface Hello {
  exports: { read(index: number): number; memory: WasmMemory };
}
const readText = (instance: Hello, from: number, length: number) =>
  String.fromCharCode(...Array.from({ length }, (_, i) => instance.exports.read(from + i)));

describe("splitMemoryImage", () => {
  it("gives a module that, on an imported memory holding the image, reads what the original does", () => {
    const original = helloModule(ACTIVE_HELLO);
    const split = splitMemoryImage(original);
    expect(split).toMatchObject({ initialPages: 1, maximumPages: undefined });
    expect(split.image.length).toBe(21);
    const fresh = new wasm.Instance(new wasm.Module(original)) as unknown as Hello;
    const memory = new wasm.Memory({ initial: split.initialPages });
    new Uint8Array(memory.buffer).set(split.image);
    const module = new wasm.Module(split.bytes);
    expect(wasm.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    const reused = new wasm.Instance(module, { env: { memory } }) as unknown as Hello;
    expect(readText(fresh, 14, 9)).toBe("\0\0hello\0\0");
    expect(readText(reused, 14, 9)).toBe(readText(fresh, 14, 9));
    expect(reused.exports.memory).toBe(memory);
  });

  it("refuses modules it cannot split: passive segments, no memory", () => {
    expect(() => splitMemoryImage(helloModule([1, ...text("hello")]))).toThrow(/active data segments/);
    const noMemory = Uint8Array.from([...HEADER, ...section(1, [1, 0x60, 0, 0])]);
    expect(() => splitMemoryImage(noMemory)).toThrow(/no memory/);
  });
});
