/**
 * The reader's node status, answering "did my retune work?": configured interval, achieved
 * rate, tag count, requests per cycle, cycle time, bad tags, overruns, and the retry countdown
 * while the connection backs off. Texts come from the node's catalogue (plc-reader.status.*),
 * so the words live in one place and in both languages.
 */
import type { S7ConnectionState } from '../s7/connection';
import type { EngineStats } from './engine';

export interface NodeStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
}

export interface ConnectionView {
  state: S7ConnectionState;
  retryAt: number | undefined;
  lastError: string | undefined;
  /** S7 connections open now; shown when the pool holds more than one. */
  connections?: number;
}

/** A catalogue lookup with `__name__` values, as Node-RED's RED._ does. */
export type Translate = (key: string, values?: Record<string, string | number>) => string;

export interface SamplingView {
  /** The node's configured interval, ms. */
  intervalMs: number;
  /** Cycles per second actually achieved; undefined until measured. */
  ratePerS: number | undefined;
}

const MAX_ERROR_CHARS = 60;
const counted = (t: Translate, one: string, many: string, count: number): string =>
  t(count === 1 ? one : many, { count });

export function readerStatus(
  conn: ConnectionView | undefined,
  stats: EngineStats,
  now: number,
  t: Translate,
  sampling?: SamplingView,
): NodeStatus {
  if (!conn) return { fill: 'red', shape: 'ring', text: t('plc-reader.status.noConnection') };
  const tags = counted(t, 'plc-reader.status.tag', 'plc-reader.status.tags', stats.tags);
  switch (conn.state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('plc-reader.status.connecting', { tags }) };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: t('plc-reader.status.closed', { tags }) };
    case 'backoff': {
      const seconds = conn.retryAt === undefined ? 0 : Math.max(0, Math.ceil((conn.retryAt - now) / 1000));
      const text = conn.lastError
        ? t('plc-reader.status.retryBecause', { seconds, reason: conn.lastError.slice(0, MAX_ERROR_CHARS) })
        : t('plc-reader.status.retry', { seconds });
      return { fill: 'red', shape: 'ring', text };
    }
    case 'connected': {
      const parts: string[] = [];
      if (sampling) {
        parts.push(t('plc-reader.status.every', { ms: sampling.intervalMs }));
        if (sampling.ratePerS !== undefined) parts.push(t('plc-reader.status.rate', { rate: sampling.ratePerS.toFixed(1) }));
      }
      parts.push(tags, t('plc-reader.status.requests', { count: stats.requestsPerCycle }),
        t('plc-reader.status.cycleTime', { ms: Math.round(stats.cycleTimeMs) }));
      if ((conn.connections ?? 1) > 1) parts.push(t('plc-reader.status.connections', { count: conn.connections! }));
      if (stats.bad > 0) parts.push(t('plc-reader.status.bad', { count: stats.bad }));
      if (stats.overruns > 0) parts.push(counted(t, 'plc-reader.status.overrun', 'plc-reader.status.overruns', stats.overruns));
      return { fill: stats.bad > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(' · ') };
    }
  }
}
