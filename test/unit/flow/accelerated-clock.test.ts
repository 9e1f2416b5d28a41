/**
 * The end-to-end test's accelerated clock (test/runtime/flow/accelerated-clock.ts): real speed
 * until the switch file appears, then faster, timers armed before the switch included. Checked in
 * a small Node process with the preload, on plant (simulated) time only: a timer that kept its
 * real-speed delay would fire far later in plant time than asked for.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acceleratedNow, clockEnvironment, parseClockSwitch, realInstantOf } from '../../runtime/flow/accelerated-clock';
import { waitFor } from '../../helpers/wait';

const PRELOAD = path.join(__dirname, '..', '..', 'runtime', 'flow', 'accelerated-clock.js');
const START = Date.parse('2026-03-16T04:22:00.000Z');

// Arms a 60 s timeout and a 10 s interval at real speed, says so, and reports plant time when the
// timeout fires: at 30x after the switch that is 2 s of real time, without re-arming 60 s.
const CHILD = `
const t0 = Date.now();
let ticks = 0;
setInterval(() => { ticks += 1; }, 10000);
setTimeout(() => {
  console.log(JSON.stringify({ elapsed: Date.now() - t0, ticks }));
  process.exit(0);
}, 60000);
console.log('armed');
`;

describe('accelerated clock (the end-to-end test\'s preload)', function () {
  this.timeout(120_000); // limits for a run of about 2 s; a busy machine is slow

  it('maps real instants to plant time and back, and reads the switch line', () => {
    const clock = { speed: 30, start: START, realStart: 1_000_000 };
    assert.equal(acceleratedNow(clock, 1_000_000), START);
    assert.equal(acceleratedNow(clock, 1_002_000), START + 60_000);
    assert.equal(realInstantOf(clock, START + 60_000), 1_002_000);
    assert.deepEqual(parseClockSwitch(`accelerated-clock: 30x from ${START} at real 1000000`), clock);
    assert.equal(parseClockSwitch('16 Mar 04:22:00 - [info] Started flows'), undefined);
  });

  it('runs at real speed from CLOCK_START, then faster from the switch, timers armed before it included', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelerated-clock-'));
    const switchFile = path.join(dir, 'accelerate');
    const child = spawn(process.execPath, ['-r', PRELOAD, '-e', CHILD], {
      env: { ...process.env, ...clockEnvironment(START, 30, switchFile) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const collect = (chunk: Buffer): void => { lines.push(...String(chunk).split('\n').filter(Boolean)); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the child armed its timers', () => lines.includes('armed'));
      fs.writeFileSync(switchFile, '');
      const clock = await waitFor('the switch line', () => lines.map(parseClockSwitch).find(Boolean));
      assert.equal(clock.speed, 30);
      assert.ok(clock.start >= START, `the clock started at CLOCK_START: ${clock.start}`);
      // About 2 real seconds at 30x; a timer left at its real-speed delay would take 60.
      const reported = await waitFor('the 60 s timeout fires', () => lines.find((l) => l.startsWith('{')), 45_000);
      assert.equal(await exited, 0, lines.join('\n'));
      const report = JSON.parse(reported) as { elapsed: number; ticks: number };
      // Node arms timers from its loop's cached time, which can be a few ms behind Date.now() at
      // real speed: a timer may fire that much early by Date (so 1 s of slack, not 0).
      assert.ok(report.elapsed >= 59_000, `the timeout fired after ${report.elapsed} ms of plant time, not before 60 s`);
      // Had the timer kept its real-speed delay, 60 real seconds (30 plant minutes) would pass.
      assert.ok(report.elapsed < 10 * 60_000, `the timeout fired after ${report.elapsed} ms of plant time`);
      // Re-armed too: its first tick comes after 10 s of plant time, long before 60 s (at real
      // speed it would come after 10 real seconds, 5 plant minutes). Intervals drift late on a
      // busy machine, so only a lower bound of one tick.
      assert.ok(report.ticks >= 1 && report.ticks <= 6, `the interval ticked ${report.ticks} times in 60 s of plant time`);
    } finally {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
