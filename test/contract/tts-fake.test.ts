import { FakeTtsEngine } from "../../src/engines/tts/fake/engine.js";
import { runContract } from "./tts.js";

runContract("fake", () => new FakeTtsEngine());
