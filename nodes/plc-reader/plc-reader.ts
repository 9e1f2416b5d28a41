/**
 * plc-reader: reads the configured signals from a PLC through a plc-connection and sends
 * Readings (docs/ARCHITECTURE.md). Thin adapter over lib/reader's engine, signal validation,
 * MongoDB mapping source and status.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { PinMap } from '../../lib/s7/address';
import { parseMachineScope, plcHostInScope, type MachineScope } from '../../lib/app-contract';
import { ReaderEngine } from '../../lib/reader/engine';
import { isMongoDbSource, MappingPoller } from '../../lib/reader/mapping-source';
import { OUTPUT_MODES } from '../../lib/reader/output';
import { readOnce } from '../../lib/reader/read-once';
import { numberSetting } from '../../lib/shared/node-kit';
import type { ConnectionProvider } from '../../lib/s7/session/shared-connection';
import { MIN_INTERVAL_MS, parsePinMap, resolveSignals, toSignalRow, type SignalRow } from '../../lib/reader/signals';
import { readerStatusPhrases } from '../../lib/reader/status';
import { readingsOf, type ContractMessage, type Reading } from '../../lib/shared/messages';
import { RateMeter, telemetry } from '../../lib/shared/telemetry';
import { SignalWatch, signalWatches } from '../../lib/shared/telemetry-signals';
import { counterSamplings, readerAdvice } from '../../lib/shared/telemetry-advice';
import { registerEnvCheck, resolveConnectionEnv } from '../shared/env-check';
import { clearPhrased, showPhrased } from '../shared/phrased-status';
import { PLC_READER_CHECKS } from '../shared/editor/node-checks';
import { MIN_MAPPING_REFRESH_S, PLC_READER_DEFAULTS, PLC_READER_TYPE, type PlcReaderConfig, type TestReadRequest } from './types';

const STATUS_REFRESH_MS = 1000;
/** Bad signals named in one error; the rest are counted. */
const MAX_ERRORS_LISTED = 5;

/** The reader's number settings are bounded below only, as the dialog's validators are. */
const NO_MAX = Number.MAX_SAFE_INTEGER;

function summarizeBad(errors: string[]): string {
  const listed = errors.slice(0, MAX_ERRORS_LISTED).join('; ');
  const more = errors.length > MAX_ERRORS_LISTED ? `; and ${errors.length - MAX_ERRORS_LISTED} more` : '';
  return `${errors.length} bad signal${errors.length === 1 ? '' : 's'}: ${listed}${more}`;
}

