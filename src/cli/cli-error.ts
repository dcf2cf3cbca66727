/** Exit codes of the `parley` client commands (talk, chat, live). */
export const EXIT = {
  ok: 0,
  /** The server answered with an error, or something unexpected failed. */
  failure: 1,
  /** Bad command line: unknown command or flag, missing file, missing credentials. */
  usage: 2,
  /** Nothing answers at the server's address. */
  serverUnreachable: 3,
  /** Sign-in refused: wrong organization, user, API key id or key. */
  authentication: 4,
  /** The audio file is not a format the server (or, for `live`, the client) can decode. */
  unsupportedAudio: 5,
} as const;

/** A failure the command reports in one line, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A `fetch` that failed before any answer: the server is down or the address is wrong. */
export function unreachable(baseUrl: string, error: unknown): CliError {
  const reason = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  const cause = reason?.code ?? reason?.errors?.[0]?.code;
  return new CliError(
    EXIT.serverUnreachable,
    `Cannot reach the Parley server at ${baseUrl}${cause === undefined ? "" : ` (${cause})`}. ` +
      "Is it running? Start it with `npm start`, or give its address with --base-url.",
  );
}
