export { corpusWer, normalizeWords, wer, wordErrors } from "../../src/lib/wer.js";
