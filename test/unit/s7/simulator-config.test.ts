import assert from 'node:assert/strict';
import { PlcSimulator, type MachineSim } from '../../../sim/simulator';

const machine = (patch: Partial<MachineSim> = {}): MachineSim => ({ name: 'm', db: 1, scenario: 'running', ...patch });

describe('s7 simulator configuration', () => {
  it('accepts a valid machine list (without starting anything)', () => {
    assert.doesNotThrow(() => new PlcSimulator({ machines: [machine(), machine({ name: 'n', db: 2, powerPin: 7, cyclePin: 0 })] }));
  });

  const bad: [string, SimulatorArgs, RegExp][] = [
    ['a duplicate name', { machines: [machine(), machine({ db: 2 })] }, /"m" defined twice/],
    ['a shared DB', { machines: [machine(), machine({ name: 'n' })] }, /DB 1 invalid or used twice/],
    ['an unknown scenario', { machines: [machine({ scenario: 'idle' as MachineSim['scenario'] })] }, /scenario must be one of/],
    ['a pin outside Q0', { machines: [machine({ cyclePin: 8 })] }, /pins are 0..7/],
    ['a pulse as long as the cycle', { machines: [machine({ cycleTimeMs: 100, pulseWidthMs: 100 })] }, /shorter than cycleTimeMs/],
    ['half a stoppage pattern', { machines: [machine({ stoppageEveryMs: 1000 })] }, /both stoppageEveryMs and stoppageDurationMs/],
    ['an unsupported PDU', { pduSize: 300, machines: [machine()] }, /pduSize must be 240, 480 or 960/],
  ];
  for (const [what, opts, re] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => new PlcSimulator(opts), re);
    });
  }
});

type SimulatorArgs = ConstructorParameters<typeof PlcSimulator>[0];
