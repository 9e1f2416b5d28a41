/**
 * Which keys (machines) have had no good input for longer than a threshold: the PLC is down,
 * or the reader stopped. A node's status turns yellow with the age, so a stale count or hour
 * does not look healthy.
 */
export interface StaleInput {
  key: string;
  /** How long since the key's last good input, ms. */
  ageMs: number;
}

export class InputWatch {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly thresholdMs: number) {}

  /** A good input of the key arrived at `at` (the clock's time, not the reading's). */
  seen(key: string, at: number): void {
    this.lastSeen.set(key, at);
  }

  /** The keys without input for longer than the threshold, the longest first. */
  staleAt(now: number): StaleInput[] {
    const stale: StaleInput[] = [];
    for (const [key, at] of this.lastSeen) if (now - at > this.thresholdMs) stale.push({ key, ageMs: now - at });
    return stale.sort((a, b) => b.ageMs - a.ageMs);
  }
}
