import koffi from "koffi";
import { vocabularyDictionary } from "./vocabulary-dictionary.js";

/**
 * PocketSphinx 5prealpha (Debian `libpocketsphinx3`) through koffi. Loaded lazily, once per thread; the
 * decoder runs synchronously, so it is only used inside the STT worker threads.
 */
interface Native {
  ps_args: () => unknown;
  cmd_ln_parse_r: (inout: null, defn: unknown, argc: number, argv: string[], strict: number) => unknown;
  ps_init: (config: unknown) => unknown;
  ps_free: (ps: unknown) => number;
  ps_start_stream: (ps: unknown) => number;
  ps_start_utt: (ps: unknown) => number;
  ps_process_raw: (
    ps: unknown,
    data: Int16Array,
    samples: number,
    noSearch: number,
    fullUtt: number,
  ) => number;
  ps_end_utt: (ps: unknown) => number;
  ps_get_in_speech: (ps: unknown) => number;
  ps_get_hyp: (ps: unknown, score: null) => string | null;
  ps_seg_iter: (ps: unknown) => unknown;
  ps_seg_next: (seg: unknown) => unknown;
  ps_seg_word: (seg: unknown) => string;
  ps_seg_frames: (seg: unknown, sf: number[], ef: number[]) => void;
  ps_seg_prob: (seg: unknown, ascr: null, lscr: null, lback: null) => number;
  ps_set_jsgf_string: (ps: unknown, name: string, jsgf: string) => number;
  ps_set_search: (ps: unknown, name: string) => number;
  ps_unset_search: (ps: unknown, name: string) => number;
  ps_get_config: (ps: unknown) => unknown;
  ps_set_lm: (ps: unknown, name: string, lm: unknown) => number;
  ngram_model_read: (config: unknown, path: string, fileType: number, logmath: unknown) => unknown;
  ngram_model_free: (lm: unknown) => number;
  ngram_model_get_counts: (lm: unknown) => unknown;
  ngram_word: (lm: unknown, wid: number) => string | null;
  logmath_init: (base: number, shift: number, useTable: number) => unknown;
  err_set_callback: (callback: null, userData: null) => void;
  err_set_logfp: (stream: null) => void;
  logmath_exp: (lmath: unknown, p: number) => number;
  ps_get_logmath: (ps: unknown) => unknown;
  ps_get_feat: (ps: unknown) => unknown;
  cmn_live_get: (cmn: unknown, vec: Float32Array) => void;
  cmn_live_set: (cmn: unknown, vec: Float32Array) => void;
}

let native: Native | undefined;

