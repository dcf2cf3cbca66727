/** Push-to-talk: records while the button is held (pointer, or Space/Enter on the focused button). */
import { openMicrophone, type Microphone } from "./microphone.js";
import { encodeWav } from "./pcm.js";

declare global {
  interface Window {
    /** How much the push-to-talk recorder holds now (for tests: release once the speech is in). */
    parleyRecorder: { recording: boolean; recordedMs: number };
  }
}

/** Wires `button` as a hold-to-talk control; `onRecording` gets each finished recording as a WAV. */
export function wirePushToTalk(
  button: HTMLButtonElement,
  context: () => AudioContext,
  onRecording: (wav: Blob) => void,
  onError: (message: string) => void,
): void {
  window.parleyRecorder = { recording: false, recordedMs: 0 };
  let microphone: Microphone | undefined;
  let opening: Promise<void> | undefined;
  let blocks: Float32Array[] = [];
  let held = false;

  const press = () => {
    if (held || button.disabled) return;
    held = true;
    blocks = [];
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Recording… release to send";
    window.parleyRecorder = { recording: true, recordedMs: 0 };
    const audio = context();
    opening = openMicrophone(audio, (samples) => {
      blocks.push(samples);
      window.parleyRecorder.recordedMs += (samples.length / audio.sampleRate) * 1000;
    }).then(
      (opened) => {
        microphone = opened;
        if (!held) release();
      },
      (error: unknown) => {
        held = false;
        reset();
        onError(`Microphone: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  };

  const reset = () => {
    button.setAttribute("aria-pressed", "false");
    button.textContent = "Hold to talk";
    window.parleyRecorder.recording = false;
  };

  const release = () => {
    held = false;
    if (microphone === undefined) return; // still opening: released once open
    const sampleRateHz = microphone.sampleRateHz;
    microphone.stop();
    microphone = undefined;
    opening = undefined;
    reset();
    const total = blocks.reduce((n, b) => n + b.length, 0);
    const samples = new Float32Array(total);
    let offset = 0;
    for (const block of blocks) {
      samples.set(block, offset);
      offset += block.length;
    }
    blocks = [];
    if (total < sampleRateHz / 4) {
      onError("That was too short: hold the button while you speak.");
      return;
    }
    onRecording(encodeWav(samples, sampleRateHz));
  };

  const up = () => {
    if (!held) return;
    if (opening !== undefined && microphone === undefined) {
      held = false;
      return;
    }
    release();
  };

  button.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    button.setPointerCapture(event.pointerId);
    press();
  });
  button.addEventListener("pointerup", up);
  // A long press on a touch screen would open the context menu instead of recording.
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  button.addEventListener("pointercancel", up);
  button.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) {
      event.preventDefault();
      press();
    }
  });
  button.addEventListener("keyup", (event) => {
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      up();
    }
  });
  button.addEventListener("blur", up);
}
