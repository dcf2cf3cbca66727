import porterStemmer from "natural/lib/natural/stemmers/porter_stemmer.js";

/**
 * How much of a message the rules engine reads, in UTF-16 code units: the classifier, the farewell check
 * and entity extraction see only the first 2,000 characters (about two minutes of speech), so the work a
 * message causes on the event loop stops growing there, however long the message is.
 */
export const MAX_UNDERSTOOD_TEXT_CHARS = 2_000;

/**
 * Longest token that is stemmed or looked up, in characters. Longer tokens are skipped: no English word is
 * that long, and the Porter stemmer's time grows with the square of a token's length.
 */
export const MAX_WORD_CHARS = 40;

/** The part of a message the rules engine reads: its first {@link MAX_UNDERSTOOD_TEXT_CHARS} characters. */
export function understoodPart(text: string): string {
  return text.length > MAX_UNDERSTOOD_TEXT_CHARS ? text.slice(0, MAX_UNDERSTOOD_TEXT_CHARS) : text;
}

const stem = (word: string): string => porterStemmer.stem(word);

/**
 * Concepts shared by user phrasing and exit-condition descriptions, so that "yes, that works" matches
 * "the user accepts the offered time" although they share no word.
 */
const CONCEPT_WORDS: Record<string, string[]> = {
  accept: [
    "yes",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "fine",
    "works",
    "work",
    "perfect",
    "great",
    "good",
    "accept",
    "accepts",
    "agree",
    "agrees",
    "confirm",
    "confirms",
    "book",
    "sounds",
    "absolutely",
    "definitely",
  ],
  reject: [
    "no",
    "nope",
    "not",
    "can't",
    "cannot",
    "don't",
    "doesn't",
    "won't",
    "busy",
    "unavailable",
    "decline",
    "declines",
  ],
  alternative: [
    "another",
    "other",
    "different",
    "else",
    "later",
    "earlier",
    "instead",
    "reschedule",
    "alternative",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "morning",
    "afternoon",
    "evening",
    "tomorrow",
    "week",
  ],
  cancel: ["cancel", "cancels", "nevermind", "never", "forget", "stop", "nothing", "quit", "anymore"],
  health: [
    "pain",
    "ache",
    "headache",
    "fever",
    "cough",
    "sick",
    "hurt",
    "hurts",
    "checkup",
    "check",
    "appointment",
    "doctor",
    "visit",
    "rash",
    "flu",
    "cold",
    "injury",
    "injured",
    "prescription",
    "refill",
    "symptom",
    "symptoms",
    "sore",
    "throat",
    "back",
    "vaccine",
    "vaccination",
    "test",
    "results",
    "physical",
    "exam",
    "health",
    "concern",
    "reason",
    "problem",
    "feeling",
    "unwell",
    "dizzy",
    "allergy",
  ],
  gratitude: ["thanks", "thank", "appreciate"],
};

const STOPWORDS = new Set(
  "a an the and or but if of to in on at for with by from is are was were be been am i you he she it we they me my your this that these those user user's their them do does did have has had will would can could should about as so just please".split(
    " ",
  ),
);

const CONCEPT_OF_WORD = new Map<string, string>();
for (const [concept, words] of Object.entries(CONCEPT_WORDS)) {
  for (const word of words) CONCEPT_OF_WORD.set(word, concept);
}

export interface TextFeatures {
  stems: Set<string>;
  concepts: Set<string>;
}

/**
 * The lower-case words of the understood part of `text` (see {@link understoodPart}), without the ones
 * longer than {@link MAX_WORD_CHARS}.
 */
