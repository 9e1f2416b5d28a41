/**
 * Reading a prepared read so that only a bad address is bad: when a range holding several
 * items fails with "address out of range", its items are read again one by one in the same
 * cycle, and planned alone from then on.
 */
import type { S7Address } from './address';
import { planReads, type ReadPlan } from './planner';
import type { PlanResult, Prepared, ItemResult } from './prepared-read';

/** Runs a plan's requests and decodes them. */
export type RunPlan = (addresses: readonly S7Address[], plan: ReadPlan) => Promise<PlanResult>;

export async function readIsolatingBadItems(prepared: Prepared, pdu: number, runPlan: RunPlan): Promise<{ items: ItemResult[]; requests: number; at: number }> {
  const first = await runPlan(prepared.addresses, prepared.plan);
  let requests = prepared.plan.requests.length;
  let at = first.at;
  const items = first.items;
  const multiItem = first.failedRanges.filter((r) => prepared.plan.ranges[r].items.length > 1);
  if (multiItem.length > 0) {
    const indexes = multiItem.flatMap((r) => prepared.plan.ranges[r].items);
    for (const i of indexes) prepared.isolate.add(i);
    prepared.replan(pdu);
    const subset = indexes.map((i) => prepared.addresses[i]);
    const subPlan = planReads(subset, { pduSize: pdu, isolate: new Set(subset.map((_, k) => k)) });
    const second = await runPlan(subset, subPlan);
    indexes.forEach((i, k) => { items[i] = second.items[k]; });
    requests += subPlan.requests.length;
    at = second.at;
  }
  return { items, requests, at };
}
