import fs from "node:fs";

/**
 * Writes a tiny Llama-architecture GGUF model with random weights (about 400 KB): one transformer
 * block of width 64 and a real SentencePiece-style tokenizer section (control tokens, the 256 byte
 * tokens, and some word pieces), so that node-llama-cpp loads it, tokenizes any text, and generates.
 * What it writes is gibberish, but loading, streaming, cancellation and grammar-constrained output
 * are real.
 */

const GGUF_MAGIC = 0x46554747;
const GGUF_VERSION = 3;
const ALIGNMENT = 32;
enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}
const GGML_TYPE_F32 = 0;

type Value =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "strings"; value: string[] }
  | { type: "f32s"; value: number[] }
  | { type: "i32s"; value: number[] };

class Writer {
  private readonly parts: Buffer[] = [];
  length = 0;
  private push(buffer: Buffer): void {
    this.parts.push(buffer);
    this.length += buffer.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  bytes(b: Buffer): void {
    this.push(b);
  }
  pad(): void {
    const extra = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    if (extra > 0) this.push(Buffer.alloc(extra));
  }
  value(v: Value): void {
    switch (v.type) {
      case "u32":
        this.u32(ValueType.UINT32);
        this.u32(v.value);
        break;
      case "f32":
        this.u32(ValueType.FLOAT32);
        this.f32(v.value);
        break;
      case "bool":
        this.u32(ValueType.BOOL);
        this.push(Buffer.from([v.value ? 1 : 0]));
        break;
      case "string":
        this.u32(ValueType.STRING);
        this.string(v.value);
        break;
      case "strings":
        this.u32(ValueType.ARRAY);
        this.u32(ValueType.STRING);
        this.u64(v.value.length);
        for (const s of v.value) this.string(s);
        break;
      case "f32s":
        this.u32(ValueType.ARRAY);
        this.u32(ValueType.FLOAT32);
        this.u64(v.value.length);
        for (const f of v.value) this.f32(f);
        break;
      case "i32s":
        this.u32(ValueType.ARRAY);
        this.u32(ValueType.INT32);
        this.u64(v.value.length);
        for (const i of v.value) this.i32(i);
        break;
    }
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A small deterministic PRNG (mulberry32) so the model is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "the",
  "a",
  "to",
  "you",
  "is",
  "it",
  "at",
  "on",
  "for",
  "in",
  "and",
  "of",
  "yes",
  "no",
  "hello",
  "time",
  "clinic",
  "visit",
  "thank",
  "please",
  "tomorrow",
  "morning",
  "book",
  "call",
  "help",
  "today",
  "what",
  "can",
];

function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [2, 3, 3];
  const scores = [0, 0, 0];
  for (let byte = 0; byte < 256; byte += 1) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
    scores.push(0);
  }
  const pieces = ["\u2581", ..."abcdefghijklmnopqrstuvwxyz", ...WORDS.map((w) => `\u2581${w}`), ...WORDS];
  for (const [i, piece] of [...new Set(pieces)].entries()) {
    tokens.push(piece);
    types.push(1);
    scores.push(-i);
  }
  return { tokens, scores, types };
}

/** Writes the model to `file` and returns its size in bytes. */
export function writeTinyGguf(file: string, seed = 7): number {
  const nEmbd = 64;
  const nFf = 128;
  const nHead = 2;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const rand = random(seed);
  const kv: [string, Value][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "parley-tiny-random" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: 2048 }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: 1 }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nHead }],
    ["llama.rope.dimension_count", { type: "u32", value: nEmbd / nHead }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "strings", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32s", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32s", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
  ];
  const weights = (count: number, scale: number) =>
    Float32Array.from({ length: count }, () => (rand() * 2 - 1) * scale);
  const ones = (count: number) => new Float32Array(count).fill(1);
  const output = weights(nEmbd * nVocab, 0.5);
  // The end-of-text token's logit is pushed down so that replies are not cut off at their first token.
  for (let i = 0; i < nEmbd; i += 1) output[2 * nEmbd + i] = 0;
  const tensors: [string, number[], Float32Array][] = [
    ["token_embd.weight", [nEmbd, nVocab], weights(nEmbd * nVocab, 1)],
    ["output_norm.weight", [nEmbd], ones(nEmbd)],
    ["output.weight", [nEmbd, nVocab], output],
    ["blk.0.attn_norm.weight", [nEmbd], ones(nEmbd)],
    ["blk.0.attn_q.weight", [nEmbd, nEmbd], weights(nEmbd * nEmbd, 0.2)],
    ["blk.0.attn_k.weight", [nEmbd, nEmbd], weights(nEmbd * nEmbd, 0.2)],
    ["blk.0.attn_v.weight", [nEmbd, nEmbd], weights(nEmbd * nEmbd, 0.2)],
    ["blk.0.attn_output.weight", [nEmbd, nEmbd], weights(nEmbd * nEmbd, 0.2)],
    ["blk.0.ffn_norm.weight", [nEmbd], ones(nEmbd)],
    ["blk.0.ffn_gate.weight", [nEmbd, nFf], weights(nEmbd * nFf, 0.2)],
    ["blk.0.ffn_up.weight", [nEmbd, nFf], weights(nEmbd * nFf, 0.2)],
    ["blk.0.ffn_down.weight", [nFf, nEmbd], weights(nFf * nEmbd, 0.2)],
  ];

  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, value] of kv) {
    w.string(key);
    w.value(value);
  }
  let offset = 0;
  for (const [name, dims, data] of tensors) {
    w.string(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil(data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  w.pad();
  for (const [, , data] of tensors) {
    w.bytes(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    w.pad();
  }
  const bytes = w.buffer();
  fs.writeFileSync(file, bytes);
  return bytes.length;
}
