/**
 * edge-counter: units from a PLC cycle bit (edges, debounced) or counter register (delta),
 * per machine, with the counts kept durably (state journal + the context store the user picks).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { RateLimit, StartGate, Throttle, errorText, numberSetting } from '../../lib/shared/node-kit';
import { NodeState } from '../../lib/shared/state-journal';
import { systemClock } from '../../lib/shared/clock';
import { COUNT_MODES, EdgeCounter, outageKeysOf, type CountMode, type CountWarning, type EdgeCounterOptions } from '../../lib/production/edge-counter';
import { KEY_SOURCES, parseCounterInput, type KeySource } from '../../lib/production/edge-input';
import { TOPIC_UNITS, type ContractMessage, type UnitEvent } from '../../lib/shared/messages';
import { counterSamplings, type KeySampling } from '../../lib/shared/telemetry-advice';
import type { Phrase } from '../../lib/shared/telemetry-status';
import { ValidationError, timestampWindowOf } from '../../lib/shared/validate';
import { clearPhrased, showPhrased, type PhrasedShown } from '../shared/phrased-status';
import { EDGE_COUNTER_CONFIG_DEFAULTS, EDGE_COUNTER_LIMITS, EDGE_COUNTER_TYPE } from './types';

type EdgeCounterDef = NodeDef & Record<string, unknown>;

/** How often the status is refreshed without input, so a gap shows (and its age grows) while no readings come. */
const STATUS_REFRESH_MS = 1000;

function optionsOf(def: EdgeCounterDef): EdgeCounterOptions {
  const d = EDGE_COUNTER_CONFIG_DEFAULTS;
  const l = EDGE_COUNTER_LIMITS;
  return {
    mode: COUNT_MODES.includes(def.mode as CountMode) ? (def.mode as CountMode) : d.mode,
    minHighMs: numberSetting(def.minHighMs, d.minHighMs, ...l.debounceMs),
    minLowMs: numberSetting(def.minLowMs, d.minLowMs, ...l.debounceMs),
    counterBits: Number(def.counterBits) === 32 ? 32 : 16,
    maxStep: numberSetting(def.maxStep, d.maxStep, ...l.maxStep),
    gapWarnMs: numberSetting(def.gapWarnSeconds, d.gapWarnSeconds, ...l.gapWarnSeconds) * 1000,
    idealCycleMs: numberSetting(def.idealCycleSeconds, d.idealCycleSeconds, ...l.idealCycleSeconds) * 1000,
  };
}

/** The catalogue key of a counting warning. */
function warningKey(warning: CountWarning): string {
  return warning.kind === 'short-pulse' ? `edge-counter.warning.short-pulse.${warning.params.level}` : `edge-counter.warning.${warning.kind}`;
}

/** Every key's sampling for the reader's dialog: judged keys with their advice, the others "no advice yet". */
function keySamplings(counter: EdgeCounter, now: number): KeySampling[] {
  const judged = new Map(counter.samplingAt(now).map((a) => [a.key, a]));
  return [...counter.state].map(([key, state]) => {
    const a = judged.get(key);
    return {
      key, shortestPhaseMs: state.shortestPhaseMs, pulseMs: a?.pulseMs ?? null, readEveryMs: a?.readEveryMs ?? null, slowestSafeMs: a?.slowestSafeMs ?? null, tooSlow: a?.tooSlow ?? false,
    };
  }).sort((a, b) => a.key.localeCompare(b.key));
}

/** What msg.reset asks for: every key, one key, or nothing. */
function resetOf(value: unknown): { all: true } | { key: string } | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { all: true };
  if (typeof value === 'string' && value !== '') return { key: value };
  throw new ValidationError('msg.reset', `expected true (all keys) or a key string, got ${typeof value}`);
}