function load(): Native {
  if (native !== undefined) return native;
  const base = koffi.load("libsphinxbase.so.3");
  const ps = koffi.load("libpocketsphinx.so.3");
  koffi.opaque("ps_decoder_t");
  koffi.opaque("cmd_ln_t");
  koffi.opaque("arg_t");
  koffi.opaque("ps_seg_t");
  koffi.opaque("logmath_t");
  koffi.opaque("ngram_model_t");
  native = {
    ps_args: ps.func("const arg_t *ps_args(void)"),
    cmd_ln_parse_r: base.func(
      "cmd_ln_t *cmd_ln_parse_r(cmd_ln_t *inout, const arg_t *defn, int argc, const char **argv, int strict)",
    ),
    ps_init: ps.func("ps_decoder_t *ps_init(cmd_ln_t *config)"),
    ps_free: ps.func("int ps_free(ps_decoder_t *ps)"),
    ps_start_stream: ps.func("int ps_start_stream(ps_decoder_t *ps)"),
    ps_start_utt: ps.func("int ps_start_utt(ps_decoder_t *ps)"),
    ps_process_raw: ps.func(
      "int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt)",
    ),
    ps_end_utt: ps.func("int ps_end_utt(ps_decoder_t *ps)"),
    ps_get_in_speech: ps.func("uint8_t ps_get_in_speech(ps_decoder_t *ps)"),
    ps_get_hyp: ps.func("const char *ps_get_hyp(ps_decoder_t *ps, int32_t *out_best_score)"),
    ps_seg_iter: ps.func("ps_seg_t *ps_seg_iter(ps_decoder_t *ps)"),
    ps_seg_next: ps.func("ps_seg_t *ps_seg_next(ps_seg_t *seg)"),
    ps_seg_word: ps.func("const char *ps_seg_word(ps_seg_t *seg)"),
    ps_seg_frames: ps.func("void ps_seg_frames(ps_seg_t *seg, _Out_ int *out_sf, _Out_ int *out_ef)"),
    ps_seg_prob: ps.func("int32_t ps_seg_prob(ps_seg_t *seg, int32_t *ascr, int32_t *lscr, int32_t *lback)"),
    ps_set_jsgf_string: ps.func(
      "int ps_set_jsgf_string(ps_decoder_t *ps, const char *name, const char *jsgf)",
    ),
    ps_set_search: ps.func("int ps_set_search(ps_decoder_t *ps, const char *name)"),
    ps_unset_search: ps.func("int ps_unset_search(ps_decoder_t *ps, const char *name)"),
    ps_get_config: ps.func("cmd_ln_t *ps_get_config(ps_decoder_t *ps)"),
    ps_set_lm: ps.func("int ps_set_lm(ps_decoder_t *ps, const char *name, ngram_model_t *lm)"),
    ngram_model_read: base.func(
      "ngram_model_t *ngram_model_read(cmd_ln_t *config, const char *file_name, int file_type, logmath_t *lmath)",
    ),
    ngram_model_free: base.func("int ngram_model_free(ngram_model_t *model)"),
    ngram_model_get_counts: base.func("const uint32_t *ngram_model_get_counts(ngram_model_t *model)"),
    ngram_word: base.func("const char *ngram_word(ngram_model_t *model, int32_t wid)"),
    logmath_init: base.func("logmath_t *logmath_init(double base, int shift, int use_table)"),
    err_set_callback: base.func("void err_set_callback(void *callback, void *user_data)"),
    err_set_logfp: base.func("void err_set_logfp(void *stream)"),
    logmath_exp: base.func("double logmath_exp(logmath_t *lmath, int logb_p)"),
    ps_get_logmath: ps.func("logmath_t *ps_get_logmath(ps_decoder_t *ps)"),
    ps_get_feat: ps.func("void *ps_get_feat(ps_decoder_t *ps)"),
    cmn_live_get: base.func("void cmn_live_get(void *cmn, _Out_ float *vec)"),
    cmn_live_set: base.func("void cmn_live_set(void *cmn, const float *vec)"),
  };
  // PocketSphinx logs through one process-wide FILE, and a decoder made with `-logfn` closes it and
  // opens another while the other recognizer threads may be writing to it (a use after free). With no
  // callback nothing is logged, and with the FILE disabled (no FILE was opened, so none is closed)
  // `ps_init` does not print its configuration to stderr; every thread sets the same values.
  native.err_set_callback(null, null);
  native.err_set_logfp(null);
  return native;
}

/** Model files of Debian's `pocketsphinx-en-us`. */
export const EN_US_MODEL = {
  hmm: "/usr/share/pocketsphinx/model/en-us/en-us",
  lm: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin",
  dict: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
};

export interface DecodedWord {
  word: string;
  startMs: number;
  endMs: number;
  confidence: number;
}

/** Frames are 10 ms (the model's 100 frames per second). */
export const FRAME_MS = 10;

/** Silence frames after which PocketSphinx's voice activity detector says speech has ended. */
export const VAD_POSTSPEECH_FRAMES = 20;
/** Its defaults: speech frames before it says speech has started, and frames it keeps before that. */
export const VAD_STARTSPEECH_FRAMES = 10;
export const VAD_PRESPEECH_FRAMES = 20;

/**
 * Offsets in sphinxbase's `feat_t` (x86-64, sphinxbase 5prealpha `feat.h`): `int32 cepsize` and
 * `cmn_t *cmn_struct`. The live cepstral mean lives there and is not reachable through the public API.
 */
const FEAT_CEPSIZE_OFFSET = 16;
const FEAT_CMN_STRUCT_OFFSET = 88;

/**
 * PocketSphinx's arguments for the en-US model with the project's tuning, plus `extraArgs`. No `-logfn`:
 * PocketSphinx's log is off for the whole process (see `load`).
 */
