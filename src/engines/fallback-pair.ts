/** What every engine kind has that a fallback pair needs: a name, capabilities, optional warm-up and close. */
interface PairableEngine {
  readonly name: string;
  readonly capabilities: unknown;
  warmUp?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A configured engine with the offline one behind it: named `<primary>+fallback:<fallback>`, with the
 * primary's capabilities; warming up and closing reach both. Subclasses decide when the fallback answers.
 */
export abstract class FallbackPair<E extends PairableEngine> {
  readonly name: string;
  readonly capabilities: E["capabilities"];

  constructor(
    protected readonly primary: E,
    protected readonly fallback: E,
    protected readonly warn: (message: string) => void,
  ) {
    this.name = `${primary.name}+fallback:${fallback.name}`;
    this.capabilities = primary.capabilities;
  }

  async warmUp(): Promise<void> {
    await Promise.all([this.primary.warmUp?.(), this.fallback.warmUp?.()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close?.(), this.fallback.close?.()]);
  }
}
