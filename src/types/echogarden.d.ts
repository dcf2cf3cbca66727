declare module "@echogarden/speex-resampler-wasm/simd" {
  const SpeexResamplerFactory: () => Promise<unknown>;
  export default SpeexResamplerFactory;
}

declare module "@echogarden/fvad-wasm" {
  const createFvad: () => Promise<unknown>;
  export default createFvad;
}
