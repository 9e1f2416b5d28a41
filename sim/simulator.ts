/**
 * A simulated S7 PLC on node-snap7's S7Server, presenting machines the way a real PLC does:
 * power and unit-cycle bits in the process-output byte Q0 (the application's DQ.0..DQ.7) and a
 * data block per machine (power, unit counter, samples of every S7 type; see layout.ts).
 *
 * Clients reach the S7Server through a small TCP proxy on the public port. The proxy lets the
 * simulator listen on a free port (snap7 cannot report the port it bound), count client
 * connections, and inject "silence": connections stay open but nothing is answered.
 */
import net from 'node:net';
import { freePort } from '../lib/shared/free-port';
import { encodeValue } from '../lib/s7/encode';
import { parseAddress } from '../lib/s7/address';
import { snap7, type Snap7Server } from '../lib/s7/snap7';
import { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, parseSample } from './layout';

export { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress, parseSample, type SampleTag } from './layout';

export type MachineScenario = 'running' | 'stopped-powered' | 'off' | 'producing-unpowered';

export interface MachineSim {
  name: string;
  /** The machine's data block number. */
  db: number;
  /** Bits of Q0 (the application's DQ.i). */
  powerPin?: number;
  cyclePin?: number;
  scenario: MachineScenario;
  /** Time between unit cycles while producing; default 2000. */
  cycleTimeMs?: number;
  /** How long the cycle bit stays on; default 200. */
  pulseWidthMs?: number;
  /** Power while running, kW; default 12.5. Idle (stopped-powered) draws 20 % of it. */
  powerKw?: number;
  /** Recurring stoppages for demos: every stoppageEveryMs the machine stands still (powered) for stoppageDurationMs. */
  stoppageEveryMs?: number;
  stoppageDurationMs?: number;
}

export interface SimulatorOptions {
  /** Public port; 0 = a free port. */
  port?: number;
  host?: string;
  /** PDU the server imposes: 240 (S7-300/1200-like), 480, 960 (S7-1500-like). */
  pduSize?: number;
  machines: MachineSim[];
}

/** One unit cycle as the PLC produced it: epoch ms of the cycle bit's rising and falling edge. */
export interface PulseRecord {
  rise: number;
  /** Absent while the bit is still high. */
  fall?: number;
}

export interface MachineTruth {
  /** Unit cycles produced since the simulator started. */
  pulses: number;
  /** The DB's unit counter. */
  counter: number;
  scenario: MachineScenario;
  /** Epoch ms of the last unit cycle's rising edge. */
  lastPulseAt?: number;
}

const IDLE_POWER_SHARE = 0.2;
/** Entries kept in each ground-truth log (pulses per machine, read requests): hours of a test's traffic. */
const LOG_LIMIT = 100_000;

function pushBounded<T>(log: T[], entry: T): void {
  log.push(entry);
  if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
}

/**
 * True when a client->PLC chunk holds an S7 "read variable" job: TPKT (03 00 len), COTP data
 * (len 02, type F0), S7 header (32, ROSCTR 01 = job, 10 bytes), then function code 04.
 */
function holdsReadRequest(chunk: Buffer): boolean {
  for (let at = 0; at + 18 <= chunk.length;) {
    const length = chunk.readUInt16BE(at + 2);
    if (chunk[at] !== 0x03 || length < 4) return false;
    const s7 = at + 5 + chunk[at + 4];
    if (chunk[at + 5] === 0xf0 && chunk[s7] === 0x32 && chunk[s7 + 1] === 0x01 && chunk[s7 + 10] === 0x04) return true;
    at += length;
  }
  return false;
}

interface MachineState {
  cfg: Required<Pick<MachineSim, 'cycleTimeMs' | 'pulseWidthMs' | 'powerKw'>> & MachineSim;
  db: Buffer;
  pulses: number;
  counter: number;
  lastPulseAt?: number;
  pulseLog: PulseRecord[];
  cycleTimer?: NodeJS.Timeout;
  pulseOffTimer?: NodeJS.Timeout;
  stoppageTimer?: NodeJS.Timeout;
  /** True while a recurring stoppage holds the machine. */
  inStoppage: boolean;
}

/** One client connection through the proxy, and what it holds while silenced. */
interface ProxiedPair { client: net.Socket; backend: net.Socket; toBackend: Buffer[]; toClient: Buffer[] }

const SCENARIOS: readonly MachineScenario[] = ['running', 'stopped-powered', 'off', 'producing-unpowered'];

/**
 * Stopped servers, kept until the process ends: node-snap7 keeps its event handles in
 * process-wide statics, so when the garbage collector destroys one S7Server while another one
 * lives, the process aborts (SIGABRT). A stopped server holds no socket or thread.
 */
const stoppedServers: Snap7Server[] = [];

