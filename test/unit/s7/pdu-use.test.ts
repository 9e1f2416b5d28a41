/**
 * How full a plan's requests are against the PDU (lib/s7/planner.ts pduUse), which the sidebar
 * shows as "PDU use": a lone bit barely uses a request, a large block fills every PDU.
 */
import assert from 'node:assert/strict';
import { parseAddress } from '../../../lib/s7/address';
import { pduUse, planReads } from '../../../lib/s7/planner';
import { TelemetryRegistry } from '../../../lib/shared/telemetry';

describe('s7/planner pduUse', () => {
  it('one bit at PDU 480: the request (12 + 12 bytes) is the larger side, 5 % of the PDU', () => {
    const plan = planReads([parseAddress('Q0.1', 'BOOL')], { pduSize: 480 });
    assert.equal(pduUse(plan, 480), 24 / 480);
  });

  it('a block larger than a PDU is read in full PDUs: nearly all of each used', () => {
    const plan = planReads([parseAddress('DB1.DBB0', 'BYTE[1000]')], { pduSize: 240 });
    const use = pduUse(plan, 240)!;
    assert.ok(plan.requests.length >= 5, `${plan.requests.length} requests`);
    assert.ok(use > 0.9 && use <= 1, `${Math.round(use * 100)} % used`);
  });

  it('no requests, no use; the same plan uses a larger PDU less', () => {
    assert.equal(pduUse({ ranges: [], requests: [] }, 480), undefined);
    const addresses = Array.from({ length: 10 }, (_, i) => parseAddress(`DB${i + 1}.DBD0`, 'REAL'));
    const at240 = pduUse(planReads(addresses, { pduSize: 240 }), 240)!;
    const at960 = pduUse(planReads(addresses, { pduSize: 960 }), 960)!;
    assert.ok(at960 < at240, `${at960} < ${at240}`);
  });

  it('the reader telemetry carries it to the sidebar when known', () => {
    const registry = new TelemetryRegistry(() => 0);
    const sample = { nodeId: 'r', name: 'r', state: 'connected', intervalMs: 200, ratePerS: 5, tags: 1, requestsPerCycle: 1, pduSize: 480, overruns: 0, bad: 0, cycleTimeMs: 3 };
    registry.reader({ ...sample, pduUse: 0.05 });
    assert.equal(registry.snapshot().readers[0].pduUse, 0.05);
    registry.reader(sample);
    assert.equal('pduUse' in registry.snapshot().readers[0], false, 'not known: not shown');
    registry.close();
  });
});
