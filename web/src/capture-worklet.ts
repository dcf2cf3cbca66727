/**
 * The microphone capture processor (an AudioWorklet module, built to `capture-worklet.js`): posts the
 * first input channel to the page in blocks of about 20 ms.
 */

declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  abstract process(inputs: Float32Array[][]): boolean;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;
declare const sampleRate: number;

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly blockSamples = Math.round(sampleRate / 50);
  private block = new Float32Array(this.blockSamples);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    let offset = 0;
    while (offset < channel.length) {
      const take = Math.min(channel.length - offset, this.block.length - this.filled);
      this.block.set(channel.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.block.length) {
        // Transferring detaches the buffer (its length becomes 0), so the next block is made anew.
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(this.blockSamples);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("parley-capture", CaptureProcessor);
