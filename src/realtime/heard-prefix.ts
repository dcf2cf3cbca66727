import type { Utterance as SpokenPiece } from "../domain/turn-events.js";

/** Milliseconds of audio in the reply's spoken pieces. */
export function totalMs(pieces: SpokenPiece[]): number {
  return pieces.reduce((n, p) => n + p.durationMs, 0);
}

/** The alignment entries whose time falls in [fromMs, toMs). */
export function alignmentWithin(pieces: SpokenPiece[], fromMs: number, toMs: number): [number, string][] {
  return pieces.flatMap((p) => p.alignment).filter(([ms]) => ms >= fromMs && ms < toMs);
}

/**
 * The start of `fullMessage` that was heard: each spoken piece is found in the message in order, and
 * a piece counts up to its last character whose alignment time is below `heardMs`.
 */
export function heardPrefix(fullMessage: string, pieces: SpokenPiece[], heardMs: number): string {
  let cursor = 0;
  let heardEnd = 0;
  for (const piece of pieces) {
    const at = fullMessage.indexOf(piece.text.trim(), cursor);
    if (at < 0) break;
    const heardChars = piece.alignment.filter(([ms]) => ms < heardMs).length;
    if (heardChars === 0) break;
    const spoken = Math.min(piece.text.trim().length, heardChars);
    heardEnd = at + spoken;
    cursor = at + piece.text.trim().length;
    if (spoken < piece.text.trim().length) break;
  }
  return fullMessage.slice(0, heardEnd).trim();
}
