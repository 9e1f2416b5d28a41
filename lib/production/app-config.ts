/**
 * The application's `configs` document: signalTimeouts in minutes (defaults 5 and 2), read
 * the way the application reads them (a missing or zero value means the default).
 */
export interface SignalTimeouts {
  powerTimeoutMs: number;
  cycleTimeoutMs: number;
}

export function timeoutsFromConfigDocument(doc: unknown, fallback: SignalTimeouts): SignalTimeouts {
  const timeouts = (doc as { signalTimeouts?: { powerSignalTimeout?: unknown; cycleSignalTimeout?: unknown } } | null)?.signalTimeouts;
  const minutes = (value: unknown, otherwise: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * 60_000 : otherwise;
  return {
    powerTimeoutMs: minutes(timeouts?.powerSignalTimeout, fallback.powerTimeoutMs),
    cycleTimeoutMs: minutes(timeouts?.cycleSignalTimeout, fallback.cycleTimeoutMs),
  };
}
