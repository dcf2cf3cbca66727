import { afterAll } from "vitest";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import { runContract } from "./stt.js";

const engine = new PocketSphinxEngine({ poolSize: 2 });
afterAll(() => engine.close());

runContract("pocketsphinx", () => engine, { maxLibrivoxWer: 0.35, maxCardsWer: 0.08 });
