import assert from 'node:assert/strict';
import { parseAddress, type S7Address } from '../../../lib/s7/address';
import {
  MAX_MULTI_ITEMS, maxBytesPerItem, maxItemsPerRequest, planReads, replyBytes, requestBytes, type ReadPlan,
} from '../../../lib/s7/planner';

const PDUS = [240, 480, 960];

/** n scattered addresses, each in its own DB so nothing can coalesce. */
const scattered = (n: number, dataType = 'REAL'): S7Address[] =>
  Array.from({ length: n }, (_, i) => parseAddress(`DB${i + 1}.DBB0`, dataType));

/** Every request of the plan respects snap7's limits, and every address is covered by its range. */
function assertWithinLimits(plan: ReadPlan, addresses: S7Address[], pdu: number): void {
  const covered = new Set<number>();
  plan.ranges.forEach((r) => {
    for (const i of r.items) {
      const a = addresses[i];
      assert.equal(a.area, r.area);
      assert.equal(a.dbNumber, r.dbNumber);
      assert.ok(a.byteOffset >= r.start && a.byteOffset + a.byteLength <= r.start + r.length, `${a.text} inside its range`);
      covered.add(i);
    }
  });
  assert.equal(covered.size, addresses.length, 'every address is planned');
  const read = plan.ranges.map(() => 0);
  for (const req of plan.requests) {
    const parts = req.kind === 'multi' ? req.parts : [req.part];
    if (req.kind === 'multi') {
      assert.ok(parts.length <= MAX_MULTI_ITEMS, 'at most 20 items');
      assert.ok(requestBytes(parts.length) <= pdu, `request ${requestBytes(parts.length)} <= PDU ${pdu}`);
      assert.ok(replyBytes(parts.map((p) => p.length)) <= pdu, `reply ${replyBytes(parts.map((p) => p.length))} <= PDU ${pdu}`);
    } else {
      assert.ok(req.part.length <= pdu - 18, 'one ReadArea chunk fits one PDU');
    }
    for (const p of parts) read[p.range] += p.length;
  }
  plan.ranges.forEach((r, i) => assert.equal(read[i], r.length, 'each range is read exactly once'));
}

