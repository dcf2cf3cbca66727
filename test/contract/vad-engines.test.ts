import { EnergyVadEngine } from "../../src/engines/vad/fake/engine.js";
import { SileroVadEngine } from "../../src/engines/vad/silero/engine.js";
import { WebRtcVadEngine } from "../../src/engines/vad/webrtc/engine.js";
import { runContract } from "./vad.js";

const endpointer = { silenceDurationMs: 700, minSpeechMs: 200, threshold: 0.5 };
runContract("webrtc", () => new WebRtcVadEngine({ frameDurationMs: 10 }), { endpointer });
runContract("silero", () => new SileroVadEngine(), { endpointer });
runContract("energy (fake)", () => new EnergyVadEngine(), { endpointer });
