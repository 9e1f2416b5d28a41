/**
 * The reader's node status, answering "did my retune work?": configured interval, achieved
 * rate, tag count, requests per cycle, cycle time, bad tags, overruns, and the retry countdown
 * while the connection backs off. Texts come from the node's catalogue (plc-reader.status.*),
 * so the words live in one place and in both languages; as phrases, so the editor words them in
 * its own language (lib/shared/telemetry-status.ts).
 */
import type { S7ConnectionState } from '../s7/connection';
import type { EngineStats } from './engine';
import { plainNumber, wordPhrases, type Phrase, type Translate } from '../shared/telemetry-status';

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

export type { Translate };

export interface SamplingView {
  /** The node's configured interval, ms. */
  intervalMs: number;
  /** Cycles per second actually achieved; undefined until measured. */
  ratePerS: number | undefined;
}

const MAX_ERROR_CHARS = 60;
const counted = (one: string, many: string, count: number): Phrase => ({ key: count === 1 ? one : many, values: { count } });

export interface PhrasedNodeStatus {
  fill: NodeStatus['fill'];
  shape: NodeStatus['shape'];
  /** The text as catalogue phrases, for an editor in another language (lib/shared/telemetry-status.ts). */
  phrases: Phrase[];
}

/** The reader's status as catalogue phrases. */
export function readerStatusPhrases(
  conn: ConnectionView | undefined,
  stats: EngineStats,
  now: number,
  sampling?: SamplingView,
): PhrasedNodeStatus {
  if (!conn) return { fill: 'red', shape: 'ring', phrases: [{ key: 'plc-reader.status.noConnection' }] };
  const tags = counted('plc-reader.status.tag', 'plc-reader.status.tags', stats.tags);
  switch (conn.state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', phrases: [{ key: 'plc-reader.status.connecting', values: { tags } }] };
    case 'closed':
      return { fill: 'grey', shape: 'ring', phrases: [{ key: 'plc-reader.status.closed', values: { tags } }] };
    case 'backoff': {
      const seconds = conn.retryAt === undefined ? 0 : Math.max(0, Math.ceil((conn.retryAt - now) / 1000));
      const phrase: Phrase = conn.lastError
        ? { key: 'plc-reader.status.retryBecause', values: { seconds, reason: conn.lastError.slice(0, MAX_ERROR_CHARS) } }
        : { key: 'plc-reader.status.retry', values: { seconds } };
      return { fill: 'red', shape: 'ring', phrases: [phrase] };
    }
    case 'connected': {
      const phrases: Phrase[] = [];
      if (sampling) {
        phrases.push({ key: 'plc-reader.status.every', values: { ms: sampling.intervalMs } });
        if (sampling.ratePerS !== undefined) phrases.push({ key: 'plc-reader.status.rate', values: { rate: { decimal: Math.round(sampling.ratePerS * 10) / 10, digits: 1 } } });
      }
      phrases.push(tags, { key: 'plc-reader.status.requests', values: { count: stats.requestsPerCycle } },
        { key: 'plc-reader.status.cycleTime', values: { ms: Math.round(stats.cycleTimeMs) } });
      if ((conn.connections ?? 1) > 1) phrases.push({ key: 'plc-reader.status.connections', values: { count: conn.connections! } });
      if (stats.bad > 0) phrases.push({ key: 'plc-reader.status.bad', values: { count: stats.bad } });
      if (stats.overruns > 0) phrases.push(counted('plc-reader.status.overrun', 'plc-reader.status.overruns', stats.overruns));
      return { fill: stats.bad > 0 ? 'yellow' : 'green', shape: 'dot', phrases };
    }
  }
}

export function readerStatus(
  conn: ConnectionView | undefined,
  stats: EngineStats,
  now: number,
  t: Translate,
  sampling?: SamplingView,
): NodeStatus {
  const { fill, shape, phrases } = readerStatusPhrases(conn, stats, now, sampling);
  return { fill, shape, text: wordPhrases(phrases, t, plainNumber) };
}
