/** The microphone: getUserMedia (echo cancellation on) into a capture worklet, delivering ~20 ms blocks. */

/** An open microphone; `stop()` releases the device. */
export interface Microphone {
  sampleRateHz: number;
  stop(): void;
}

let workletLoaded: Promise<void> | undefined;

/** Opens the microphone and calls `onBlock` with each block of samples (mono, at the context's rate). */
export async function openMicrophone(
  context: AudioContext,
  onBlock: (samples: Float32Array) => void,
): Promise<Microphone> {
  workletLoaded ??= context.audioWorklet.addModule("/web/capture-worklet.js");
  await workletLoaded;
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
  });
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "parley-capture", { numberOfOutputs: 0 });
  node.port.onmessage = (event: MessageEvent<Float32Array>) => onBlock(event.data);
  source.connect(node);
  return {
    sampleRateHz: context.sampleRate,
    stop() {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      for (const track of stream.getTracks()) track.stop();
    },
  };
}
