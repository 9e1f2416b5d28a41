/**
 * Exponential backoff with jitter: the one retry policy of the package (S7 reconnects, MongoDB
 * connects, sink retries). Jitter spreads many clients that failed together (a PLC or database
 * restart) so they do not come back in lockstep.
 */
export interface BackoffOptions {
  /** Delay after the first failure, ms. */
  initialMs: number;
  /** Upper bound of the delay, ms. */
  maxMs: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Fraction of the delay drawn at random, 0..1 (default 0: exact delays). */
  jitter?: number;
  /** Random source in [0, 1) (default Math.random); tests inject their own. */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
    this.random = options.random ?? Math.random;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt, ms. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * this.factor ** this.failures);
    this.failures += 1;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** After a success: the next failure waits the initial delay again. */
  reset(): void {
    this.failures = 0;
  }
}
