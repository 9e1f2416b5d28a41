/**
 * What the counters ask of a reader's interval (lib/shared/telemetry-advice.ts) and how the
 * reader's dialog words it (nodes/shared/editor/reader-advice.ts), in both languages; and the
 * sampling advisor's judgement of every key, also of keys read fast enough.
 */
import assert from 'node:assert/strict';
import { EDGE_COUNTER_DEFAULTS, EdgeCounter } from '../../../lib/production/edge-counter';
import { downstreamOf, readerAdvice, type CounterSource, type KeySampling, type WiresOf } from '../../../lib/shared/telemetry-advice';
import { adviceLines, judgedInterval } from '../../../nodes/shared/editor/reader-advice';
import { catalogue } from '../../helpers/catalogue';

/** Reads a 500 ms pulse every 4 s, 3 ms late per reading so the reader drifts against the machine, into key "m1". */
function readPulses(counter: EdgeCounter, everyMs: number, forMs: number): number {
  let t = 0;
  for (let i = 0; t < forMs; i++) {
    t = 40 + i * (everyMs + 3);
    counter.sample('m1', t, t % 4000 < 500);
  }
  return t;
}

const wires = (graph: Record<string, string[][]>): WiresOf => (id) => graph[id];
const source = (name: string, keys: KeySampling[]): CounterSource => ({ name, sampling: () => keys });
/** A key as a counter judges it: the advice is 2.5 readings a pulse, safe down to 2.25 (lib/production/sampling-advisor.ts). */
const key = (k: string, readEveryMs: number | null, pulseMs: number | null = null, tooSlow = false): KeySampling =>
  ({ key: k, shortestPhaseMs: pulseMs, pulseMs, readEveryMs, slowestSafeMs: readEveryMs === null ? null : Math.floor((readEveryMs * 2.5) / 2.25), tooSlow });

describe('shared/telemetry-advice', () => {
  it('finds the nodes downstream along every output, through nodes in between, and survives loops', () => {
    const graph = { reader: [['counter', 'debug'], ['switch']], switch: [['counter2']], counter: [['agg']], agg: [['reader']], counter2: [] };
    assert.deepEqual([...downstreamOf('reader', wires(graph))].sort(), ['agg', 'counter', 'counter2', 'debug', 'switch']);
    assert.deepEqual([...downstreamOf('lonely', wires(graph))], []);
  });

  it('a reader\'s advice: only the counters it feeds, the fastest reading any key asks for, too slow when the interval exceeds it', () => {
    const graph = { reader: [['a', 'b']], other: [['c']] };
    const counters = new Map([
      ['a', source('press line', [key('press-1', 200, 500), key('press-2', null)])],
      ['b', source('lathe line', [key('lathe-2', 400, null, true)])],
      ['c', source('elsewhere', [key('x', 10, 25)])],
    ]);
    const advice = readerAdvice('reader', 1000, wires(graph), counters, 0);
    assert.deepEqual(advice.counters.map((c) => c.name), ['lathe line', 'press line'], 'sorted by name, the unfed counter left out');
    assert.deepEqual(advice.asked, { readEveryMs: 200, counter: 'press line', key: 'press-1', pulseMs: 500, slowestSafeMs: 222 });
    assert.equal(advice.tooSlow, true);
    assert.equal(readerAdvice('reader', 200, wires(graph), counters, 0).tooSlow, false, '200 ms is what is asked');
    assert.equal(readerAdvice('reader', 220, wires(graph), counters, 0).tooSlow, false, 'a little slower than advised still reads every pulse about twice');
    assert.equal(readerAdvice('reader', 230, wires(graph), counters, 0).tooSlow, true, 'slower than the counter reads safely');
    const none = readerAdvice('reader', 200, wires(graph), new Map([['a', source('press line', [key('press-1', null)])]]), 0);
    assert.equal(none.asked, undefined);
    assert.equal(none.tooSlow, false, 'no advice, no complaint');
  });

  it('the advisor judges every key: 500 ms pulses read every 200 ms ask for ≤ 200 ms and are fine; read every 1000 ms they are too slow', () => {
    const fast = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    const [judged] = fast.samplingAt(readPulses(fast, 200, 60_000));
    assert.equal(judged.key, 'm1');
    assert.equal(judged.tooSlow, false);
    assert.ok(judged.readEveryMs !== null && Math.abs(judged.readEveryMs - 200) <= 20, `asks for ≤ ${judged.readEveryMs} ms`);
    assert.ok(judged.pulseMs !== null && Math.abs(judged.pulseMs - 500) <= 100, `pulses ≈ ${judged.pulseMs} ms`);
    assert.deepEqual(fast.adviceAt(60_000), [], 'adviceAt still lists only the keys read too slowly');

    const slow = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    const end = readPulses(slow, 1000, 120_000);
    const [tooSlow] = slow.samplingAt(end);
    assert.deepEqual({ ...tooSlow }, { key: 'm1', intervalMs: 1003, pulseMs: null, readEveryMs: 400, slowestSafeMs: 445, tooSlow: true });
    assert.deepEqual(slow.adviceAt(end), [{ key: 'm1', intervalMs: 1003, pulseMs: null, readEveryMs: 400 }]);
  });

  it('the dialog words it in English and German, and judges the typed interval or, for ${ENV}, the deployed one', () => {
    const en = (k: string, v?: Record<string, string | number>) => catalogue('nodes/plc-reader', 'plc-reader')(`plc-reader.${k}`, v);
    const de = (k: string, v?: Record<string, string | number>) => catalogue('nodes/plc-reader', 'plc-reader', 'de')(`plc-reader.${k}`, v);
    const advice = readerAdvice('reader', 1000, wires({ reader: [['a']] }), new Map([['a', source('Units', [key('press-1', 200, 500)])]]), 0);
    assert.deepEqual(adviceLines(advice, 1000, en), {
      summary: 'Counters ask for ≤ 200 ms: press-1 (pulses ≈ 500 ms) 1000 ms is slower: units are missed.',
      tooSlow: true,
      details: ['Units · press-1: shortest phase 500 ms, read every ≤ 200 ms'],
    });
    assert.equal(adviceLines(advice, 200, en).summary, 'Counters ask for ≤ 200 ms: press-1 (pulses ≈ 500 ms)');
    assert.equal(adviceLines(advice, 210, en).tooSlow, false, 'the counter\'s own verdict: 210 ms still reads 500 ms pulses twice');
    assert.equal(adviceLines(advice, 200, de).summary, 'Zähler verlangen ≤ 200 ms: press-1 (Impulse ≈ 500 ms)');
    const unresolved = readerAdvice('reader', 1000, wires({ reader: [['a']] }), new Map([['a', source('Units', [key('press-1', 400, null, true)])]]), 0);
    assert.match(adviceLines(unresolved, 1000, en).summary, /^Counters ask for ≤ 400 ms: press-1 \(pulses shorter than a reading at 1000 ms\)/);
    const noCounters = readerAdvice('reader', 1000, wires({}), new Map(), 0);
    assert.equal(adviceLines(noCounters, 1000, en).summary, 'No deployed edge counter (edge mode) is fed by this reader.');
    const waiting = readerAdvice('reader', 1000, wires({ reader: [['a']] }), new Map([['a', source('Units', [])]]), 0);
    assert.deepEqual(adviceLines(waiting, 1000, en).details, ['Units: no advice yet']);

    assert.equal(judgedInterval('250', 1000), 250);
    assert.equal(judgedInterval('${PLC_INTERVAL_MS}', 1000), 1000);
    assert.equal(judgedInterval('', 1000), 1000);
  });
});
