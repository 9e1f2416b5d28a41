/**
 * The hourly-aggregator's status when its input stops (the PLC is down): yellow, naming the
 * machine and the age, and green again once readings come back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import hourlyAggregatorNode from '../../../nodes/hourly-aggregator/hourly-aggregator';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';

const M1 = '65a1b2c3d4e5f60718293a4b';
const root = path.resolve(__dirname, '../../../..');
type Status = { fill?: string; text?: string };

/** The module with RED._ answering from the node's en-US catalogue, as Node-RED does (the helper's returns the key). */
function withCatalogue(module: (red: unknown) => void): (red: unknown) => void {
  const catalogue = JSON.parse(fs.readFileSync(path.join(root, 'nodes/hourly-aggregator/locales/en-US/hourly-aggregator.json'), 'utf8'));
  return (red: unknown) => {
    const translate = (key: string, params: Record<string, unknown> = {}): string => {
      const found = key.split('.').reduce((at: unknown, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), catalogue);
      return typeof found === 'string' ? found.replace(/__(\w+)__/g, (all, name: string) => (name in params ? String(params[name]) : all)) : key;
    };
    module(Object.assign(Object.create(red as object) as object, { _: translate }));
  };
}

describe('hourly-aggregator: stale input', function () {
  this.timeout(120_000);
  after(async () => {
    await helper.unload();
  });

  it('turns yellow with the machine and the age when a machine\'s input stops, green when it returns', async () => {
    const flow = [
      { id: 'tab', type: 'tab', label: 'stale' },
      {
        id: 'agg', z: 'tab', x: 100, y: 100, type: 'hourly-aggregator', name: 'aggregator', timeZone: 'Europe/Berlin', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2,
        powerThresholdKw: 1, snapshotMinutes: 1, graceMinutes: 0, tickSeconds: 0.2, retainHours: 24, staleSeconds: 2, store: '', mongo: '', wires: [[], []],
      },
    ];
    await helper.load([withCatalogue(hourlyAggregatorNode as (red: unknown) => void)] as Parameters<typeof helper.load>[0], flow as Parameters<typeof helper.load>[1]);
    const agg = helper.getNode('agg') as Node;
    const statuses: Status[] = [];
    (agg as unknown as { on(e: string, f: (call: { args: unknown[] }) => void): void }).on('call:status', (call) => statuses.push(call.args[0] as Status));
    const reading = (): NodeMessage => ({
      readings: [{ signal: { name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: M1 }, value: 4.5, quality: 'good', timestamp: Date.now() }],
    } as unknown as NodeMessage);

    agg.receive(reading());
    const stale = await waitFor('a yellow status naming the machine', () => statuses.find((s) => s.fill === 'yellow'));
    assert.match(stale.text ?? '', new RegExp(`^no input from ${M1} for \\d+ s · 1 machines · Europe/Berlin$`));
    const age = Number(/for (\d+) s/.exec(stale.text ?? '')?.[1]);
    assert.ok(age >= 2, `age ${age} s is above the 2 s threshold`);

    const seen = statuses.length;
    agg.receive(reading());
    const back = await waitFor('green again after a reading', () => statuses.slice(seen).find((s) => s.fill === 'green'));
    assert.equal(back.text, '1 machines · Europe/Berlin');
  });
});