function decoderArgs(extraArgs: Record<string, string>): Record<string, string> {
  return {
    "-hmm": EN_US_MODEL.hmm,
    "-dict": EN_US_MODEL.dict,
    // Pruning, measured with bench/engines/stt.ts and on the LibriVox clips with noise added: a cap on
    // active HMMs (5,000 per frame) and phone-loop lookahead bring the real-time factor from 0.36 to
    // about 0.29 at the same word error rate; a cap on word exits per frame (7) cuts the decoder's
    // instructions by another 8.5 % with the same words on clean, noisy and quiet audio and for every
    // input format. Tighter settings are faster on clean speech but lose words elsewhere: a cap of
    // 3,000–4,000 HMMs on noisy audio (WER 51 → 56 % with white noise), a word-exit beam of 1e-24 on
    // speech captured through a browser (the web page test's transcript).
    "-maxhmmpf": "5000",
    "-maxwpf": "7",
    "-wbeam": "7e-29",
    "-pl_window": "5",
    // The second (flat lexicon) pass runs over the whole utterance when it ends, so its cost is the
    // wait between the last audio and the final result. Considering only words the first pass ended
    // in 8+ frames, within 10 frames of each start, cuts that wait by a third at the same word error
    // rate and the same words across input formats on the test speech (scoring fewer Gaussians,
    // `-topn 2`, cut more but changed the words of an MP3 upload). Without the pass a stream takes
    // as long (the best-path search over the first pass's larger lattice takes the time back) and an MP3
    // upload's words differ from the WAV's by up to 6 words a clip, so it stays.
    "-fwdflatefwid": "8",
    "-fwdflatsfwin": "10",
    // Speech ends after 200 ms of silence (default 500): the pause after which the recognizer closes a
    // phrase and runs its final pass while the audio goes on (see PhraseSegmenter).
    "-vad_postspeech": String(VAD_POSTSPEECH_FRAMES),
    ...extraArgs,
  };
}

function parseConfig(lib: Native, args: Record<string, string>): unknown {
  const argv = Object.entries(args).flat();
  const config = lib.cmd_ln_parse_r(null, lib.ps_args(), argv.length, argv, 1);
  if (config === null) throw new Error("PocketSphinx rejected its configuration");
  return config;
}

/** The search's name for the open-vocabulary language model. */
const OPEN_SEARCH = "_default";

/**
 * The en-US n-gram language model, loaded once and shared by the open-vocabulary decoders of one thread
 * (about 34 MB each would otherwise load). PocketSphinx counts its users: each decoder's search holds a
 * reference, and the model is read-only while decoding. Decoders sharing it must run on the thread
 * that loaded it, one call at a time (a worker thread does).
 *
 * Its decoders load the pronunciation dictionary cut down to the model's own words (see
 * vocabularyDictionary): 79 k entries instead of 135 k, the same results, about 12 MB less per decoder
 * and a quarter less time to make one. With a `-dict` of the caller's, or when that file cannot be
 * written, they load the whole dictionary.
 */
export class LanguageModel {
  readonly handle: unknown;
  /** The decoder arguments that choose its dictionary: `-dict`, or none for the default. */
  readonly dictionaryArgs: Record<string, string>;

  constructor(extraArgs: Record<string, string> = {}) {
    const lib = load();
    const args = decoderArgs(extraArgs);
    // Scores are integers in the decoder's log base, so the model is read in that base.
    const logmath = lib.logmath_init(Number(args["-logbase"] ?? "1.0001"), 0, 1);
    const handle = lib.ngram_model_read(parseConfig(lib, args), EN_US_MODEL.lm, NGRAM_AUTO, logmath);
    if (handle === null) throw new Error("PocketSphinx failed to load its language model");
    this.handle = handle;
    const dictionary =
      extraArgs["-dict"] === undefined ? vocabularyDictionary(EN_US_MODEL.dict, this.words()) : undefined;
    this.dictionaryArgs = dictionary === undefined ? {} : { "-dict": dictionary };
  }

