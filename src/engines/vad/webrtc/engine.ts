import createFvad from "@echogarden/fvad-wasm";
import { framesOf, type VadEngine, type VadFrame } from "../types.js";

interface FvadModule {
  _fvad_new(): number;
  _fvad_free(instance: number): void;
  _fvad_set_mode(instance: number, mode: number): number;
  _fvad_set_sample_rate(instance: number, rateHz: number): number;
  _fvad_process(instance: number, frame: number, length: number): number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAP16: Int16Array;
}

let modulePromise: Promise<FvadModule> | undefined;

export interface WebRtcVadOptions {
  /** Aggressiveness 0 (least) .. 3 (most). Default 3. */
  mode?: 0 | 1 | 2 | 3;
  /** 10, 20 or 30. Default 10 (finest boundaries). */
  frameDurationMs?: 10 | 20 | 30;
}

/** The WebRTC VAD (GMM-based, compiled to WASM): a 0/1 decision per 10/20/30 ms frame. */
export class WebRtcVadEngine implements VadEngine {
  readonly name = "webrtc";
  readonly capabilities = { sampleRatesHz: [16_000], graded: false };
  readonly frameDurationMs: number;
  private readonly mode: number;

  constructor(options: WebRtcVadOptions = {}) {
    this.frameDurationMs = options.frameDurationMs ?? 10;
    this.mode = options.mode ?? 3;
  }

  async *process(
    audio: AsyncIterable<Int16Array>,
    options: { signal: AbortSignal },
  ): AsyncIterable<VadFrame> {
    const module = await (modulePromise ??= (createFvad as unknown as () => Promise<FvadModule>)());
    const instance = module._fvad_new();
    const frameSamples = (16_000 * this.frameDurationMs) / 1000;
    const buffer = module._malloc(frameSamples * 2);
    try {
      module._fvad_set_mode(instance, this.mode);
      module._fvad_set_sample_rate(instance, 16_000);
      let index = 0;
      for await (const frame of framesOf(audio, frameSamples)) {
        options.signal.throwIfAborted();
        module.HEAP16.set(frame, buffer / 2);
        const decision = module._fvad_process(instance, buffer, frameSamples);
        if (decision < 0) throw new Error("WebRTC VAD rejected a frame");
        yield {
          startMs: index * this.frameDurationMs,
          durationMs: this.frameDurationMs,
          probability: decision,
        };
        index += 1;
      }
    } finally {
      module._free(buffer);
      module._fvad_free(instance);
    }
  }
}
