/**
 * The read planner (pure): sorts addresses, coalesces neighbours into contiguous byte ranges
 * (bridging gaps up to maxGap when that saves requests), and packs the ranges into as few
 * requests as snap7 and the PDU allow:
 *  - ReadMultiVars: at most 20 items; request 12 + 12n <= PDU; reply 14 + sum(4 + even(len)) <= PDU
 *  - a range too large for one multi-var item is read with ReadArea in chunks of PDU - 18 bytes
 *    (one PDU each); its remainder joins the multi-var packing.
 */
import type { S7Address, S7Area } from './address';

export interface PlanOptions {
  pduSize: number;
  /** The largest unused gap (bytes) the planner may read to merge two neighbours; default 16. */
  maxGap?: number;
  /** Indexes of addresses that must get a range of their own (to isolate an item error). */
  isolate?: ReadonlySet<number>;
}

/** One contiguous byte range in the PLC, and which input addresses it serves. */
export interface PlannedRange {
  area: S7Area;
  dbNumber: number;
  start: number;
  length: number;
  /** Indexes into the planned address list. */
  items: number[];
}

/** A piece of a range that one request item reads: bytes [start, start + length) of the area. */
export interface RangePart {
  range: number;
  area: S7Area;
  dbNumber: number;
  start: number;
  length: number;
}

export type PlannedRequest =
  | { kind: 'multi'; parts: RangePart[] }
  | { kind: 'area'; part: RangePart };

export interface ReadPlan {
  ranges: PlannedRange[];
  requests: PlannedRequest[];
}

/** snap7's limit of items per ReadMultiVars. */
export const MAX_MULTI_ITEMS = 20;
/** S7 header (10) + function code and item count (2). */
const REQUEST_OVERHEAD = 12;
const REQUEST_ITEM = 12;
/** Response header (12) + function code and item count (2). */
const REPLY_OVERHEAD = 14;
/** Per reply item: return code, transport size, length (4). */
const REPLY_ITEM = 4;

const even = (n: number): number => n + (n & 1);

/** Items one ReadMultiVars may carry at this PDU. */
export function maxItemsPerRequest(pduSize: number): number {
  return Math.min(MAX_MULTI_ITEMS, Math.floor((pduSize - REQUEST_OVERHEAD) / REQUEST_ITEM));
}

/**
 * The largest range one multi-var item (or one ReadArea PDU) can return: even, because a
 * reply pads an odd item to even length, which with an odd PDU would overrun it by a byte.
 */
export function maxBytesPerItem(pduSize: number): number {
  const bytes = pduSize - REPLY_OVERHEAD - REPLY_ITEM;
  return bytes - (bytes & 1);
}

export function requestBytes(items: number): number {
  return REQUEST_OVERHEAD + REQUEST_ITEM * items;
}

export function replyBytes(lengths: number[]): number {
  return lengths.reduce((sum, len) => sum + REPLY_ITEM + even(len), REPLY_OVERHEAD);
}

/**
 * How full a plan's requests are, 0..1: per request the larger of its request and its reply
 * (the bytes the planner budgets against the PDU) over the PDU size, averaged over the requests;
 * undefined for a plan without requests. Low use with many requests means spread-out addresses.
 */
export function pduUse(plan: ReadPlan, pduSize: number): number | undefined {
  if (plan.requests.length === 0) return undefined;
  const uses = plan.requests.map((req) => {
    const parts = req.kind === 'multi' ? req.parts : [req.part];
    return Math.max(requestBytes(parts.length), replyBytes(parts.map((p) => p.length))) / pduSize;
  });
  return uses.reduce((a, b) => a + b, 0) / uses.length;
}

