import { afterAll } from "vitest";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { runContract } from "./tts.js";

const engine = new FliteEngine();
afterAll(() => engine.close());
runContract("flite", () => engine);
