/**
 * Speech engine figures: `npx tsx bench/engines.ts` (all) or `npx tsx bench/engines/<kind>.ts` (one).
 * Targets on this machine: STT RTF ≤ 0.25 per stream, TTS first audio ≤ 50 ms, decoders ≥ 500× real time.
 */
import { benchCodecs } from "./engines/codecs.js";
import { printRows } from "./engines/common.js";
import { benchStt } from "./engines/stt.js";
import { benchTts } from "./engines/tts.js";
import { benchVad } from "./engines/vad.js";

for (const bench of [benchCodecs, benchStt, benchTts, benchVad]) printRows(await bench());
