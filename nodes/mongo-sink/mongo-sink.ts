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
import { telemetry } from '../../lib/shared/telemetry';
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
    const problems = connection ? sinkConfigProblems(config) : ['no MongoDB connection configured'];
    if (problems.length) {
      const text = problems.join('; ');
      node.error(`mongo-sink: ${text}`);
      node.status({ fill: 'red', shape: 'ring', text: problems[0] });
      node.on('input', (_msg, _send, done) => done(new Error(`mongo-sink not configured: ${text}`)));
      return;
    }
    const conn = connection!;

    let spool: Spool<WorkItem> | undefined;
    if (config.spool) {
      const userDir = (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd();
      spool = new Spool<WorkItem>(path.join(userDir, SPOOL_DIR, `mongo-sink-${node.id}.jsonl`), conn.driver.BSON.EJSON);
    }

    let stats: SinkStats | undefined;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = (): void => {
      statusTimer = undefined;
      const state = conn.state;
      const s = stats;
      const counts = s ? `queued ${s.queued} · written ${s.written}${s.dropped ? ` · dropped ${s.dropped}` : ''}${s.failed ? ` · failed ${s.failed}` : ''}` : '';
      const fill = state.status === 'connected' && !s?.retrying ? 'green' : state.status === 'connecting' || s?.retrying ? 'yellow' : 'red';
      node.status({ fill, shape: state.status === 'connected' ? 'dot' : 'ring', text: `${state.status}${counts ? ' · ' + counts : ''}` });
    };
    const requestStatus = (): void => {
      statusTimer ??= setTimeout(showStatus, STATUS_INTERVAL_MS);
    };

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
        warn: (text) => node.warn(text),
        redact: (text) => conn.redact(text),
      });
    } catch (err) {
      // An unreadable spool file must not take the runtime down; the node says why it cannot work.
      const text = `mongo-sink cannot start: ${(err as Error).message}`;
      node.error(text);
      node.status({ fill: 'red', shape: 'ring', text: 'spool unreadable' });
      node.on('input', (_msg, _send, done) => done(new Error(text)));
      return;
    }
    const onConnectionStatus = (_state: ConnectionState): void => {
      requestStatus();
      engine.flush();
    };
    conn.on('status', onConnectionStatus);
    showStatus();

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
      if (statusTimer) clearTimeout(statusTimer);
      telemetry.remove(node.id);
      engine.close().then(
        (left) => {
          if (left > 0) node.warn(spool ? `${left} queued entries kept in ${spool.file}; written after the next start` : `${left} queued entries were not written (enable the disk spool to keep them across restarts)`);
          done();
        },
        (err: unknown) => {
          node.warn(`closing: ${(err as Error).message}`);
          done();
        },
      );
    });
  }

  RED.nodes.registerType(MONGO_SINK_TYPE, MongoSink as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