export function tokenize(text: string): string[] {
  return understoodPart(text)
    .toLowerCase()
    .replace(/[’']/g, "'")
    .split(/[^a-z0-9']+/)
    .filter((w) => w.length > 0 && w.length <= MAX_WORD_CHARS);
}

/** "not good", "doesn't work" (after `n't` is split off and spaces are collapsed): agreement negated. */
const NEGATED_AGREEMENT = /\b(?:not|n't|no)\b ?\w{0,40} ?(?:good|work|fine|okay|ok)/;

/** Concepts and word stems of the understood part of `text`; linear in its length. */
export function featuresOf(text: string): TextFeatures {
  const understood = understoodPart(text);
  const words = tokenize(understood);
  const stems = new Set<string>();
  const concepts = new Set<string>();
  for (const word of words) {
    const apostrophe = word.indexOf("'");
    const concept =
      CONCEPT_OF_WORD.get(word) ??
      (apostrophe < 0 ? undefined : CONCEPT_OF_WORD.get(word.slice(0, apostrophe)));
    if (concept !== undefined) concepts.add(concept);
    if (!STOPWORDS.has(word)) stems.add(stem(word));
  }
  // A negation in front of agreement is a rejection, not an acceptance.
  if (
    concepts.has("reject") &&
    concepts.has("accept") &&
    NEGATED_AGREEMENT.test(understood.toLowerCase().replace(/n't/g, " n't").replace(/\s+/g, " "))
  ) {
    concepts.delete("accept");
  }
  return { stems, concepts };
}

const NEGATIVE_CONCEPTS = new Set(["cancel", "reject"]);

/** Conditions whose description asks for free content ("the user describes ...") accept any statement. */
const OPEN_ANSWER = /\b(describes?|provides?|gives?|answers?|states?|explains?|tells?|mentions?)\b/i;

export function isOpenAnswer(description: string): boolean {
  return OPEN_ANSWER.test(description);
}

export interface ConditionMatch {
  index: number;
  score: number;
}

/**
 * Scores each exit-condition description against the user's words: shared concepts weigh most, shared
 * word stems next. Returns the best match, or undefined when nothing matches. An open-answer condition
 * is the fallback for a statement that matches nothing else. Reads only the understood part of the text.
 */
export function classifyExitCondition(userText: string, descriptions: string[]): ConditionMatch | undefined {
  const user = featuresOf(userText);
  let best: ConditionMatch | undefined;
  descriptions.forEach((description, index) => {
    const condition = featuresOf(description);
    let score = 0;
    for (const concept of condition.concepts) {
      if (user.concepts.has(concept)) score += 2;
      // A condition about refusing or cancelling needs the user to refuse or cancel.
      else if (NEGATIVE_CONCEPTS.has(concept)) score -= 2;
    }
    for (const s of condition.stems) if (user.stems.has(s)) score += 1;
    if (score > 0 && (best === undefined || score > best.score)) best = { index, score };
  });
  if (best !== undefined) return best;
  if (user.concepts.has("cancel") || tokenize(userText).length === 0) return undefined;
  const open = descriptions.findIndex((d) => OPEN_ANSWER.test(d));
  return open >= 0 ? { index: open, score: 0 } : undefined;
}

const FAREWELL =
  /\b(bye|goodbye|good bye|that'?s all|that is all|that'?s everything|that is everything|see you|farewell|have a good (day|one))\b/i;

/** True for a message that ends the session ("bye, that's all", "that's everything, thanks"). */
export function isFarewell(userText: string): boolean {
  return FAREWELL.test(understoodPart(userText));
}

/** Example replies for a condition, used as the expected phrases of a state (grammar recognition). */
export function examplePhrasesFor(description: string): string[] {
  const concepts = featuresOf(description).concepts;
  const phrases: string[] = [];
  if (concepts.has("accept")) phrases.push("yes", "yes that works", "that sounds good", "okay");
  if (concepts.has("alternative"))
    phrases.push("another time please", "do you have something later", "a different day");
  if (concepts.has("cancel")) phrases.push("cancel", "never mind", "no thanks");
  if (concepts.has("reject")) phrases.push("no", "no thank you");
  return phrases;
}
