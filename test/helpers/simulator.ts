/**
 * Runs the PLC simulator (dist/sim/cli.js) in a child process, so a crash in the native S7
 * server cannot take the test runner down, and drives it over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CONNECTION_DEFAULTS } from '../../nodes/plc-connection/types';
import { PLC_READER_DEFAULTS, type PlcReaderConfig } from '../../nodes/plc-reader/types';
import type { ControlReply, ControlRequest } from '../../sim/cli';
import type { MachineSim, MachineTruth, PulseRecord } from '../../sim/simulator';

export { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress } from '../../sim/layout';
export type { MachineSim, MachineTruth, PulseRecord } from '../../sim/simulator';

export interface StartSimulatorOptions {
  port?: number;
  pduSize?: 240 | 480 | 960;
  machines?: MachineSim[];
  /** Use the CLI's --demo machines. */
  demo?: boolean;
}

export interface SimulatorHandle {
  host: string;
  port: number;
  pid: number;
  setScenario(machine: string, patch: Partial<MachineSim>): Promise<void>;
  truth(machine: string): Promise<MachineTruth>;
  silence(): Promise<void>;
  unsilence(): Promise<void>;
  /** The PLC goes away: listener closed, connections dropped. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  /** Client connections open right now. */
  connectionCount(): Promise<number>;
  connectionsAccepted(): Promise<number>;
  /** Ground truth: every unit cycle of the machine whose rising edge came at or after `since` (epoch ms). */
  pulseLog(machine: string, since?: number): Promise<PulseRecord[]>;
  /** Ground truth: when S7 read requests reached the PLC (epoch ms), at or after `since`. */
  readRequestTimes(since?: number): Promise<number[]>;
  /** Fault injection: the machine's unit counter starts again at `value` (default 0), as after a PLC restart. */
  resetCounter(machine: string, value?: number): Promise<void>;
  /** Stops the child process (idempotent). */
  close(): Promise<void>;
  /** Fault injection: SIGKILL, as if the PLC lost power; resolves when the process is gone. */
  kill(): Promise<void>;
}

const CLI = path.resolve(__dirname, '../../sim/cli.js');

export const ONE_MACHINE: MachineSim[] = [
  { name: 'm1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 1000, pulseWidthMs: 200, powerKw: 12.5 },
];

export function startSimulator(opts: StartSimulatorOptions = {}): Promise<SimulatorHandle> {
  const args = ['--port', String(opts.port ?? 0), '--pdu', String(opts.pduSize ?? 480)];
  if (opts.demo) args.push('--demo');
  else args.push('--machines-json', JSON.stringify(opts.machines ?? ONE_MACHINE));
  const child: ChildProcess = fork(CLI, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;

  const failAll = (why: string): void => {
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  };

  const call = <T>(cmd: string, ...callArgs: unknown[]): Promise<T> => new Promise<T>((resolve, reject) => {
    if (exited || !child.connected) {
      reject(new Error(`simulator is not running (${cmd})`));
      return;
    }
    const id = nextId++;
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, cmd, args: callArgs } satisfies ControlRequest);
  });

  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<SimulatorHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('simulator did not start within 10 s'));
    }, 10_000);
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      failAll(`simulator exited (code ${code}, signal ${signal})`);
      reject(new Error(`simulator exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('message', (msg: ControlReply | { type: 'ready'; host: string; port: number }) => {
      if ('type' in msg && msg.type === 'ready') {
        clearTimeout(timer);
        resolve({
          host: msg.host,
          port: msg.port,
          pid: child.pid as number,
          setScenario: (machine, patch) => call('setScenario', machine, patch),
          truth: (machine) => call('truth', machine),
          silence: () => call('silence'),
          unsilence: () => call('unsilence'),
          stopServer: () => call('stopServer'),
          startServer: () => call('startServer'),
          restart: (downMs = 0) => call('restart', downMs),
          connectionCount: () => call('connectionCount'),
          connectionsAccepted: () => call('connectionsAccepted'),
          pulseLog: (machine, since = 0) => call('pulseLog', machine, since),
          readRequestTimes: (since = 0) => call('readRequestTimes', since),
          resetCounter: (machine, value = 0) => call('resetCounter', machine, value),
          kill: async () => {
            if (!exited) child.kill('SIGKILL');
            await exitedPromise;
          },
          close: async () => {
            if (exited) return;
            const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
            child.kill('SIGTERM');
            await exitedPromise;
            clearTimeout(kill);
          },
        });
        return;
      }
      const reply = msg as ControlReply;
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(reply.error));
    });
  });
}

/** A press producing every 400 ms (DB1, power DQ.0, cycle DQ.1) and a lathe standing still, powered (DB2, DQ.2, DQ.3). */
export const PRESS_AND_LATHE: MachineSim[] = [
  { name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150 },
  { name: 'lathe', db: 2, powerPin: 2, cyclePin: 3, scenario: 'stopped-powered' },
];

/** A simulator for the enclosing describe: started before its tests, closed after them; the function gives it inside hooks and tests. */
export function useSimulator(opts: StartSimulatorOptions = {}): () => SimulatorHandle {
  let sim: SimulatorHandle | undefined;
  before(async function () {
    this.timeout(30_000);
    sim = await startSimulator(opts);
  });
  after(async () => {
    await sim?.close();
  });
  return () => {
    if (!sim) throw new Error('the simulator is not started yet (use it inside hooks and tests)');
    return sim;
  };
}

/** The plc-connection config node (id "plc") to the simulator, reconnecting within a second. */
export function plcConnectionNode(sim: Pick<SimulatorHandle, 'host' | 'port'>): Record<string, unknown> {
  return { id: 'plc', type: 'plc-connection', ...CONNECTION_DEFAULTS, name: 'simulator', host: sim.host, port: sim.port, reconnectMinMs: 200, reconnectMaxMs: 1000 };
}

/**
 * A plc-reader node (id "reader") on plcConnectionNode's connection, reading its table's signals,
 * with no heartbeat (only changes are sent); `settings` gives what else the test needs.
 */
export function plcReaderNode(settings: Partial<PlcReaderConfig> & Record<string, unknown>): Record<string, unknown> {
  return { id: 'reader', type: 'plc-reader', ...PLC_READER_DEFAULTS, name: 'reader', connection: 'plc', mongo: '', heartbeatS: 0, ...settings };
}