function validateMachine(m: MachineState['cfg']): void {
  const fail = (why: string): never => {
    throw new Error(`machine "${m.name}": ${why}`);
  };
  if (!SCENARIOS.includes(m.scenario)) fail(`scenario must be one of ${SCENARIOS.join(', ')}, not ${String(m.scenario)}`);
  for (const pin of [m.powerPin, m.cyclePin]) {
    if (pin !== undefined && !(Number.isInteger(pin) && pin >= 0 && pin <= 7)) fail('pins are 0..7 (bits of Q0)');
  }
  if (!(m.cycleTimeMs >= 10)) fail('cycleTimeMs must be at least 10');
  if (!(m.pulseWidthMs >= 1 && m.pulseWidthMs < m.cycleTimeMs)) fail('pulseWidthMs must be at least 1 and shorter than cycleTimeMs');
  if (!(Number.isFinite(m.powerKw) && m.powerKw >= 0)) fail('powerKw must be a number >= 0');
  if ((m.stoppageEveryMs === undefined) !== (m.stoppageDurationMs === undefined)) fail('give both stoppageEveryMs and stoppageDurationMs, or neither');
  if (m.stoppageEveryMs !== undefined && !((m.stoppageDurationMs as number) > 0 && (m.stoppageDurationMs as number) < m.stoppageEveryMs)) {
    fail('stoppageDurationMs must be positive and shorter than stoppageEveryMs');
  }
}

export class PlcSimulator {
  private readonly host: string;
  private readonly pduSize: number;
  private publicPort: number;
  private backendPort = 0;
  private server: Snap7Server | undefined;
  private proxy: net.Server | undefined;
  private readonly pairs = new Set<ProxiedPair>();
  private readonly machines = new Map<string, MachineState>();
  private readonly outputs = Buffer.alloc(PROCESS_LAYOUT.outputsSize);
  /** When read requests reached the PLC (epoch ms): when clients really sampled it. */
  private readonly readRequests: number[] = [];
  private silenced = false;
  private serving = false;
  private totalConnections = 0;

  constructor(options: SimulatorOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.pduSize = options.pduSize ?? 480;
    this.publicPort = options.port ?? 0;
    if (![240, 480, 960].includes(this.pduSize)) throw new Error(`pduSize must be 240, 480 or 960, not ${this.pduSize}`);
    const dbs = new Set<number>();
    if (!Array.isArray(options.machines)) throw new Error('machines must be an array');
    for (const m of options.machines) {
      if (typeof m?.name !== 'string' || m.name === '') throw new Error('every machine needs a name');
      if (this.machines.has(m.name)) throw new Error(`machine "${m.name}" defined twice`);
      if (!(m.db >= 1 && m.db <= 65535) || dbs.has(m.db)) throw new Error(`machine "${m.name}": DB ${m.db} invalid or used twice`);
      dbs.add(m.db);
      const cfg = { cycleTimeMs: 2000, pulseWidthMs: 200, powerKw: 12.5, ...m };
      validateMachine(cfg);
      this.machines.set(m.name, {
        cfg,
        db: this.initialDb(m.db),
        pulses: 0,
        counter: 0,
        pulseLog: [],
        inStoppage: false,
      });
    }
  }

  get port(): number {
    return this.publicPort;
  }

  async start(): Promise<{ port: number }> {
    const { S7Server } = snap7();
    const server = new S7Server();
    this.server = server;
    server.RegisterArea(server.srvAreaPA, this.outputs);
    server.RegisterArea(server.srvAreaPE, this.initialInputs());
    server.RegisterArea(server.srvAreaMK, this.initialMerkers());
    for (const m of this.machines.values()) server.RegisterArea(server.srvAreaDB, m.cfg.db, m.db);
    server.SetParam(server.PDURequest, this.pduSize);
    await this.startServer();
    for (const m of this.machines.values()) {
      this.applyScenario(m);
      this.scheduleStoppages(m);
    }
    return { port: this.publicPort };
  }

  /** Fault injection: the PLC goes away (listener closed, every connection dropped). */
  async stopServer(): Promise<void> {
    if (!this.serving) return;
    this.serving = false;
    const proxy = this.proxy;
    this.proxy = undefined;
    for (const p of this.pairs) this.dropPair(p);
    if (proxy) await new Promise<void>((resolve) => proxy.close(() => resolve()));
    this.server?.Stop();
  }

