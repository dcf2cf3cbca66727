declare module "@echogarden/speex-resampler-wasm" {
  const SpeexResamplerFactory: () => Promise<unknown>;
  export default SpeexResamplerFactory;
}