  /** The model's words (its unigrams), sentence marks included. */
  words(): Set<string> {
    const lib = load();
    const [unigrams = 0] = koffi.decode(lib.ngram_model_get_counts(this.handle), "uint32_t", 1) as number[];
    const words = new Set<string>();
    for (let wid = 0; wid < unigrams; wid += 1) {
      const word = lib.ngram_word(this.handle, wid);
      if (word !== null) words.add(word);
    }
    return words;
  }
}

/** `ngram_file_type_t`: guess the format from the file. */
const NGRAM_AUTO = 0;

/** Grammars a decoder keeps compiled; the one used longest ago is dropped for a new one. */
export const MAX_GRAMMARS_PER_DECODER = 4;

/**
 * One PocketSphinx decoder. With a {@link LanguageModel} it recognizes open vocabulary (and grammars);
 * with `"grammar-only"` it has no language model search and takes only JSGF grammars; with `"own"` it
 * loads a language model of its own. Measured on the CI machine: a decoder with its own model takes
 * about 0.6 s of CPU to create and adds about 95 MB to the process; a grammar-only one (the whole
 * dictionary and the acoustic model) about 0.13 s and 29 MB; one sharing the model, on the model's own
 * dictionary, about 0.27 s and 49 MB (0.38 s and 61 MB on the whole dictionary). Freeing one takes about
 * 45 ms.
 */
export class SphinxDecoder {
  private readonly lib = load();
  private readonly ps: unknown;
  /** Compiled grammars, least recently used first. */
  private readonly grammars: string[] = [];
  private readonly cmn: unknown;
  private readonly initialCepstralMean: Float32Array;
  private utteranceOpen = false;
  /** Whether the decoder has the open-vocabulary search. */
  readonly open: boolean;

  constructor(
    extraArgs: Record<string, string> = {},
    languageModel: LanguageModel | "own" | "grammar-only" = "own",
  ) {
    const args = decoderArgs(
      languageModel instanceof LanguageModel ? { ...languageModel.dictionaryArgs, ...extraArgs } : extraArgs,
    );
    if (languageModel === "own") args["-lm"] = EN_US_MODEL.lm;
    const ps = this.lib.ps_init(parseConfig(this.lib, args));
    if (ps === null) throw new Error("PocketSphinx failed to load its model");
    this.ps = ps;
    if (languageModel instanceof LanguageModel) {
      if (this.lib.ps_set_lm(ps, OPEN_SEARCH, languageModel.handle) < 0) {
        this.lib.ps_free(ps);
        throw new Error("PocketSphinx could not use the language model");
      }
    }
    this.open = languageModel !== "grammar-only";
    const feat = this.lib.ps_get_feat(ps);
    const cepsize = koffi.decode(feat, FEAT_CEPSIZE_OFFSET, "int32_t") as number;
    if (cepsize !== 13) throw new Error(`Unexpected PocketSphinx feature layout (cepsize ${cepsize})`);
    this.cmn = koffi.decode(feat, FEAT_CMN_STRUCT_OFFSET, "void *");
    this.initialCepstralMean = new Float32Array(cepsize);
    this.lib.cmn_live_get(this.cmn, this.initialCepstralMean);
  }

  /**
   * Selects the open-vocabulary language model, or a JSGF grammar. A grammar is compiled once per
   * distinct text and kept for the next stream that uses it, at most MAX_GRAMMARS_PER_DECODER of them.
   */
  useSearch(jsgf: string | undefined): void {
    if (jsgf === undefined) {
      if (!this.open) throw new Error("This decoder has no open-vocabulary search");
      if (this.lib.ps_set_search(this.ps, OPEN_SEARCH) < 0) throw new Error("No open-vocabulary search");
      return;
    }
    const name = `g${hashText(jsgf)}`;
    const known = this.grammars.indexOf(name);
    if (known >= 0) {
      this.grammars.splice(known, 1);
    } else if (this.lib.ps_set_jsgf_string(this.ps, name, jsgf) < 0) {
      throw new Error("The grammar could not be compiled");
    }
    this.grammars.push(name);
    this.lib.ps_set_search(this.ps, name);
    // The current search is the newest, so the one dropped is never in use.
    while (this.grammars.length > MAX_GRAMMARS_PER_DECODER)
      this.lib.ps_unset_search(this.ps, this.grammars.shift()!);
  }

  /** Grammars compiled and kept now. */
  get grammarCount(): number {
    return this.grammars.length;
  }