  /** Fault injection: the PLC comes back on the same port. */
  async startServer(): Promise<void> {
    if (this.serving || !this.server) return;
    const server = this.server;
    for (let attempt = 0; ; attempt++) {
      if (this.backendPort === 0 || attempt > 0) this.backendPort = await freePort(this.host);
      server.SetParam(server.LocalPort, this.backendPort);
      if (server.StartTo(this.host) !== false) break;
      if (attempt >= 5) throw new Error(`S7Server cannot start: ${server.ErrorText(server.LastError())}`);
    }
    const proxy = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(this.publicPort, this.host, () => {
        proxy.off('error', reject);
        resolve();
      });
    });
    proxy.on('error', (err) => console.error(`simulator proxy: ${err.message}`));
    this.publicPort = (proxy.address() as net.AddressInfo).port;
    this.proxy = proxy;
    this.serving = true;
  }

  /** Stops the server, waits downMs, starts it again on the same port. */
  async restart(downMs = 0): Promise<void> {
    await this.stopServer();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.startServer();
  }

  /** Shuts everything down: server, proxy, machine timers. */
  async stop(): Promise<void> {
    for (const m of this.machines.values()) this.clearTimers(m);
    await this.stopServer();
    if (this.server) stoppedServers.push(this.server);
    this.server = undefined;
  }

  setScenario(machine: string, patch: Partial<MachineSim>): void {
    const m = this.machine(machine);
    if (patch.name !== undefined && patch.name !== machine) throw new Error('a machine cannot be renamed');
    if (patch.db !== undefined && patch.db !== m.cfg.db) throw new Error('a machine cannot change its DB');
    validateMachine({ ...m.cfg, ...patch });
    Object.assign(m.cfg, patch);
    if (patch.stoppageEveryMs !== undefined || patch.stoppageDurationMs !== undefined) {
      clearTimeout(m.stoppageTimer);
      m.inStoppage = false;
      this.scheduleStoppages(m);
    }
    this.applyScenario(m);
  }

  truth(machine: string): MachineTruth {
    const m = this.machine(machine);
    return { pulses: m.pulses, counter: m.counter, scenario: m.cfg.scenario, lastPulseAt: m.lastPulseAt };
  }

  /** Every unit cycle whose rising edge came at or after `since` (epoch ms), oldest first. */
  pulseLog(machine: string, since = 0): PulseRecord[] {
    return this.machine(machine).pulseLog.filter((p) => p.rise >= since).map((p) => ({ ...p }));
  }

  /** Epoch ms at which S7 read requests reached the PLC, at or after `since`, oldest first. */
  readRequestTimes(since = 0): number[] {
    return this.readRequests.filter((t) => t >= since);
  }

  /** Fault injection: the unit counter starts again at `value`, as after a PLC restart (the ground truth keeps counting). */
  resetCounter(machine: string, value = 0): void {
    const m = this.machine(machine);
    if (!Number.isInteger(value)) throw new Error(`counter value must be an integer, not ${String(value)}`);
    m.counter = value | 0;
    m.db.writeInt32BE(m.counter, MACHINE_DB_LAYOUT.unitCounter.offset);
    this.publish(m);
  }

  /** Stop answering while keeping every socket open (and accepting new ones). */
  silence(): void {
    this.silenced = true;
  }

  unsilence(): void {
    this.silenced = false;
    for (const p of this.pairs) this.flush(p);
  }

  /** Client connections open right now. */
  connectionCount(): number {
    return this.pairs.size;
  }

  /** Client connections accepted since start. */
  connectionsAccepted(): number {
    return this.totalConnections;
  }

  private machine(name: string): MachineState {
    const m = this.machines.get(name);
    if (!m) throw new Error(`no machine "${name}" (have: ${[...this.machines.keys()].join(', ')})`);
    return m;
  }

  private accept(client: net.Socket): void {
    this.totalConnections++;
    client.setNoDelay(true);
    const backend = net.connect(this.backendPort, this.host);
    backend.setNoDelay(true);
    const pair: ProxiedPair = { client, backend, toBackend: [], toClient: [] };
    this.pairs.add(pair);
    client.on('data', (d) => { pair.toBackend.push(d); this.flush(pair); });
    backend.on('data', (d) => { pair.toClient.push(d); this.flush(pair); });
    for (const s of [client, backend]) {
      s.on('error', () => this.dropPair(pair));
      s.on('close', () => this.dropPair(pair));
    }
  }

  private flush(p: ProxiedPair): void {
    if (this.silenced) return;
    for (const d of p.toBackend.splice(0)) {
      if (holdsReadRequest(d)) pushBounded(this.readRequests, Date.now());
      p.backend.write(d);
    }
    for (const d of p.toClient.splice(0)) p.client.write(d);
  }

  private dropPair(p: ProxiedPair): void {
    if (!this.pairs.delete(p)) return;
    p.client.destroy();
    p.backend.destroy();
  }

  private initialDb(db: number): Buffer {
    const buf = Buffer.alloc(MACHINE_DB_LAYOUT.size);
    for (const s of [...Object.values(MACHINE_DB_LAYOUT.samples), MACHINE_DB_LAYOUT.stringArray]) {
      const a = parseSample(db, s);
      encodeValue(buf, a.byteOffset, a, s.value);
    }
    const bulk = MACHINE_DB_LAYOUT.bulk;
    for (let i = 0; i < bulk.count; i++) buf.writeFloatBE(bulk.value(i), bulk.offset + 4 * i);
    return buf;
  }

  private initialInputs(): Buffer {
    const buf = Buffer.alloc(PROCESS_LAYOUT.inputsSize);
    for (const [addr, v] of Object.entries(PROCESS_LAYOUT.inputs)) {
      const a = parseAddress(addr);
      encodeValue(buf, a.byteOffset, a, v);
    }
    return buf;
  }

  private initialMerkers(): Buffer {
    const buf = Buffer.alloc(PROCESS_LAYOUT.merkersSize);
    const types: Record<string, string> = { MD10: 'REAL' };
    for (const [addr, v] of Object.entries(PROCESS_LAYOUT.merkers)) {
      const a = parseAddress(addr, types[addr]);
      encodeValue(buf, a.byteOffset, a, v);
    }
    return buf;
  }

  private effectiveScenario(m: MachineState): MachineScenario {
    return m.inStoppage && m.cfg.scenario === 'running' ? 'stopped-powered' : m.cfg.scenario;
  }

  /**
   * Sets power outputs and (re)starts the cycle timer for the machine's current scenario. The
   * cycle bit is left to its pulse timer: a pulse under way keeps its full width, as a PLC's pulse
   * timer does, so a scenario change never cuts a unit cycle short of a reader's next sample.
   */
  private applyScenario(m: MachineState): void {
    clearTimeout(m.cycleTimer);
    const scenario = this.effectiveScenario(m);
    const powered = scenario === 'running' || scenario === 'stopped-powered';
    const kw = scenario === 'running' ? m.cfg.powerKw : scenario === 'stopped-powered' ? m.cfg.powerKw * IDLE_POWER_SHARE : 0;
    m.db.writeFloatBE(kw, MACHINE_DB_LAYOUT.powerKw.offset);
    this.setPin(m.cfg.powerPin, powered);
    this.publish(m);
    if (scenario === 'running' || scenario === 'producing-unpowered') {
      // Clock-anchored: pulse k is due at t0 + k * cycle, so timer latency never accumulates.
      const t0 = Date.now();
      let k = 0;
      const next = (): void => {
        k++;
        m.cycleTimer = setTimeout(() => {
          this.pulse(m);
          next();
        }, Math.max(0, t0 + k * m.cfg.cycleTimeMs - Date.now()));
      };
      next();
    }
  }

  private pulse(m: MachineState): void {
    m.pulses++;
    m.counter = (m.counter + 1) | 0; // DINT wraps like a PLC counter
    m.lastPulseAt = Date.now();
    const record: PulseRecord = { rise: m.lastPulseAt };
    pushBounded(m.pulseLog, record);
    m.db.writeInt32BE(m.counter, MACHINE_DB_LAYOUT.unitCounter.offset);
    this.setPin(m.cfg.cyclePin, true);
    this.publish(m);
    clearTimeout(m.pulseOffTimer);
    m.pulseOffTimer = setTimeout(() => {
      record.fall = Date.now();
      this.setPin(m.cfg.cyclePin, false);
      this.publishOutputs();
    }, m.cfg.pulseWidthMs);
  }

  private scheduleStoppages(m: MachineState): void {
    const every = m.cfg.stoppageEveryMs;
    const duration = m.cfg.stoppageDurationMs;
    if (!every || !duration) return;
    m.stoppageTimer = setTimeout(() => {
      m.inStoppage = true;
      this.applyScenario(m);
      m.stoppageTimer = setTimeout(() => {
        m.inStoppage = false;
        this.applyScenario(m);
        this.scheduleStoppages(m);
      }, duration);
    }, Math.max(0, every - duration));
  }

  private clearTimers(m: MachineState): void {
    clearTimeout(m.cycleTimer);
    clearTimeout(m.pulseOffTimer);
    const last = m.pulseLog[m.pulseLog.length - 1];
    if (last && last.fall === undefined) last.fall = Date.now();
    this.setPin(m.cfg.cyclePin, false);
    clearTimeout(m.stoppageTimer);
  }

  private setPin(pin: number | undefined, on: boolean): void {
    if (pin === undefined) return;
    this.outputs[0] = on ? this.outputs[0] | (1 << pin) : this.outputs[0] & ~(1 << pin);
  }

  private publish(m: MachineState): void {
    this.server?.SetArea(this.server.srvAreaDB, m.cfg.db, m.db);
    this.publishOutputs();
  }

  private publishOutputs(): void {
    this.server?.SetArea(this.server.srvAreaPA, 0, this.outputs);
  }
}
