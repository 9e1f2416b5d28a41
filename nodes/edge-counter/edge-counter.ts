/**
 * edge-counter: units from a PLC cycle bit (edges, debounced) or counter register (delta),
 * per machine, with the counts kept in the context store the user picks.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { RateLimit, StartGate, StateSaver, Throttle, errorText, loadState, numberSetting, saveState, type ContextStore } from '../../lib/shared/node-kit';
import { COUNT_MODES, EdgeCounter, type CountMode, type EdgeCounterOptions } from '../../lib/production/edge-counter';
import { KEY_SOURCES, parseCounterInput, type KeySource } from '../../lib/production/edge-input';
import { TOPIC_UNITS, type ContractMessage, type UnitEvent } from '../../lib/shared/messages';
import { ValidationError, timestampWindowOf } from '../../lib/shared/validate';
import { EDGE_COUNTER_CONFIG_DEFAULTS, EDGE_COUNTER_LIMITS, EDGE_COUNTER_TYPE } from './types';

type EdgeCounterDef = NodeDef & Record<string, unknown>;

/** Counts reach the context store at most this long after they change (and at close). */
const SAVE_INTERVAL_MS = 1000;

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
  };
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
  function EdgeCounterNode(this: Node, def: EdgeCounterDef): void {
    RED.nodes.createNode(this, def);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handlers below outlive `this`
    const node = this;
    const options = optionsOf(def);
    const keyBy: KeySource = KEY_SOURCES.includes(def.keyBy as KeySource) ? (def.keyBy as KeySource) : 'machineId';
    const store = typeof def.store === 'string' && def.store !== '' ? def.store : undefined;
    const context = node.context() as unknown as ContextStore;
    const warnings = new RateLimit(60_000);
    const gate = new StartGate((err) => node.error(`edge-counter: ${errorText(err)}`));
    let counter = new EdgeCounter(options);
    const saver = new StateSaver(
      SAVE_INTERVAL_MS,
      () => saveState(context, store, counter.state),
      (err) => node.error(`edge-counter: saving the counts to context store "${store ?? 'default'}" failed: ${errorText(err)}`, {} as NodeMessage),
    );

    const status = new Throttle(1000, () => {
      const keys = Object.values(counter.state);
      const total = keys.reduce((sum, k) => sum + k.total, 0);
      const suppressed = keys.reduce((sum, k) => sum + k.suppressed, 0);
      const text = `${total} ${RED._('edge-counter.status.units')} · ${keys.length} ${RED._('edge-counter.status.keys')}` +
        (suppressed ? ` · ${suppressed} ${RED._('edge-counter.status.suppressed')}` : '');
      node.status({ fill: 'green', shape: 'dot', text });
    });

    node.status({ fill: 'grey', shape: 'ring', text: 'edge-counter.status.restoring' });
    void (async () => {
      try {
        counter = new EdgeCounter(options, await loadState(context, store));
        // What the signal did while stopped is unknown: the next sample of each key is a baseline.
        counter.rebaseline();
      } catch (err) {
        node.error(`edge-counter: restoring the counts from context store "${store ?? 'default'}" failed (${errorText(err)}); counting from 0`);
      }
      gate.open();
      status.request();
    })();

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
        const parsed = parseCounterInput(input, options.mode, keyBy, Date.now(), timestampWindow);
        for (const error of parsed.errors) errors.push(error);
        for (const sample of parsed.samples) {
          try {
            const result = counter.sample(sample.key, sample.timestamp, sample.value, sample.field);
            changed = true;
            for (const warning of result.warnings) {
              if (warnings.allow(sample.key, warning.kind)) node.warn(warning.message);
            }
            if (result.delta > 0) {
              const units: UnitEvent = {
                key: sample.key,
                ...(sample.machineId ? { machineId: sample.machineId } : {}),
                ...(sample.sensorId ? { sensorId: sample.sensorId } : {}),
                delta: result.delta,
                total: result.total,
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
      if (changed) saver.changed();
      if (out.length > 0) send([out]);
      status.request();
      return errors;
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      // Held inputs run first, so their counts reach the context store.
      void gate.whenOpen().then(async () => {
        status.close();
        saver.changed();
        await saver.flush();
        done();
      });
    });
  }

  RED.nodes.registerType(EDGE_COUNTER_TYPE, EdgeCounterNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
