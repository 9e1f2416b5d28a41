/**
 * The read planner over random tag lists, PDU sizes, gaps and isolated items: every tag is
 * covered exactly once, no request or reply exceeds the PDU, no ReadMultiVars carries more
 * than 20 items, and the plan never needs more requests than reading each tag on its own, or
 * than the plan without gap bridging.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAddress, parseAddress, type S7Address, type S7Area } from '../../../lib/s7/address';
import {
  MAX_MULTI_ITEMS,
  maxBytesPerItem,
  maxItemsPerRequest,
  planReads,
  replyBytes,
  requestBytes,
  type ReadPlan,
} from '../../../lib/s7/planner';

/** Read response overhead of one ReadArea PDU: header, function, item header. */
const AREA_REPLY_OVERHEAD = 18;

/** Tags of every size, with lengths at the PDU's limits (where off-by-one errors live) likely. */
const tag = (pdu: number): fc.Arbitrary<S7Address> => fc
  .record({
    area: fc.constantFrom<S7Area>('DB', 'DB', 'M', 'I'),
    dbNumber: fc.integer({ min: 1, max: 4 }),
    byteOffset: fc.integer({ min: 0, max: 3000 }),
    bitOffset: fc.integer({ min: 0, max: 7 }),
    dataType: fc.oneof(
      fc.constantFrom('BOOL', 'BYTE', 'INT', 'REAL', 'LREAL', 'DTL', 'STRING[20]', 'STRING[254]', 'REAL[50]', 'BOOL[12]', 'WSTRING[300]'),
      fc.integer({ min: 1, max: 2000 }).map((n) => `BYTE[${n}]`),
      fc.constantFrom(-1, 0, 1).chain((d) => fc.integer({ min: 1, max: 3 }).map((k) => `BYTE[${k * maxBytesPerItem(pdu) + d}]`)),
    ),
  })
  .map((t) => {
    const type = t.dataType.startsWith('BOOL') ? 'BOOL' : 'BYTE';
    return parseAddress(formatAddress({ area: t.area, dbNumber: t.dbNumber, byteOffset: t.byteOffset, bitOffset: t.bitOffset, type }), t.dataType);
  });

const planInput = fc
  // Negotiated PDUs are usually 240, 480 or 960; others occur (odd ones included).
  .oneof(fc.constantFrom(240, 480, 960), fc.integer({ min: 240, max: 1000 }))
  .chain((pduSize) => fc.record({
    tags: fc.array(tag(pduSize), { minLength: 0, maxLength: 60 }),
    pduSize: fc.constant(pduSize),
    maxGap: fc.integer({ min: 0, max: 64 }),
    isolateSeed: fc.array(fc.nat(), { maxLength: 5 }),
  }));

function assertPlan(plan: ReadPlan, tags: S7Address[], pdu: number): void {
  // Every tag in exactly one range, which holds it.
  const seen = new Map<number, number>();
  plan.ranges.forEach((r, ri) => {
    for (const i of r.items) {
      assert.ok(!seen.has(i), `tag ${i} in ranges ${seen.get(i)} and ${ri}`);
      seen.set(i, ri);
      const a = tags[i];
      assert.equal(a.area, r.area);
      assert.equal(a.dbNumber, r.dbNumber);
      assert.ok(r.start <= a.byteOffset && a.byteOffset + a.byteLength <= r.start + r.length, `range ${ri} holds ${a.text}`);
    }
  });
  assert.equal(seen.size, tags.length, 'every tag is covered');

  // Every byte of every range read exactly once, by requests within the PDU.
  const parts = new Map<number, [number, number][]>();
  const addPart = (p: { range: number; area: S7Area; dbNumber: number; start: number; length: number }) => {
    const r = plan.ranges[p.range];
    assert.ok(p.length >= 1);
    assert.equal(p.area, r.area);
    assert.equal(p.dbNumber, r.dbNumber);
    const list = parts.get(p.range) ?? [];
    list.push([p.start, p.start + p.length]);
    parts.set(p.range, list);
  };
  for (const request of plan.requests) {
    if (request.kind === 'multi') {
      assert.ok(request.parts.length >= 1);
      assert.ok(request.parts.length <= MAX_MULTI_ITEMS, `${request.parts.length} items`);
      assert.ok(request.parts.length <= maxItemsPerRequest(pdu));
      assert.ok(requestBytes(request.parts.length) <= pdu, 'request within the PDU');
      assert.ok(replyBytes(request.parts.map((p) => p.length)) <= pdu, `reply of ${replyBytes(request.parts.map((p) => p.length))} bytes within the PDU of ${pdu}`);
      request.parts.forEach(addPart);
    } else {
      assert.ok(request.part.length <= maxBytesPerItem(pdu));
      assert.ok(AREA_REPLY_OVERHEAD + request.part.length <= pdu, 'ReadArea reply within the PDU');
      addPart(request.part);
    }
  }
  plan.ranges.forEach((r, ri) => {
    const list = (parts.get(ri) ?? []).sort((x, y) => x[0] - y[0]);
    let at = r.start;
    for (const [start, end] of list) {
      assert.equal(start, at, `range ${ri}: parts contiguous, none twice`);
      at = end;
    }
    assert.equal(at, r.start + r.length, `range ${ri} read to its end`);
  });
}

describe('s7 read planner (properties)', () => {
  it('covers every tag once, within the PDU and 20 items, never with more requests than reading tags one by one', () => {
    fc.assert(
      fc.property(planInput, ({ tags, pduSize, maxGap, isolateSeed }) => {
        const isolate = new Set(tags.length ? isolateSeed.map((n) => n % tags.length) : []);
        const plan = planReads(tags, { pduSize, maxGap, isolate });
        assertPlan(plan, tags, pduSize);
        const naive = tags.reduce((n, a) => n + Math.ceil(a.byteLength / maxBytesPerItem(pduSize)), 0);
        assert.ok(plan.requests.length <= naive, `${plan.requests.length} requests, one by one: ${naive}`);
        const withoutGaps = planReads(tags, { pduSize, maxGap: 0, isolate });
        assert.ok(plan.requests.length <= withoutGaps.requests.length, 'bridging gaps never costs a request');
      }),
      { numRuns: 300 },
    );
  });
});