/** Indexes grouped by area and DB (isolated items alone), each group sorted by offset. */
function groupSorted(addresses: S7Address[], isolate: ReadonlySet<number> | undefined): number[][] {
  const groups = new Map<string, number[]>();
  addresses.forEach((a, i) => {
    const key = isolate?.has(i) ? `${a.area}:${a.dbNumber}:#${i}` : `${a.area}:${a.dbNumber}`;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const sorted = [...groups.values()];
  for (const indexes of sorted) {
    indexes.sort((x, y) => addresses[x].byteOffset - addresses[y].byteOffset || addresses[x].byteLength - addresses[y].byteLength);
  }
  return sorted;
}

/** Merges neighbours at most maxGap bytes apart into ranges of at most maxLength bytes. */
function coalesce(addresses: S7Address[], groups: number[][], maxGap: number, maxLength: number): PlannedRange[] {
  const ranges: PlannedRange[] = [];
  for (const indexes of groups) {
    let current: PlannedRange | undefined;
    for (const i of indexes) {
      const a = addresses[i];
      const end = a.byteOffset + a.byteLength;
      if (current) {
        const curEnd = current.start + current.length;
        const mergedLength = Math.max(curEnd, end) - current.start;
        // Merge when close enough and the result stays within the length (or the item lies inside it).
        if (a.byteOffset <= curEnd + maxGap && (mergedLength <= maxLength || end <= curEnd)) {
          current.length = mergedLength;
          current.items.push(i);
          continue;
        }
      }
      current = { area: a.area, dbNumber: a.dbNumber, start: a.byteOffset, length: a.byteLength, items: [i] };
      ranges.push(current);
    }
  }
  return ranges;
}

/** Gaps worth trying: 0, powers of two below maxGap, and maxGap itself. */
function candidateGaps(maxGap: number): number[] {
  const gaps = [0];
  for (let g = 1; g < maxGap; g *= 2) gaps.push(g);
  if (maxGap > 0) gaps.push(maxGap);
  return gaps;
}

/**
 * Range lengths worth trying: the largest one item can carry, and for k items per request the
 * largest that lets k of them share one reply (small ranges fill the 20 item slots, large
 * ones the reply budget).
 */
function candidateLengths(pdu: number): number[] {
  const lengths = new Set<number>([maxBytesPerItem(pdu)]);
  for (let k = 2; k <= maxItemsPerRequest(pdu); k++) {
    const len = Math.floor((pdu - REPLY_OVERHEAD) / k) - REPLY_ITEM;
    lengths.add(len - (len & 1));
  }
  return [...lengths];
}

function replyTotal(plan: ReadPlan): number {
  return plan.requests.reduce((sum, r) => sum + (r.kind === 'multi' ? replyBytes(r.parts.map((p) => p.length)) : REPLY_OVERHEAD + REPLY_ITEM + r.part.length), 0);
}

/**
 * Tries each gap (up to opts.maxGap) and range length and keeps the plan with the fewest
 * requests, then the fewest reply bytes: bridging a gap only pays when it saves an item slot
 * that would cost a request.
 */
export function planReads(addresses: S7Address[], opts: PlanOptions): ReadPlan {
  const pdu = opts.pduSize;
  if (!(pdu >= 240)) throw new RangeError(`PDU size ${pdu} is below S7's minimum of 240`);
  const groups = groupSorted(addresses, opts.isolate);
  let best: ReadPlan | undefined;
  let bestBytes = 0;
  for (const gap of candidateGaps(Math.max(0, Math.floor(opts.maxGap ?? 16)))) {
    const seen = new Set<string>();
    for (const maxLength of candidateLengths(pdu)) {
      const ranges = coalesce(addresses, groups, gap, maxLength);
      // Most lengths leave the ranges as they are; pack each distinct set once.
      const signature = ranges.map((r) => r.length).join(',');
      if (seen.has(signature)) continue;
      seen.add(signature);
      const plan = pack(ranges, pdu);
      const bytes = replyTotal(plan);
      if (!best || plan.requests.length < best.requests.length || (plan.requests.length === best.requests.length && bytes < bestBytes)) {
        best = plan;
        bestBytes = bytes;
      }
    }
  }
  return best as ReadPlan;
}

/** Packs ranges into requests within the PDU. */
function pack(ranges: PlannedRange[], pdu: number): ReadPlan {
  const maxBytes = maxBytesPerItem(pdu);
  const maxItems = maxItemsPerRequest(pdu);

  // A range too large for one item: full PDU-sized chunks through ReadArea; the remainder is
  // packed with the small ranges, where it may share a request.
  const areaRequests: PlannedRequest[] = [];
  const parts: RangePart[] = [];
  ranges.forEach((r, ri) => {
    let off = 0;
    for (; r.length - off > maxBytes; off += maxBytes) {
      areaRequests.push({ kind: 'area', part: { range: ri, area: r.area, dbNumber: r.dbNumber, start: r.start + off, length: maxBytes } });
    }
    parts.push({ range: ri, area: r.area, dbNumber: r.dbNumber, start: r.start + off, length: r.length - off });
  });

  // First-fit decreasing on the reply budget, bounded by the item count.
  parts.sort((x, y) => y.length - x.length || x.range - y.range);
  const bins: { parts: RangePart[]; reply: number }[] = [];
  for (const part of parts) {
    const cost = REPLY_ITEM + even(part.length);
    let bin = bins.find((b) => b.parts.length < maxItems && b.reply + cost <= pdu);
    if (!bin) {
      bin = { parts: [], reply: REPLY_OVERHEAD };
      bins.push(bin);
    }
    bin.parts.push(part);
    bin.reply += cost;
  }
  const multi = bins.map((b): PlannedRequest => ({ kind: 'multi', parts: b.parts }));
  return { ranges, requests: [...multi, ...areaRequests] };
}
