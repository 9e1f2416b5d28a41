/** Shared by the mongo runtime tests: a connection + sink flow in a real Node-RED runtime. */
import type { Node } from 'node-red';
import connectionNode from '../../../nodes/mongo-connection/mongo-connection';
import sinkNode from '../../../nodes/mongo-sink/mongo-sink';
import { helper } from '../../helpers/node-red';
import type { MongoServerInfo } from '../../helpers/mongo-servers';

export const NODES = [connectionNode, sinkNode];
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

/** Polls `check`; an error thrown by a check counts as "not yet" (and is named on timeout). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last check failed: ${(lastError as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