export = function register(RED: NodeAPI): void {
  // The package's timestamp window (settings.js, s7productionTimestampWindow), read once.
  const timestampWindow = timestampWindowOf(RED.settings, (problem) => RED.log.warn(RED._('edge-counter.errors.timestampWindow', { problem })));
  const t = (key: string, params?: Record<string, string | number>): string => RED._(`edge-counter.${key}`, params);

  function EdgeCounterNode(this: Node, def: EdgeCounterDef): void {
    RED.nodes.createNode(this, def);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handlers below outlive `this`
    const node = this;
    const clock = systemClock;
    const options = optionsOf(def);
    const keyBy: KeySource = KEY_SOURCES.includes(def.keyBy as KeySource) ? (def.keyBy as KeySource) : 'machineId';
    const store = typeof def.store === 'string' && def.store !== '' ? def.store : undefined;
    const warnings = new RateLimit(60_000, () => clock.now());
    const gate = new StartGate((err) => node.error(`edge-counter: ${errorText(err)}`));
    let counter = new EdgeCounter(options);

    let lastStatus = '';
    const status = new Throttle(1000, () => {
      let total = 0;
      const seen = { suppressed: 0, resets: 0, rollovers: 0, jumps: 0 };
      for (const k of counter.state.values()) {
        total += k.total;
        seen.suppressed += k.suppressed;
        seen.resets += k.resets;
        seen.rollovers += k.rollovers;
        seen.jumps += k.jumps;
      }
      const count = (n: number, what: string): Phrase => ({ key: 'edge-counter.status.count', values: { count: n, what: { key: `edge-counter.status.${what}` } } });
      const andMore = (first: Phrase, more: number): Phrase => (more > 0 ? { key: 'edge-counter.status.andMore', values: { first, count: more } } : first);
      const parts = [count(total, 'units'), count(counter.state.size, 'keys')];
      for (const [name, n] of Object.entries(seen)) if (n > 0) parts.push(count(n, name));
      const unsaved = state.statusProblem;
      const gaps = counter.gapsAt(clock.now());
      const advice = counter.adviceAt(clock.now());
      let shown: PhrasedShown;
      if (unsaved) {
        shown = { fill: 'yellow', shape: 'ring', phrases: [{ key: 'edge-counter.status.text', values: { text: unsaved } }, parts[0]] };
      } else if (gaps.length > 0) {
        const oldest = gaps.reduce((a, b) => (b.ageMs > a.ageMs ? b : a));
        const gap: Phrase = { key: 'edge-counter.status.gap', values: { key: oldest.key, age: Math.round(oldest.ageMs / 1000) } };
        shown = { fill: 'yellow', shape: 'ring', phrases: [andMore(gap, gaps.length - 1), ...parts] };
      } else if (advice.length > 0) {
        // The fastest reading any key needs.
        const worst = advice.reduce((a, b) => (b.readEveryMs < a.readEveryMs ? b : a));
        const said: Phrase = worst.pulseMs === null
          ? { key: 'edge-counter.status.adviceUnresolved', values: { key: worst.key, interval: worst.intervalMs, every: worst.readEveryMs } }
          : { key: 'edge-counter.status.advice', values: { key: worst.key, pulse: worst.pulseMs, every: worst.readEveryMs } };
        shown = { fill: 'yellow', shape: 'dot', phrases: [andMore(said, advice.length - 1), ...parts] };
      } else {
        shown = { fill: 'green', shape: 'dot', phrases: parts };
      }
      // Refreshed every second for the gaps' age: only a change reaches the editor.
      const key = JSON.stringify(shown);
      if (key === lastStatus) return;
      lastStatus = key;
      showPhrased(RED, node, shown);
    }, clock);

    const state = new NodeState({
      host: node,
      settings: RED.settings as unknown as { userDir?: unknown; contextStorage?: unknown },
      t,
      store,
      snapshot: () => counter.toJSON(),
      onStatus: () => status.request(),
      clock,
    });

    node.status({ fill: 'grey', shape: 'ring', text: 'edge-counter.status.restoring' });
    void (async () => {
      try {
        // The persisted level and counter value are the baseline: what the signal did while
        // Node-RED was stopped is counted from them (a unit across the downtime, once).
        counter = new EdgeCounter(options, await state.load());
      } catch (err) {
        node.error(t('error.restore', { error: errorText(err) }));
      }
      gate.open();
      status.request();
    })();

    const refresh = setInterval(() => status.request(), STATUS_REFRESH_MS);
    // A register counts every unit at any interval: only the edge modes ask the reader for one.
    const sampling = { name: node.name || node.id, sampling: (now: number) => keySamplings(counter, now) };
    if (options.mode !== 'counter') counterSamplings.set(node.id, sampling);

    node.on('input', (msg: NodeMessage, send, done) => {
      gate.run(() => {
        try {
          const errors = handle(msg, send);
          if (errors.length > 0) done(new Error(errors.join('; ')));
          else done();
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });

    /** Counts one message; returns the problems to report through done(err). */
    function handle(msg: NodeMessage, send: (msgs: NodeMessage[][]) => void): string[] {
      const errors: string[] = [];
      const out: NodeMessage[] = [];
      let changed = false;
      try {
        const reset = resetOf((msg as ContractMessage).reset);
        if (reset) {
          counter.reset('key' in reset ? reset.key : undefined);
          changed = true;
        }
      } catch (err) {
        errors.push(errorText(err));
      }
      const input = msg as ContractMessage;
      const isReadingMessage = input.readings !== undefined || input.signal !== undefined;
      if (isReadingMessage || input.reset === undefined) {
        const now = clock.now();
        for (const outage of outageKeysOf(input, options.mode, keyBy, now)) {
          counter.outage(outage.key, outage.timestamp);
          changed = true;
        }
        const parsed = parseCounterInput(input, options.mode, keyBy, now, timestampWindow);
        for (const error of parsed.errors) errors.push(error);
        for (const sample of parsed.samples) {
          try {
            const result = counter.sample(sample.key, sample.timestamp, sample.value, sample.field);
            changed = true;
            for (const warning of result.warnings) {
              // Gaps, resets and jumps are events, each told once; a pulse too short for the sampling recurs with every pulse.
              if (warning.kind !== 'short-pulse' || warnings.allow(sample.key, warning.kind)) node.warn(RED._(warningKey(warning), warning.params));
            }
            if (result.delta > 0) {
              const units: UnitEvent = {
                key: sample.key,
                ...(sample.machineId ? { machineId: sample.machineId } : {}),
                ...(sample.sensorId ? { sensorId: sample.sensorId } : {}),
                delta: result.delta,
                total: result.total,
                counter: node.id,
                timestamp: result.timestamp,
                source: options.mode,
              };
              out.push({ topic: TOPIC_UNITS, payload: result.delta, units, timestamp: result.timestamp } as NodeMessage);
            }
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            errors.push(err.message);
          }
        }
      }
      if (changed) state.changed();
      // A unit event leaves once the total it carries is in the journal (see NodeState.sendInOrder).
      if (out.length > 0) state.sendInOrder(() => send([out]), true);
      status.request();
      return errors;
    }

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(refresh);
      if (counterSamplings.get(node.id) === sampling) counterSamplings.delete(node.id);
      clearPhrased(RED, node);
      // Held inputs run first, so their counts are saved; a removed node's saved state goes with it.
      void gate.whenOpen().then(async () => {
        status.close();
        await state.close(removed);
        done();
      });
    });
  }

  RED.nodes.registerType(EDGE_COUNTER_TYPE, EdgeCounterNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
