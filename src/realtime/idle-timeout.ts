/** Seconds before the idle timeout runs out at which `server.timeout-warning` goes out. */
const TIMEOUT_WARNING_S = 15;

/**
 * A session's idle timeout (docs/realtime.md): the warning `TIMEOUT_WARNING_S` before it runs out
 * (or at once when the timeout is shorter), then `expired`. Every activity restarts the countdown.
 */
export class IdleTimeout {
  /** The session's timeout (s): `idle_timeout_s` of `client.start-conversation`, default 120. */
  timeoutS = 120;
  private idleTimer: NodeJS.Timeout | undefined;
  private warnTimer: NodeJS.Timeout | undefined;

  constructor(private readonly handlers: { warning: (secondsLeft: number) => void; expired: () => void }) {}

  /** Starts the countdown again: from `seconds` this once (`client.extend-timeout`), else from `timeoutS`. */
  restart(seconds?: number): void {
    this.stop();
    const timeoutS = seconds ?? this.timeoutS;
    this.warnTimer = setTimeout(
      () => this.handlers.warning(Math.min(TIMEOUT_WARNING_S, timeoutS)),
      Math.max(0, timeoutS - TIMEOUT_WARNING_S) * 1000,
    );
    this.idleTimer = setTimeout(() => this.handlers.expired(), timeoutS * 1000);
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.warnTimer);
  }
}
