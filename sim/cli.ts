/**
 * PLC simulator command line: its options in HELP below (`--help`; sim/README.md says the same).
 *
 * Memory (sim/layout.ts, sim/README.md): Q0 bit i = the application's DQ.i; per machine a DB of
 * 1024 bytes: DBD0 power (REAL kW), DBD4 unit counter (DINT), samples of every S7 type from DBB8,
 * REAL[200] at DBD200..DBD996. IW64 = 0x1234, IB0 = 0x81, MW2 = 4242, MD10 = REAL 21.5, M1.3 = true.
 *
 * Forked with IPC (test/helpers/simulator.ts), it also answers control messages
 * {id, cmd, args}: setScenario(machine, patch), truth(machine), silence(), unsilence(),
 * stopServer(), startServer(), restart(downMs), connectionCount(), connectionsAccepted(),
 * pulseLog(machine, since), readRequestTimes(since), resetCounter(machine, value), shutdown()
 * with {id, ok: true, result} or {id, ok: false, error}. It exits when its parent goes away.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PlcSimulator, type MachineSim, type SimulatorOptions } from './simulator';

/**
 * The demo plant. Its cycle times are no whole multiples of a usual reading interval, as a real
 * machine's never are exactly: a bit whose period is a multiple of the reader's keeps its phase to
 * the readings, so an interval too slow for the pulses could miss every one of them for minutes,
 * with nothing for the sampling advisor to see (a real plant's cycle jitter spreads the readings).
 */
export const DEMO_MACHINES: MachineSim[] = [
  { name: 'press-1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 4300, pulseWidthMs: 500, powerKw: 18.5 },
  {
    name: 'lathe-2', db: 2, powerPin: 2, cyclePin: 3, scenario: 'running', cycleTimeMs: 6700, pulseWidthMs: 500, powerKw: 7.5,
    stoppageEveryMs: 600_000, stoppageDurationMs: 240_000,
  },
];

export interface ControlRequest { id: number; cmd: string; args?: unknown[] }
export type ControlReply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: string };

export const HELP = `usage: node dist/sim/cli.js [--port N] [--host 127.0.0.1] [--pdu 240|480|960] (--machines file.json | --machines-json JSON | --demo)

  --port N             public S7 port; 0 (default) = a free port. Real PLCs use 102.
  --host H             address to bind, default 127.0.0.1
  --pdu N              PDU size the server imposes: 240 (S7-1200-like), 480 (default), 960 (S7-1500-like)
  --machines F         JSON file holding an array of machines (MachineSim, sim/simulator.ts), e.g.
                       [{"name":"press","db":1,"powerPin":0,"cyclePin":1,"scenario":"running","cycleTimeMs":3000}]
  --machines-json J    the same array inline
  --demo               two machines: press-1 (DB1, power DQ.0, cycle DQ.1, one unit every 4 s, 18.5 kW) and
                       lathe-2 (DB2, power DQ.2, cycle DQ.3, one unit every 6 s, 7.5 kW, standing still with
                       power on for 4 min out of every 10: longer than the application's 2-min cycle-signal timeout)
  -h, --help           this text

When ready it prints one JSON line on stdout: {"ready":true,"host":...,"port":...,"pdu":...,"machines":[...]}.
Logs go to stderr; SIGINT/SIGTERM stop it.`;

/** The command line's options (HELP says what each means). */
export const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  pdu: { type: 'string' },
  machines: { type: 'string' },
  'machines-json': { type: 'string' },
  demo: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The simulator's settings from its command line; undefined when it asks for --help. A wrong one throws, naming it. */
export function optionsOf(argv: string[]): SimulatorOptions | undefined {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (values.help) return undefined;
  const machines = values.demo ? DEMO_MACHINES
    : values['machines-json'] !== undefined ? (JSON.parse(values['machines-json']) as MachineSim[])
      : values.machines !== undefined ? (JSON.parse(readFileSync(values.machines, 'utf8')) as MachineSim[])
        : undefined;
  if (!machines) throw new Error('give --machines file.json, --machines-json JSON or --demo');
  const opts: SimulatorOptions = { machines };
  if (values.port !== undefined) opts.port = Number(values.port);
  if (values.host !== undefined) opts.host = values.host;
  if (values.pdu !== undefined) opts.pduSize = Number(values.pdu);
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) throw new Error('--port must be 0..65535');
  return opts;
}

async function handle(sim: PlcSimulator, req: ControlRequest): Promise<unknown> {
  const args = req.args ?? [];
  switch (req.cmd) {
    case 'setScenario': return sim.setScenario(args[0] as string, args[1] as Partial<MachineSim>);
    case 'truth': return sim.truth(args[0] as string);
    case 'silence': return sim.silence();
    case 'unsilence': return sim.unsilence();
    case 'stopServer': return sim.stopServer();
    case 'startServer': return sim.startServer();
    case 'restart': return sim.restart(Number(args[0] ?? 0));
    case 'connectionCount': return sim.connectionCount();
    case 'connectionsAccepted': return sim.connectionsAccepted();
    case 'pulseLog': return sim.pulseLog(args[0] as string, Number(args[1] ?? 0));
    case 'readRequestTimes': return sim.readRequestTimes(Number(args[0] ?? 0));
    case 'resetCounter': return sim.resetCounter(args[0] as string, Number(args[1] ?? 0));
    case 'shutdown': setImmediate(() => void shutdown(sim, 0)); return undefined;
    default: throw new Error(`unknown command ${req.cmd}`);
  }
}

async function shutdown(sim: PlcSimulator, code: number): Promise<void> {
  try {
    await sim.stop();
  } finally {
    process.exit(code);
  }
}

async function main(): Promise<void> {
  let opts: SimulatorOptions | undefined;
  try {
    opts = optionsOf(process.argv.slice(2));
  } catch (err) {
    console.error(`simulator: ${(err as Error).message} (--help lists the options)`);
    process.exit(2);
  }
  if (!opts) {
    console.log(HELP);
    process.exit(0);
  }
  let sim: PlcSimulator;
  try {
    sim = new PlcSimulator(opts);
  } catch (err) {
    console.error(`simulator: ${(err as Error).message}`);
    process.exit(2);
  }
  const { port } = await sim.start();
  const info = {
    ready: true, host: opts.host ?? '127.0.0.1', port, pdu: opts.pduSize ?? 480,
    machines: opts.machines.map((m) => ({ name: m.name, db: m.db, powerPin: m.powerPin, cyclePin: m.cyclePin })),
  };
  console.log(JSON.stringify(info));
  process.send?.({ type: 'ready', ...info });
  process.on('message', (msg: ControlRequest) => {
    handle(sim, msg).then(
      (result) => process.send?.({ id: msg.id, ok: true, result } satisfies ControlReply),
      (err: Error) => process.send?.({ id: msg.id, ok: false, error: err.message } satisfies ControlReply),
    );
  });
  process.on('disconnect', () => void shutdown(sim, 0));
  process.on('SIGINT', () => void shutdown(sim, 0));
  process.on('SIGTERM', () => void shutdown(sim, 0));
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`simulator: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