export = function register(RED: NodeAPI): void {
  function PlcReader(this: Node, def: NodeDef & Partial<PlcReaderConfig>): void {
    RED.nodes.createNode(this, def);
    const config: PlcReaderConfig = { ...PLC_READER_DEFAULTS, connection: '', mongo: '', ...def };
    const intervalMs = numberSetting(config.intervalMs, PLC_READER_DEFAULTS.intervalMs, MIN_INTERVAL_MS, NO_MAX);
    const mode = OUTPUT_MODES.includes(config.outputMode) ? config.outputMode : PLC_READER_DEFAULTS.outputMode;
    let pinMap: PinMap;
    try {
      pinMap = parsePinMap(config.pinMap);
    } catch (err) {
      this.error(`pin map: ${(err as Error).message}`);
      pinMap = parsePinMap('');
    }

    const provider = RED.nodes.getNode(config.connection) as unknown as ConnectionProvider | null;
    const shared = provider?.shared;
    if (!shared) {
      const why = provider ? provider.settingsError ?? 'invalid settings' : 'no PLC connection configured';
      // a fixed phrase as a catalogue key: the editor shows it in its own language
      this.status({ fill: 'red', shape: 'ring', text: provider ? why : 'plc-reader.status.noConnection' });
      this.error(why);
      this.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => done(new Error(why)));
      return;
    }
    const connection = shared.acquire(this.id);

    const watch = new SignalWatch(this.id);
    signalWatches.set(this.id, watch);
    const engine = new ReaderEngine(connection, { mode, heartbeatMs: numberSetting(config.heartbeatS, 0, 0, NO_MAX) * 1000 }, {
      emit: (msgs) => {
        watch.observe(msgs.flatMap((m) => readingsOf(m) as Reading[]));
        this.send([msgs]);
      },
      reportBad: (errors: string[], readings: Reading[]) => {
        this.error(summarizeBad(errors), { payload: errors, readings } as unknown as NodeMessageInFlow);
      },
    });

    // the signal list: the table and/or the application's mappings, unless a message replaced it
    const useTable = config.source !== 'mongo';
    const useMongo = config.source === 'mongo' || config.source === 'both';
    let mappedRows: SignalRow[] = [];
    let replacedRows: SignalRow[] | undefined;
    let lastProblems = '';
    const tableRows = (Array.isArray(config.signals) ? config.signals : []).map(toSignalRow);
    const applySignals = (): Promise<void> => {
      const rows = replacedRows ?? [...(useTable ? tableRows : []), ...(useMongo ? mappedRows : [])];
      const { signals, problems } = resolveSignals(rows, intervalMs, pinMap);
      const problemText = problems.map((p) => p.message).join('\n');
      if (problemText !== lastProblems) {
        lastProblems = problemText;
        for (const p of problems) this.error(p.message);
      }
      return engine.setSignals(signals).then(() => watch.retain(engine.signalNames));
    };

    let poller: MappingPoller | undefined;
    // A bad scope reads no mappings: reading every machine would count other instances' units too.
    let scope: MachineScope | undefined;
    try {
      scope = parseMachineScope(config.machineScope);
    } catch (err) {
      if (useMongo) this.error((err as Error).message);
    }
    const hostTaken = scope !== undefined && plcHostInScope(provider.host ?? '', scope);
    if (useMongo && scope && !hostTaken) this.log(RED._('plc-reader.scope.hostNotInScope', { host: provider.host ?? '' }));
    if (useMongo && scope && hostTaken) {
      const mongo = RED.nodes.getNode(config.mongo);
      if (isMongoDbSource(mongo)) {
        poller = new MappingPoller({
          source: mongo,
          knownPins: Object.keys(pinMap),
          scope,
          refreshMs: numberSetting(config.mappingRefreshS, PLC_READER_DEFAULTS.mappingRefreshS, MIN_MAPPING_REFRESH_S, NO_MAX) * 1000,
          intervalMs: numberSetting(config.mappingIntervalMs, 0, MIN_INTERVAL_MS, NO_MAX) || undefined,
          onRows: (rows, otherShare) => {
            mappedRows = rows;
            this.log(`${rows.length} signal${rows.length === 1 ? '' : 's'} from the application's pin mappings`);
            if (otherShare > 0) this.log(RED._('plc-reader.scope.otherShare', { count: otherShare }));
            if (!replacedRows) applySignals().catch((err: Error) => this.error(err.message));
          },
          onSkipped: (skipped) => this.warn(`pin mappings left out: ${skipped.join('; ')}`),
          onError: (error) => (error === undefined ? this.log('pin mappings readable again') : this.error(error)),
        });
      } else {
        this.error('signal source MongoDB: no mongo-connection configured');
      }
    }

    let lastStatus = '';
    const rate = new RateMeter();
    const updateStatus = (): void => {
      const [conn, stats, now] = [shared.status(), engine.stats(), Date.now()];
      const sampling = { intervalMs, ratePerS: rate.sample(now, stats.cycles) };
      const status = readerStatusPhrases(conn, stats, now, sampling);
      telemetry.reader({ nodeId: this.id, name: this.name || this.id, state: conn.state, ...sampling, ...stats, pduSize: conn.negotiatedPdu });
      const key = JSON.stringify(status);
      if (key === lastStatus) return;
      lastStatus = key;
      showPhrased(RED, this, status);
    };
    const statusTimer = setInterval(updateStatus, STATUS_REFRESH_MS);
    connection.on('state', updateStatus);

    // the schedule starts once the first connect has succeeded or failed, so a deploy does
    // not begin with a cycle of "not connected" readings
    let closed = false;
    const startWhenSettled = (): void => {
      if (closed || connection.state === 'connecting') return;
      connection.off('state', startWhenSettled);
      engine.start().catch((err: Error) => this.error(`starting: ${err.message}`));
    };
    applySignals()
      .then(() => {
        if (closed) return;
        connection.on('state', startWhenSettled);
        startWhenSettled();
        poller?.start();
      })
      .catch((err: Error) => this.error(`starting: ${err.message}`));
    updateStatus();

    this.on('input', (input, send, done) => {
      const msg = input as NodeMessageInFlow & { signals?: unknown };
      const run = async (): Promise<void> => {
        if (msg.signals !== undefined) {
          if (!Array.isArray(msg.signals)) throw new Error('msg.signals must be an array of signal rows ({name, address, dataType?, kind?, machineId?, sensorId?, intervalMs?, deadband?})');
          const rows = msg.signals.map(toSignalRow);
          const { problems } = resolveSignals(rows, intervalMs, pinMap);
          if (problems.length > 0) {
            throw new Error(`msg.signals rejected, the signal list is unchanged: ${problems.map((p) => p.message).join('; ')}`);
          }
          replacedRows = rows;
          await applySignals();
        }
        const msgs = await engine.readNow();
        const { signals: _replaced, ...base } = msg;
        if (msgs.length > 0) send([msgs.map((m: ContractMessage) => ({ ...base, ...m }) as NodeMessageInFlow)]);
        updateStatus();
      };
      run().then(() => done(), (err: Error) => done(err));
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(statusTimer);
      telemetry.remove(this.id);
      clearPhrased(RED, this);
      if (signalWatches.get(this.id) === watch) signalWatches.delete(this.id);
      connection.off('state', updateStatus);
      connection.off('state', startWhenSettled);
      Promise.all([poller?.stop(), engine.stop()])
        .catch((err: Error) => this.warn(`closing: ${err.message}`))
        .finally(() => {
          shared.release(this.id);
          done();
        });
    });
  }
  RED.nodes.registerType(PLC_READER_TYPE, PlcReader as unknown as (this: Node, config: NodeDef) => void);

  registerEnvCheck(RED, PLC_READER_TYPE, PLC_READER_CHECKS);

  // the dialog's live view while tuning: what the deployed reader last read, no connection of its own
  RED.httpAdmin.get('/plc-reader/:id/live', RED.auth.needsPermission('plc-reader.read'), (req, res) => {
    const id = String(req.params.id);
    const watch = signalWatches.get(id);
    if (watch) res.json(watch.view());
    else res.status(404).json({ error: `no deployed plc-reader with id ${id}` });
  });

  // what the deployed counters fed by the reader ask of its interval, beside the dialog's interval field
  RED.httpAdmin.get('/plc-reader/:id/advice', RED.auth.needsPermission('plc-reader.read'), (req, res) => {
    const id = String(req.params.id);
    // the deployed interval, ${ENV} resolved, as the reader reports it
    const reader = telemetry.snapshot().readers.find((r) => r.nodeId === id);
    if (!reader) {
      res.status(404).json({ error: `no deployed plc-reader with id ${id}` });
      return;
    }
    const wiresOf = (nodeId: string): string[][] | undefined => (RED.nodes.getNode(nodeId) as unknown as { wires?: string[][] } | null)?.wires;
    res.json(readerAdvice(id, reader.intervalMs, wiresOf, counterSamplings, Date.now()));
  });

  // "test connection / read now": connect with the dialog's (unsaved) settings, read once, disconnect.
  // It makes the runtime open TCP connections to any host and port, so it needs the permission
  // deploying needs; one test read per user at a time, on a thread slot of its own (read-once.ts).
  const testReadsRunning = new Set<string>();
  RED.httpAdmin.post('/plc-reader/test-read', RED.auth.needsPermission('plc-reader.write'), (req, res) => {
    // without adminAuth there is one (anonymous) user
    const user = (req as { user?: { username?: string } }).user?.username ?? '';
    if (testReadsRunning.has(user)) {
      res.status(429).json({ error: RED._('plc-reader.errors.testReadRunning') });
      return;
    }
    const body = (req.body ?? {}) as Partial<TestReadRequest>;
    let options;
    let pinMap: PinMap;
    try {
      options = resolveConnectionEnv(RED, body.connection ?? {});
      pinMap = parsePinMap(body.pinMap);
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
      return;
    }
    const rows = (Array.isArray(body.signals) ? body.signals : []).map(toSignalRow);
    testReadsRunning.add(user);
    readOnce(options, rows, pinMap)
      .then((report) => res.json(report))
      .catch((err: Error) => res.status(500).json({ error: err.message }))
      .finally(() => testReadsRunning.delete(user));
  });
};
