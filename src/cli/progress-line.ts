/**
 * A progress line on a terminal: rewritten in place (`\r`) on a TTY; elsewhere (a pipe, a log) each
 * distinct update is a line of its own.
 */
export class ProgressLine {
  private last = "";
  private open = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.stream.isTTY) {
      const width = Math.max(20, (this.stream.columns ?? 80) - 1);
      this.stream.write(`\r${text.slice(0, width).padEnd(width)}`);
      this.open = true;
    } else {
      this.stream.write(`… ${text}\n`);
    }
  }

  /** Ends the line (on a TTY) so the next output starts on a fresh one. */
  done(): void {
    if (this.open) this.stream.write("\n");
    this.open = false;
  }
}
