import type { S7Address, S7Area } from './address';

export interface PlanOptions {
  pduSize: number;
  /** Bytes of unused gap worth reading to merge two neighbours; default 16. */
  maxGap?: number;
}

/** One contiguous byte range read from the PLC, and which input addresses it serves. */
export interface PlannedRange {
  area: S7Area;
  dbNumber: number;
  start: number;
  length: number;
  /** Indexes into the planned address list. */
  items: number[];
}

export type PlannedRequest =
  | { kind: 'multi'; ranges: PlannedRange[] }
  | { kind: 'area'; range: PlannedRange };

export interface ReadPlan {
  requests: PlannedRequest[];
}

export function planReads(addresses: S7Address[], opts: PlanOptions): ReadPlan {
  void addresses; void opts;
  return { requests: [] };
}
