/**
 * A PLC restarted in a test or benchmark is a new simulator on the old one's port, in the same
 * process as other simulators. node-snap7 keeps its event handles in process-wide statics, so a
 * stopped S7Server that the garbage collector destroys while another one lives aborts the process:
 * the 50-PLC fleet benchmark's simulator died with SIGABRT 16 minutes in, three runs out of three.
 * Run in a child process (node --expose-gc) so an abort fails this test instead of the runner.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const SCENARIO = `
const net = require('node:net');
const { PlcSimulator } = require(${JSON.stringify(path.resolve(__dirname, '../../../sim/simulator.js'))});
const machine = { name: 'm', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 3000, pulseWidthMs: 1000 };
const connect = (port) => new Promise((resolve, reject) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(); }); c.on('error', reject); });
(async () => {
  const sims = [];
  for (let i = 0; i < 3; i++) { const s = new PlcSimulator({ machines: [machine] }); await s.start(); sims.push(s); }
  const port = sims[1].port;
  await sims[1].stop();
  sims[1] = new PlcSimulator({ port, machines: [machine] });
  await sims[1].start();
  for (let round = 0; round < 3; round++) {
    global.gc();
    for (const s of sims) await connect(s.port);
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const s of sims) await s.stop();
  process.stdout.write('alive');
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('s7 simulator: a PLC replaced by a new simulator in the same process', () => {
  it('keeps the process alive through garbage collection (node-snap7 statics)', function () {
    this.timeout(60_000);
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', SCENARIO], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(child.signal, null, `the process died with ${child.signal}; stderr: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'alive');
  });
});
