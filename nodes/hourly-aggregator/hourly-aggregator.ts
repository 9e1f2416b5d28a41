/**
 * hourly-aggregator: per machine per plant-local hour, in the application's terms.
 * Output 1: HourSnapshot (topic "production"); output 2: MachineStatusEvent ("machine-status").
 * Time advances with the readings' timestamps and with a wall-clock tick.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { StartGate, Throttle, errorText, numberSetting } from '../../lib/shared/node-kit';
import { NodeState } from '../../lib/shared/state-journal';
import { parseMachineScope, readScopedDayRecords, readSignalTimeouts, storedHoursOf, type MachineScope, type SignalTimeouts, type StoredHour } from '../../lib/app-contract';
import { HourlyAggregator, type AggregatorOptions, type AggregatorOutput } from '../../lib/production/hourly-aggregator';
import { parseAggregatorInput } from '../../lib/production/observations';
import { InputWatch } from '../../lib/production/input-watch';
import { HOUR_MS, MINUTE_MS } from '../../lib/production/plant-time';
import { systemClock } from '../../lib/shared/clock';
import type { MongoConnectionHandle } from '../../lib/mongo/connection-handle';
import { TOPIC_MACHINE_STATUS, TOPIC_PRODUCTION, type ContractMessage } from '../../lib/shared/messages';
import { timestampWindowOf } from '../../lib/shared/validate';
import { HOURLY_AGGREGATOR_CHECKS } from '../shared/editor/node-checks';
import { registerEnvCheck } from '../shared/env-check';
import { clearPhrased, showPhrased } from '../shared/phrased-status';
import type { Phrase } from '../../lib/shared/telemetry-status';
import { HOURLY_AGGREGATOR_CONFIG_DEFAULTS, HOURLY_AGGREGATOR_LIMITS, HOURLY_AGGREGATOR_TYPE } from './types';
import { telemetry } from '../../lib/shared/telemetry';

type HourlyAggregatorDef = NodeDef & Record<string, unknown>;

/** How often the application's configs document is read again. */
const CONFIG_REFRESH_MS = 10 * MINUTE_MS;

function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function optionsOf(def: HourlyAggregatorDef): AggregatorOptions & { powerThresholdKw: number; tickMs: number; staleMs: number } {
  const d = HOURLY_AGGREGATOR_CONFIG_DEFAULTS;
  const l = HOURLY_AGGREGATOR_LIMITS;
  return {
    // Empty (e.g. an unset PLANT_TZ in the default flow) means the Node-RED host's timezone.
    timeZone: typeof def.timeZone === 'string' && def.timeZone.trim() !== '' ? def.timeZone.trim() : systemTimeZone(),
    powerTimeoutMs: numberSetting(def.powerTimeoutMinutes, d.powerTimeoutMinutes, ...l.timeoutMinutes) * MINUTE_MS,
    cycleTimeoutMs: numberSetting(def.cycleTimeoutMinutes, d.cycleTimeoutMinutes, ...l.timeoutMinutes) * MINUTE_MS,
    snapshotIntervalMs: numberSetting(def.snapshotMinutes, d.snapshotMinutes, ...l.snapshotMinutes) * MINUTE_MS,
    graceMs: numberSetting(def.graceMinutes, d.graceMinutes, ...l.graceMinutes) * MINUTE_MS,
    retainMs: numberSetting(def.retainHours, d.retainHours, ...l.retainHours) * 3_600_000,
    settleMs: 2000,
    zeroFill: def.zeroFill === true,
    endStoppageOnPowerLoss: def.endStoppageOnPowerLoss === true,
    powerThresholdKw: numberSetting(def.powerThresholdKw, d.powerThresholdKw, ...l.powerThresholdKw),
    tickMs: numberSetting(def.tickSeconds, d.tickSeconds, ...l.tickSeconds) * 1000,
    staleMs: numberSetting(def.staleSeconds, d.staleSeconds, ...l.staleSeconds) * 1000,
  };
}

function messagesOf(out: AggregatorOutput): [NodeMessage[], NodeMessage[]] {
  return [
    out.snapshots.map((payload) => ({ topic: TOPIC_PRODUCTION, payload }) as NodeMessage),
    out.statuses.map((payload) => ({ topic: TOPIC_MACHINE_STATUS, payload }) as NodeMessage),
  ];
}

