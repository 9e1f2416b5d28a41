/**
 * A read prepared once and run every cycle: its addresses, the plan for the negotiated PDU,
 * and the items that must be planned alone. Also turns the raw replies of a plan's requests
 * into per-item results.
 */
import type { S7Address } from './address';
import { decodeValue } from './decode';
import { describeError, SNAP7 } from './errors';
import { planReads, pduUse, type ReadPlan } from './planner';

export interface PreparedRead {
  readonly addresses: readonly S7Address[];
  /** S7 requests one read takes with the current plan. */
  readonly requestCount: number;
  /** How full those requests are against the PDU they were planned for, 0..1 (planner pduUse). */
  readonly pduUse: number | undefined;
}

export interface ItemResult {
  ok: boolean;
  value?: unknown;
  /** snap7 text + hint; names the address. */
  error?: string;
}

export interface ReadResult {
  /** In input order. */
  items: ItemResult[];
  /** Epoch ms when the (last) reply came. */
  timestamp: number;
  requests: number;
  durationMs: number;
}

export class S7ConnectionError extends Error {
  override name = 'S7ConnectionError';
  code?: number;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** Per range part of a request: the bytes, or the item-level error (snap7 code and text). */
export type PartOutcome = { ok: true; data: Buffer } | { ok: false; code: number; text: string };
/** One request's answer and when it came. */
export interface RequestOutcome { parts: PartOutcome[]; at: number }

/** The items of a plan, and its failed multi-item ranges worth reading item by item. */
export interface PlanResult { items: ItemResult[]; failedRanges: number[]; at: number }

export class Prepared implements PreparedRead {
  readonly addresses: readonly S7Address[];
  plan: ReadPlan;
  planPdu: number;
  /** Items that produced errors while coalesced with others: planned alone from then on. */
  readonly isolate = new Set<number>();

  constructor(addresses: S7Address[], pdu: number, private readonly maxGap: number | undefined) {
    this.addresses = Object.freeze(addresses.slice());
    this.planPdu = pdu;
    this.plan = this.replan(pdu);
  }

  get requestCount(): number {
    return this.plan.requests.length;
  }

  get pduUse(): number | undefined {
    return pduUse(this.plan, this.planPdu);
  }

  replan(pdu: number): ReadPlan {
    this.planPdu = pdu;
    this.plan = planReads(this.addresses.slice(), { pduSize: pdu, maxGap: this.maxGap, isolate: this.isolate });
    return this.plan;
  }
}

/** Decodes the answers to a plan's requests (in request order) into per-item results. */
export function planResult(addresses: readonly S7Address[], plan: ReadPlan, outcomes: RequestOutcome[]): PlanResult {
  // A range answered by one reply part (the usual case) is decoded from that reply as it is;
  // only a range split over several parts is put together in a buffer of its own.
  const buffers: (Buffer | undefined)[] = new Array(plan.ranges.length);
  const rangeError = new Map<number, { code: number; text: string }>();
  plan.requests.forEach((req, k) => {
    const parts = req.kind === 'multi' ? req.parts : [req.part];
    parts.forEach((part, j) => {
      const out = outcomes[k].parts[j];
      const range = plan.ranges[part.range];
      if (rangeError.has(part.range)) return;
      if (!out) rangeError.set(part.range, { code: SNAP7.errCliInvalidPlcAnswer, text: 'no result for this item in the reply' });
      else if (!out.ok) rangeError.set(part.range, { code: out.code, text: describeError(out.code, out.text, range.area) });
      else if (out.data.length < part.length) {
        rangeError.set(part.range, { code: SNAP7.errCliInvalidPlcAnswer, text: `short reply: ${out.data.length} of ${part.length} bytes` });
      } else if (part.start === range.start && part.length === range.length) {
        buffers[part.range] = out.data;
      } else {
        const whole = (buffers[part.range] ??= Buffer.alloc(range.length));
        out.data.copy(whole, part.start - range.start, 0, part.length);
      }
    });
  });
  const items: ItemResult[] = new Array(addresses.length);
  plan.ranges.forEach((range, ri) => {
    const err = rangeError.get(ri);
    for (const i of range.items) {
      const a = addresses[i];
      if (err !== undefined) {
        items[i] = { ok: false, error: `${a.text}: ${err.text}` };
        continue;
      }
      try {
        items[i] = { ok: true, value: decodeValue(buffers[ri]!, a.byteOffset - range.start, a) };
      } catch (e) {
        items[i] = { ok: false, error: `${a.text}: cannot decode: ${(e as Error).message}` };
      }
    }
  });
  // Only an address beyond the end of an area can hide among good neighbours; a missing DB or a
  // refused request fails every item alike, so reading them one by one would not help.
  const isolatable = [...rangeError].filter(([, e]) => e.code === SNAP7.errCliAddressOutOfRange).map(([ri]) => ri);
  return { items, failedRanges: isolatable, at: Math.max(...outcomes.map((o) => o.at), 0) };
}