describe('s7 read planner', () => {
  it('knows the request budget: 19 items at PDU 240, 20 at 480 and 960', () => {
    assert.equal(requestBytes(19), 240);
    assert.equal(requestBytes(20), 252);
    assert.equal(maxItemsPerRequest(240), 19);
    assert.equal(maxItemsPerRequest(480), 20);
    assert.equal(maxItemsPerRequest(960), 20);
  });

  for (const pdu of PDUS) {
    describe(`at PDU ${pdu}`, () => {
      const perRequest = maxItemsPerRequest(pdu);

      it(`packs ${perRequest} scattered REALs into one request and one more into a second`, () => {
        const full = scattered(perRequest);
        const plan = planReads(full, { pduSize: pdu });
        assert.equal(plan.requests.length, 1);
        assertWithinLimits(plan, full, pdu);
        const over = scattered(perRequest + 1);
        const plan2 = planReads(over, { pduSize: pdu });
        assert.equal(plan2.requests.length, 2);
        assertWithinLimits(plan2, over, pdu);
      });

      it('splits on the reply budget before the item limit when items are large', () => {
        // Items of 80 bytes: each costs 84 reply bytes; floor((pdu - 14) / 84) fit one reply (2, 5, 11).
        const fit = Math.floor((pdu - 14) / 84);
        assert.ok(fit < perRequest);
        const items = scattered(fit + 1, 'REAL[20]');
        const plan = planReads(items, { pduSize: pdu });
        assertWithinLimits(plan, items, pdu);
        assert.equal(plan.requests.length, 2);
        const sizes = plan.requests.map((r) => (r.kind === 'multi' ? r.parts.length : 0)).sort((a, b) => b - a);
        assert.deepEqual(sizes, [fit, 1]);
        assert.ok(replyBytes(Array(fit + 1).fill(80)) > pdu, 'one more would overflow the reply');
      });

      it('pads odd lengths to even in the reply budget', () => {
        // (pdu - 14) / (4 + 22) STRING[19] (21 bytes, padded to 22) fit, not one more.
        const fit = Math.min(perRequest, Math.floor((pdu - 14) / 26));
        const items = scattered(fit + 1, 'STRING[19]');
        const plan = planReads(items, { pduSize: pdu });
        assertWithinLimits(plan, items, pdu);
        assert.equal(plan.requests.length, 2);
      });

      it('merges touching neighbours and reads no gap bytes when bridging saves nothing', () => {
        const addrs = [
          parseAddress('DB1.DBD0', 'REAL'), parseAddress('DB1.DBD4', 'DINT'), parseAddress('DB1.DBX8.1'),
          parseAddress('DB1.DBW24', 'INT'), parseAddress('DB1.DBW60', 'INT'),
          parseAddress('DB2.DBW0', 'INT'), parseAddress('Q0.1'), parseAddress('Q0.3'), parseAddress('MW2'),
        ];
        const plan = planReads(addrs, { pduSize: pdu });
        assertWithinLimits(plan, addrs, pdu);
        const db1 = plan.ranges.filter((r) => r.area === 'DB' && r.dbNumber === 1).map((r) => [r.start, r.length]);
        assert.deepEqual(db1, [[0, 9], [24, 2], [60, 2]]);
        assert.equal(plan.ranges.find((r) => r.area === 'Q')?.items.length, 2, 'two bits of one byte share it');
        assert.equal(plan.requests.length, 1);
      });

      it('bridges gaps up to maxGap, and no further, when that saves requests', () => {
        // 40 REALs 6 bytes apart (gap 2): alone they need ceil(40 / items per request) requests.
        const addrs = Array.from({ length: 40 }, (_, i) => parseAddress(`DB1,REAL${6 * i}`));
        const apart = planReads(addrs, { pduSize: pdu, maxGap: 0 });
        assert.equal(apart.requests.length, Math.ceil(40 / perRequest));
        assert.equal(planReads(addrs, { pduSize: pdu, maxGap: 1 }).requests.length, apart.requests.length);
        const bridged = planReads(addrs, { pduSize: pdu });
        assertWithinLimits(bridged, addrs, pdu);
        assert.ok(bridged.requests.length < apart.requests.length, `${bridged.requests.length} < ${apart.requests.length}`);
        assert.ok(bridged.ranges.length < 40);
        for (const r of bridged.ranges) assert.ok(r.length <= maxBytesPerItem(pdu));
      });

      it('keeps isolated items in ranges of their own', () => {
        const addrs = [parseAddress('DB1.DBD0', 'REAL'), parseAddress('DB1.DBD4', 'REAL'), parseAddress('DB1.DBD8', 'REAL')];
        assert.deepEqual(planReads(addrs, { pduSize: pdu }).ranges.map((r) => r.items), [[0, 1, 2]]);
        const plan = planReads(addrs, { pduSize: pdu, isolate: new Set([1]) });
        assertWithinLimits(plan, addrs, pdu);
        assert.deepEqual(plan.ranges.find((r) => r.items.includes(1))?.items, [1]);
        assert.equal(plan.requests.length, 1);
      });

      it('reads a block larger than one PDU through ReadArea in PDU-sized chunks', () => {
        const big = [parseAddress('DB1.DBB0', 'REAL[250]'), parseAddress('DB2.DBD0', 'REAL')];
        const plan = planReads(big, { pduSize: pdu });
        assertWithinLimits(plan, big, pdu);
        const chunks = plan.requests.filter((r) => r.kind === 'area');
        assert.equal(chunks.length, Math.floor(1000 / maxBytesPerItem(pdu)), 'full chunks through ReadArea');
        assert.ok(chunks.length >= 1);
        const multi = plan.requests.filter((r) => r.kind === 'multi');
        assert.equal(multi.length, 1, 'the remainder shares one request with the small item');
        assert.deepEqual(multi[0].kind === 'multi' && multi[0].parts.map((p) => p.length), [1000 % maxBytesPerItem(pdu), 4]);
      });

      it('caps a coalesced range at what one item can return', () => {
        const many = Array.from({ length: 100 }, (_, i) => parseAddress(`DB1,REAL${4 * i}`));
        const plan = planReads(many, { pduSize: pdu });
        assertWithinLimits(plan, many, pdu);
        for (const r of plan.ranges) assert.ok(r.length <= maxBytesPerItem(pdu));
        assert.equal(plan.requests.length, Math.ceil(400 / maxBytesPerItem(pdu)));
      });

      it('stays within limits for 500 mixed tags', () => {
        const types = ['BOOL', 'INT', 'REAL', 'DINT', 'STRING[10]', 'LREAL', 'DTL', 'BYTE'];
        const addrs = Array.from({ length: 500 }, (_, i) => {
          const dt = types[i % types.length];
          const db = 1 + (i % 10);
          const off = 40 * Math.floor(i / 10) + (i % 3) * 7;
          return parseAddress(dt === 'BOOL' ? `DB${db}.DBX${off}.${i % 8}` : `DB${db}.DBB${off}`, dt);
        });
        const plan = planReads(addrs, { pduSize: pdu });
        assertWithinLimits(plan, addrs, pdu);
      });
    });
  }

  it('balances item slots against reply bytes: 500 REALs 16 bytes apart over 10 DBs', () => {
    const addrs = Array.from({ length: 500 }, (_, i) => parseAddress(`DB${1 + (i % 10)}.DBD${200 + 16 * Math.floor(i / 10)}`, 'REAL'));
    // 240: 19 single REALs per request beat 9 pairs (cost 4 + 20 each) -> ceil(500 / 19) = 27.
    // 480: pairs (20 bytes) -> 19 per reply of 466 -> ceil(250 / 19) = 14 (singles: 25, whole blocks: 20).
    // 960: runs of 5 (68 bytes, cost 72) -> 13 per reply -> ceil(100 / 13) = 8 (singles: 25).
    const expected: Record<number, number> = { 240: 27, 480: 14, 960: 8 };
    for (const pdu of PDUS) {
      const plan = planReads(addrs, { pduSize: pdu });
      assertWithinLimits(plan, addrs, pdu);
      assert.equal(plan.requests.length, expected[pdu], `PDU ${pdu}`);
      assert.equal(planReads(addrs, { pduSize: pdu, maxGap: 0 }).requests.length, Math.ceil(500 / maxItemsPerRequest(pdu)));
    }
  });

  it('keeps a padded reply within an odd PDU (found by the property test)', () => {
    const items = [parseAddress('DB1.DBB0', 'BYTE[505]')];
    const plan = planReads(items, { pduSize: 523 });
    assertWithinLimits(plan, items, 523);
    assert.equal(maxBytesPerItem(523), 504);
  });

  it('rejects a PDU below 240', () => {
    assert.throws(() => planReads([], { pduSize: 200 }), /below S7's minimum of 240/);
  });
});
