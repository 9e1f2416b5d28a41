/**
 * The words of the reader dialog's counters' advice (nodes/plc-reader/editor/advice.ts), from
 * GET plc-reader/:id/advice: pure, so it is tested without a browser.
 */
import type { CounterSampling, KeySampling, ReaderAdvice } from '../../../lib/shared/telemetry-advice';
import type { Labels } from './field-messages';

/** The interval to judge: the field's number, or the deployed one while the field holds ${ENV}. */
export function judgedInterval(fieldValue: string, deployedMs: number): number {
  const typed = Number(fieldValue.trim());
  return fieldValue.trim() !== '' && Number.isFinite(typed) ? typed : deployedMs;
}

function keyLine(t: Labels, counter: CounterSampling, k: KeySampling): string {
  const shortest = k.shortestPhaseMs === null ? '–' : String(Math.round(k.shortestPhaseMs));
  return k.readEveryMs === null
    ? t('advice.keyNoAdvice', { counter: counter.name, key: k.key, shortest })
    : t('advice.key', { counter: counter.name, key: k.key, shortest, every: k.readEveryMs });
}

/** The advice as lines of text: the summary first, then one line per counter key. */
export function adviceLines(advice: ReaderAdvice, intervalMs: number, t: Labels): { summary: string; tooSlow: boolean; details: string[] } {
  if (advice.counters.length === 0) return { summary: t('advice.noCounters'), tooSlow: false, details: [] };
  const details = advice.counters.flatMap((c) => (c.keys.length === 0 ? [t('advice.counterNoAdvice', { counter: c.name })] : c.keys.map((k) => keyLine(t, c, k))));
  const asked = advice.asked;
  if (!asked) return { summary: t('advice.noAdvice'), tooSlow: false, details };
  const summary = asked.pulseMs === null
    ? t('advice.askUnresolved', { every: asked.readEveryMs, key: asked.key, interval: advice.intervalMs })
    : t('advice.ask', { every: asked.readEveryMs, key: asked.key, pulse: asked.pulseMs });
  // slower than a counter reads safely; the advice itself leaves room for jitter
  const tooSlow = intervalMs > asked.slowestSafeMs;
  return { summary: tooSlow ? `${summary} ${t('advice.slower', { interval: intervalMs })}` : summary, tooSlow, details };
}
