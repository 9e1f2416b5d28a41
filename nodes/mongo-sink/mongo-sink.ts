/**
 * mongo-sink: the thin Node-RED adapter around SinkEngine (lib/mongo/sink-engine.ts).
 * Output 1: the input message, once everything it carried is written. Output 2: write results
 * (one message per batch, and one per burst of dropped readings).
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { ConnectionState, MongoConnectionHandle } from '../../lib/mongo/connection-handle';
import type { IntakeConfig, WorkItem } from '../../lib/mongo/intake';
import { normalizeSinkConfig, sinkConfigProblems, type MongoSinkConfig } from '../../lib/mongo/sink-config';
import { timestampWindowOf } from '../../lib/shared/validate';
import { SinkEngine, type SinkStats } from '../../lib/mongo/sink-engine';
import { Spool } from '../../lib/mongo/spool';
import type { BsonTypes, DbLike } from '../../lib/mongo/store';
import type { ContractMessage } from '../../lib/shared/messages';
import { Throttle } from '../../lib/shared/node-kit';
import { telemetry } from '../../lib/shared/telemetry';
import type { Phrase } from '../../lib/shared/telemetry-status';
import { clearPhrased, showPhrased } from '../shared/phrased-status';
import { MONGO_SINK_TYPE, SPOOL_DIR } from './types';

type MongoSinkDef = NodeDef & Partial<Record<keyof MongoSinkConfig, unknown>>;

const STATUS_INTERVAL_MS = 500;

export = function register(RED: NodeAPI): void {
  // The package's timestamp window (settings.js, s7productionTimestampWindow), read once.
  const timestampWindow = timestampWindowOf(RED.settings, (problem) => RED.log.warn(RED._('mongo-sink.errors.timestampWindow', { problem })));
  function MongoSink(this: Node, def: MongoSinkDef): void {
    RED.nodes.createNode(this, def);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the closures below outlive `this`
    const node = this;
    const config: IntakeConfig = { ...normalizeSinkConfig(def), timestampWindow };
    const connection = RED.nodes.getNode(config.connection) as unknown as MongoConnectionHandle | null;
    const t = (key: string, params?: Record<string, string | number>): string => RED._(`mongo-sink.${key}`, params);
    const problems = connection ? sinkConfigProblems(config) : [t('log.noConnection')];
    if (problems.length) {
      const text = t('log.notConfigured', { problems: problems.join('; ') });
      node.error(text);
      node.status({ fill: 'red', shape: 'ring', text: problems[0] });
      node.on('input', (_msg, _send, done) => done(new Error(text)));
      return;
    }
    const conn = connection!;

    let spool: Spool<WorkItem> | undefined;
    if (config.spool) {
      const userDir = (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd();
      spool = new Spool<WorkItem>(path.join(userDir, SPOOL_DIR, `mongo-sink-${node.id}.jsonl`), conn.driver.BSON.EJSON, {
        onProblem: (problem) => {
          if (problem) node.warn(t('log.spoolFailing', { error: problem.message }));
          else node.log(t('log.spoolRecovered', { file: spool!.file }));
          status.request();
        },
      });
    }

    let stats: SinkStats | undefined;
    const showStatus = (): void => {
      const state = conn.state;
      const s = stats;
      if (state.problem) {
        // The cause in words; the connection logged it in full, with the fix.
        node.status({ fill: 'red', shape: 'ring', text: t(`status.problem.${state.problem}`) });
        return;
      }
      const parts: Phrase[] = [{ key: `mongo-sink.status.${state.status}` }];
      const labelled = (what: string, count: number): Phrase => ({ key: 'mongo-sink.status.labelled', values: { what: { key: `mongo-sink.status.${what}` }, count } });
      if (s) {
        parts.push(labelled('queued', s.queued), labelled('written', s.written));
        if (s.dropped) parts.push(labelled('dropped', s.dropped));
        if (s.failed) parts.push(labelled('failed', s.failed));
        if (s.casRetries) parts.push(labelled('casRetries', s.casRetries));
        if (s.retrying) parts.push({ key: 'mongo-sink.status.retrying' });
      }
      if (spool?.problem) parts.push({ key: 'mongo-sink.status.spoolFailing' });
      const fill = state.status === 'connected' && !s?.retrying && !spool?.problem ? 'green' : state.status === 'connecting' || s?.retrying || spool?.problem ? 'yellow' : 'red';
      showPhrased(RED, node, { fill, shape: state.status === 'connected' ? 'dot' : 'ring', phrases: parts });
    };
    const status = new Throttle(STATUS_INTERVAL_MS, showStatus);
    const requestStatus = (): void => status.request();

    let engine: SinkEngine;
    try {
      engine = new SinkEngine({
        config,
        getDb: () => conn.getDb({ waitMs: 0 }) as unknown as Promise<DbLike>,
        bson: conn.driver as unknown as BsonTypes,
        spool,
        onReport: (report) => node.send([null, { topic: 'write-result', payload: report } as NodeMessage]),
        onStats: (s) => {
          stats = s;
          telemetry.sink({ nodeId: node.id, name: node.name || node.id, at: Date.now(), ...s, spooled: spool?.pending ?? 0 });
          requestStatus();
        },
        warn: ({ key, ...params }) => node.warn(t(`log.${key}`, params)),
        onAbandoned: (error) => {
          const reason = t('log.abandoned', { limit: Math.round(error.limitMs / 1000) });
          node.warn(reason);
          conn.replaceClient(reason);
        },
        redact: (text) => conn.redact(text),
      });
    } catch (err) {
      // An unreadable spool file must not take the runtime down; the node says why it cannot work.
      const text = t('log.cannotStart', { error: (err as Error).message });
      node.error(text);
      node.status({ fill: 'red', shape: 'ring', text: t('status.spoolUnreadable') });
      node.on('input', (_msg, _send, done) => done(new Error(text)));
      node.on('close', () => status.close());
      return;
    }
    const release = conn.hold();
    const onConnectionStatus = (_state: ConnectionState): void => {
      requestStatus();
      engine.flush();
    };
    conn.on('status', onConnectionStatus);
    status.request();

    node.on('input', (msg, send, done) => {
      try {
        engine.submit(msg as ContractMessage, (err, dropped) => {
          if (err) done(err);
          else {
            // Output 1 means "written": a message whose readings were dropped is not passed on.
            if (!dropped) send([msg, null]);
            done();
          }
        });
      } catch (err) {
        done(err as Error);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      conn.off('status', onConnectionStatus);
      telemetry.remove(node.id);
      clearPhrased(RED, node);
      engine.close().then(
        (left) => {
          status.close(); // after the engine: its last flushes still request updates
          // Said only when something is really left: close() writes what the database takes.
          if (left > 0) {
            if (!spool) node.warn(t('log.notWritten', { count: left }));
            else if (spool.problem) node.warn(t('log.spoolLost', { count: left, error: spool.problem.message }));
            else node.warn(t('log.kept', { count: left, file: spool.file }));
          }
          release();
          done();
        },
        (err: unknown) => {
          status.close();
          node.warn(t('log.closing', { error: (err as Error).message }));
          release();
          done();
        },
      );
    });
  }

  RED.nodes.registerType(MONGO_SINK_TYPE, MongoSink as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