export = function register(RED: NodeAPI): void {
  // The package's timestamp window (settings.js, s7productionTimestampWindow), read once.
  const timestampWindow = timestampWindowOf(RED.settings, (problem) => RED.log.warn(RED._('hourly-aggregator.errors.timestampWindow', { problem })));
  function HourlyAggregatorNode(this: Node, def: HourlyAggregatorDef): void {
    RED.nodes.createNode(this, def);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handlers below outlive `this`
    const node = this;
    const options = optionsOf(def);
    const store = typeof def.store === 'string' && def.store !== '' ? def.store : undefined;
    const gate = new StartGate((err) => node.error(`hourly-aggregator: ${errorText(err)}`));
    let aggregator: HourlyAggregator;
    try {
      aggregator = new HourlyAggregator(options, Date.now);
    } catch (err) {
      node.error(`hourly-aggregator: ${errorText(err)}`);
      node.status({ fill: 'red', shape: 'ring', text: errorText(err) });
      node.on('input', (_msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => done(new Error(`not running: ${errorText(err)}`)));
      return;
    }
    const clock = systemClock;
    const inputs = new InputWatch(options.staleMs);
    const status = new Throttle(1000, () => {
      const parts: Phrase[] = [
        { key: 'hourly-aggregator.status.count', values: { count: aggregator.machineCount, what: { key: 'hourly-aggregator.status.machines' } } },
        { key: 'hourly-aggregator.status.text', values: { text: aggregator.zone.timeZone } },
      ];
      const stale = inputs.staleAt(clock.now());
      if (stale.length === 0) {
        showPhrased(RED, node, { fill: 'green', shape: 'dot', phrases: parts });
        return;
      }
      const staleSaid: Phrase = { key: 'hourly-aggregator.status.stale', values: { machine: stale[0].key, age: Math.round(stale[0].ageMs / 1000) } };
      const first: Phrase = stale.length > 1 ? { key: 'hourly-aggregator.status.andMore', values: { first: staleSaid, count: stale.length - 1 } } : staleSaid;
      showPhrased(RED, node, { fill: 'yellow', shape: 'ring', phrases: [first, ...parts] });
    }, clock);

    // Open hours reach the state journal and the context store within a second of a change, and at close.
    const saver = new NodeState({
      host: node,
      settings: RED.settings as unknown as { userDir?: unknown; contextStorage?: unknown },
      t: (key, params) => RED._(`hourly-aggregator.${key}`, params),
      store,
      snapshot: () => aggregator.state,
      onStatus: () => status.request(),
    });

    /** Sends what the aggregator produced; hour snapshots only once the state holding their units is saved. */
    const emit = (out: AggregatorOutput, send: (msgs: NodeMessage[][]) => void): void => {
      telemetry.production(node.id, out);
      if (out.snapshots.length > 0 || out.statuses.length > 0) saver.sendInOrder(() => send(messagesOf(out)), out.snapshots.length > 0);
    };

    const mongo = typeof def.mongo === 'string' && def.mongo !== '' ? (RED.nodes.getNode(def.mongo) as unknown as MongoConnectionHandle | null) : null;

    // This instance's share of the machines (README "Scaling"). Unreadable: nothing is restored,
    // since restoring every machine would write other instances' documents.
    let scope: MachineScope | undefined;
    try {
      scope = parseMachineScope(def.machineScope);
    } catch (err) {
      node.error(RED._('hourly-aggregator.log.badScope', { error: errorText(err) }));
    }
    /**
     * With host terms the database cannot tell which machines are ours: a machine's stored hours
     * are taken when its first reading arrives (readers take only their hosts' machines).
     */
    const heldHours = new Map<string, StoredHour[]>();
    const takeHeldHours = (machineId: string): void => {
      const held = heldHours.get(machineId);
      if (!held) return;
      heldHours.delete(machineId);
      for (const hour of held) aggregator.seedHour(hour);
    };

    /** Hours of the correction window the database holds and the context store does not (on unless switched off). */
    const restoreFromDb = async (): Promise<void> => {
      if (!mongo || def.restoreFromDb === false || !scope) return;
      try {
        const now = Date.now();
        const dates = new Set<string>();
        for (let t = now - options.retainMs; t < now + HOUR_MS; t += HOUR_MS) {
          const start = aggregator.zone.hourStart(t);
          dates.add(aggregator.zone.label(start).date);
          // Documents of older versions are dated by the plant-local date.
          dates.add(new Date(start + aggregator.zone.offsetMs(start)).toISOString().slice(0, 10));
        }
        const db = await mongo.getDb({ waitMs: 10_000 });
        let taken = 0;
        for (const doc of await readScopedDayRecords(db, dates, scope)) {
          for (const hour of storedHoursOf(doc)) {
            if (scope.plcHosts.length > 0) heldHours.set(hour.machineId, [...(heldHours.get(hour.machineId) ?? []), hour]);
            else if (aggregator.seedHour(hour)) taken += 1;
          }
        }
        if (taken > 0) node.log(RED._('hourly-aggregator.log.restored', { count: taken }));
        if (heldHours.size > 0) node.log(RED._('hourly-aggregator.log.held', { count: heldHours.size }));
      } catch (err) {
        node.warn(RED._('hourly-aggregator.log.restoreFailed', { error: mongo.redact(errorText(err)) }));
      }
    };

    /** The application's signalTimeouts (configs document), or null when not wanted or not readable. */
    const fetchTimeouts = async (): Promise<SignalTimeouts | null> => {
      if (!mongo || def.timeoutsFromDb !== true) return null;
      try {
        const db = await mongo.getDb({ waitMs: 10_000 });
        return await readSignalTimeouts(db, options);
      } catch (err) {
        node.warn(`reading the timeouts from the configs collection failed, keeping ${options.powerTimeoutMs / MINUTE_MS}/${options.cycleTimeoutMs / MINUTE_MS} min: ${mongo.redact(errorText(err))}`);
        return null;
      }
    };

    node.status({ fill: 'grey', shape: 'ring', text: 'hourly-aggregator.status.restoring' });
    void (async () => {
      try {
        aggregator = new HourlyAggregator(options, Date.now, await saver.load());
      } catch (err) {
        node.error(`hourly-aggregator: restoring open hours failed (${errorText(err)}); starting empty`);
      }
      await restoreFromDb();
      // Inputs wait until the timeouts are known.
      const timeouts = await fetchTimeouts();
      if (timeouts) aggregator.setTimeouts(timeouts.powerTimeoutMs, timeouts.cycleTimeoutMs);
      // The open hours again, as this session knows them: nothing waits for the next change.
      emit({ snapshots: aggregator.openSnapshots(), statuses: [] }, (msgs) => node.send(msgs));
      gate.open();
      status.request();
    })();

    const configTimer = setInterval(() => {
      void fetchTimeouts().then((t) => t && gate.run(() => aggregator.setTimeouts(t.powerTimeoutMs, t.cycleTimeoutMs)));
    }, CONFIG_REFRESH_MS);

    const tickTimer = setInterval(() => {
      gate.run(() => {
        emit(aggregator.tick(), (msgs) => node.send(msgs));
        saver.changed();
        status.request();
      });
    }, options.tickMs);

    node.on('input', (msg: NodeMessage, send, done) => {
      gate.run(() => {
        try {
          const parsed = parseAggregatorInput(msg as ContractMessage, Date.now(), aggregator.window, options, timestampWindow);
          const out: AggregatorOutput = { snapshots: [], statuses: [] };
          for (const obs of parsed.observations) {
            takeHeldHours(obs.machineId);
            inputs.seen(obs.machineId, clock.now());
            const result = aggregator.observe(obs);
            for (const snapshot of result.snapshots) out.snapshots.push(snapshot);
            for (const statusEvent of result.statuses) out.statuses.push(statusEvent);
          }
          emit(out, send);
          if (parsed.observations.length > 0) saver.changed();
          status.request();
          if (parsed.errors.length > 0) done(new Error(parsed.errors.join('; ')));
          else done();
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });

    node.on('close', (removed: boolean, done: () => void) => {
      telemetry.remove(node.id);
      clearPhrased(RED, node);
      clearInterval(tickTimer);
      clearInterval(configTimer);
      status.close();
      // Held inputs run first, so what they changed is saved; a removed node's saved state goes with it.
      void gate.whenOpen().then(async () => {
        await saver.close(removed);
        done();
      });
    });
  }

  RED.nodes.registerType(HOURLY_AGGREGATOR_TYPE, HourlyAggregatorNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
  registerEnvCheck(RED, HOURLY_AGGREGATOR_TYPE, HOURLY_AGGREGATOR_CHECKS);
};
