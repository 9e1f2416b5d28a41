/** Shared by the mongo runtime tests: a connection + sink flow in a real Node-RED runtime. */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Node } from 'node-red';
import connectionNode from '../../../nodes/mongo-connection/mongo-connection';
import sinkNode from '../../../nodes/mongo-sink/mongo-sink';
import { catalogueOf, withCatalogue } from '../../helpers/catalogue';
import { helper, nodeRedPath } from '../../helpers/node-red';
import type { MongoServerInfo } from '../../helpers/mongo-servers';

/** Node-RED's translation of the mongo nodes' keys, from their real catalogues. */
export const translate = catalogueOf('mongo-connection', 'mongo-sink');

export const NODES = [withCatalogue(connectionNode, 'mongo-connection', 'mongo-sink'), withCatalogue(sinkNode, 'mongo-connection', 'mongo-sink')];
export const T0 = Date.parse('2026-03-10T08:00:00Z');

export interface FlowOptions {
  sink?: Record<string, unknown>;
  connection?: Record<string, unknown>;
}

/** A connection, a sink and two helper nodes on the sink's outputs. */
export function sinkFlow(uri: string, database: string, options: FlowOptions = {}): Record<string, unknown>[] {
  return [
    { id: 'conn', type: 'mongo-connection', uri, database, serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, ...options.connection },
    {
      id: 'sink', type: 'mongo-sink', connection: 'conn', batchSize: 200, flushIntervalMs: 50, retryInitialMs: 100, retryMaxMs: 1000,
      wires: [['written'], ['results']], ...options.sink,
    },
    { id: 'written', type: 'helper' },
    { id: 'results', type: 'helper' },
  ];
}

export async function loadSink(server: MongoServerInfo, flow: Record<string, unknown>[], credentials: Record<string, unknown> = {}, userDir?: string): Promise<Node> {
  helper.settings({ s7productionMongoDriver: server.driver, ...(userDir ? { userDir } : {}) } as never);
  await helper.load(NODES as never, flow as never, credentials);
  return helper.getNode('sink');
}

/** Counts messages on a helper node. */
export function counter(id: string): { count: number; messages: Record<string, unknown>[] } {
  const state = { count: 0, messages: [] as Record<string, unknown>[] };
  helper.getNode(id).on('input', (msg: Record<string, unknown>) => {
    state.count++;
    if (state.messages.length < 1000) state.messages.push(msg);
  });
  return state;
}

/** Every node.error() call of a node (what done(err) produces), as text. */
export function onErrorCall(node: Node, listener: (text: string) => void): void {
  (node as unknown as { on(event: string, cb: (call: { args: unknown[] }) => void): void }).on('call:error', (call) => listener(String(call.args[0])));
}

/** Node-RED's log level of errors (fatal is 10). */
const ERROR_LEVEL = 20;

/**
 * The runtime's log from now on, as "<node type>: <text>" lines (`errors`: those logged as errors),
 * until stop(). Also what nodes log while they close: the test helper's spies are gone by then.
 */
export function recordLog(): { lines: string[]; errors: string[]; stop(): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { log } = require(require.resolve('@node-red/util', { paths: [path.dirname(nodeRedPath)] })) as {
    log: { addHandler(h: EventEmitter): void; removeHandler(h: EventEmitter): void };
  };
  const lines: string[] = [];
  const errors: string[] = [];
  const handler = new EventEmitter();
  handler.on('log', (entry: { type?: string; msg?: unknown; level?: number }) => {
    const line = `${entry.type ?? ''}: ${typeof entry.msg === 'string' ? entry.msg : String(entry.msg)}`;
    lines.push(line);
    if (entry.level !== undefined && entry.level <= ERROR_LEVEL) errors.push(line);
  });
  log.addHandler(handler);
  return { lines, errors, stop: () => log.removeHandler(handler) };
}

export function readingsMessage(machineId: string, sensorIds: string[], timestamp: number, value = 1): Record<string, unknown> {
  return {
    readings: sensorIds.map((sensorId, i) => ({
      signal: { name: `s${i}`, address: `DQ.${i}`, dataType: 'BOOL', kind: 'unit-cycle', machineId, sensorId },
      value, quality: 'good', timestamp,
    })),
    timestamp,
  };
}

/** Every status text a node has shown so far. */
export function statusTexts(node: Node): string[] {
  const spy = (node as unknown as { status: { args: { text?: string }[][] } }).status;
  return spy.args.map((args) => args[0]?.text ?? '');
}
