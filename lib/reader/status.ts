/**
 * The reader's node status: connection state, tag count, requests per cycle, cycle time,
 * bad tags, overruns and the retry countdown while the connection backs off.
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
}

const MAX_ERROR_CHARS = 60;

export function readerStatus(conn: ConnectionView | undefined, stats: EngineStats, now: number): NodeStatus {
  if (!conn) return { fill: 'red', shape: 'ring', text: 'no PLC connection configured' };
  const tags = `${stats.tags} tag${stats.tags === 1 ? '' : 's'}`;
  switch (conn.state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: `connecting · ${tags}` };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: `closed · ${tags}` };
    case 'backoff': {
      const seconds = conn.retryAt === undefined ? 0 : Math.max(0, Math.ceil((conn.retryAt - now) / 1000));
      const reason = conn.lastError ? `: ${conn.lastError.slice(0, MAX_ERROR_CHARS)}` : '';
      return { fill: 'red', shape: 'ring', text: `retry in ${seconds} s${reason}` };
    }
    case 'connected': {
      const parts = [tags, `${stats.requestsPerCycle} req`, `${Math.round(stats.cycleTimeMs)} ms`];
      if (stats.bad > 0) parts.push(`${stats.bad} bad`);
      if (stats.overruns > 0) parts.push(`${stats.overruns} overrun${stats.overruns === 1 ? '' : 's'}`);
      return { fill: stats.bad > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(' · ') };
    }
  }
}