  /**
   * Starts a new audio stream's first utterance. Live CMN and the front end's noise estimate would carry
   * the previous stream's state (another caller's voice and line) into this one and make results depend
   * on what the decoder heard before: every stream starts from the model's initial cepstral mean and a
   * fresh noise estimate (`ps_start_stream`). A reused decoder then gives the same words and timings as a
   * new one; other state that PocketSphinx keeps between utterances, and no API resets, moves word
   * confidences by up to about 2e-4 (measured over the test speech in varied orders).
   */
  start(): void {
    this.lib.ps_start_stream(this.ps);
    this.lib.cmn_live_set(this.cmn, this.initialCepstralMean);
    this.continueUtterance();
  }

  /** Starts the next utterance of the same audio stream, keeping the cepstral mean learned so far. */
  continueUtterance(): void {
    if (this.lib.ps_start_utt(this.ps) < 0) throw new Error("PocketSphinx could not start an utterance");
    this.utteranceOpen = true;
  }

  process(samples: Int16Array): void {
    if (samples.length === 0) return;
    if (this.lib.ps_process_raw(this.ps, samples, samples.length, 0, 0) < 0) {
      throw new Error("PocketSphinx failed on audio");
    }
  }

  /** Whether PocketSphinx's own voice activity detector hears speech in the latest audio. */
  inSpeech(): boolean {
    return this.lib.ps_get_in_speech(this.ps) !== 0;
  }

  hypothesis(): string {
    return this.lib.ps_get_hyp(this.ps, null) ?? "";
  }

  /** Ends the utterance: the final text, a confidence (0..1) and word timings from the utterance start. */
  finish(): { text: string; confidence: number; words: DecodedWord[] } {
    this.lib.ps_end_utt(this.ps);
    this.utteranceOpen = false;
    const text = this.hypothesis();
    const logmath = this.lib.ps_get_logmath(this.ps);
    const words: DecodedWord[] = [];
    // Frame numbers count from the decoder's creation; the utterance's first segment marks its start.
    let firstFrame: number | undefined;
    for (let seg = this.lib.ps_seg_iter(this.ps); seg !== null; seg = this.lib.ps_seg_next(seg)) {
      const word = this.lib.ps_seg_word(seg);
      const sf = [0];
      const ef = [0];
      this.lib.ps_seg_frames(seg, sf, ef);
      firstFrame ??= sf[0] ?? 0;
      // Fillers: sentence marks, silence, [NOISE]/[SPEECH]-style and ++NOISE++-style words.
      if (/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/i.test(word)) continue;
      const wordConfidence = this.lib.logmath_exp(logmath, this.lib.ps_seg_prob(seg, null, null, null));
      words.push({
        word: word.replace(/\(\d+\)$/, ""),
        startMs: ((sf[0] ?? 0) - firstFrame) * FRAME_MS,
        endMs: ((ef[0] ?? 0) + 1 - firstFrame) * FRAME_MS,
        confidence: Math.min(1, Math.max(0, wordConfidence)),
      });
    }
    return { text, confidence: meanConfidence(words), words };
  }

  /**
   * Ends an open utterance without reading its result (a cancelled stream); nothing when none is open.
   * PocketSphinx still runs its second (flat lexicon) pass over the utterance here, about 27 ms per
   * second of audio since its phrase started (measured on the CI machine): the pass is fixed when the
   * decoder is created (`-fwdflat`) and the search cannot be switched while an utterance is open. The
   * best-path search and the word segmentation that `finish` adds are skipped.
   */
  reset(): void {
    if (!this.utteranceOpen) return;
    this.utteranceOpen = false;
    this.lib.ps_end_utt(this.ps);
  }

  free(): void {
    this.lib.ps_free(this.ps);
  }
}

/** The confidence of a result: the mean posterior of its words (0 when nothing was recognized). */
export function meanConfidence(words: DecodedWord[]): number {
  return words.length === 0 ? 0 : words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
}

function hashText(text: string): string {
  let hash = 5381;
  for (let i = 0; i < text.length; i += 1) hash = ((hash << 5) + hash + text.charCodeAt(i)) >>> 0;
  return hash.toString(36);
}
