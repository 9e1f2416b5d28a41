/** The plant hour a test works in. */
import type { PlantZone } from '../../lib/production/plant-time';
import { sleep } from './wait';

/**
 * The start of the plant hour under way, once it is `marginMs` old: what the test stores as this
 * hour's (a stoppage started a minute ago) then lies inside it.
 */
export async function hourUnderWay(zone: PlantZone, marginMs = 10_000): Promise<number> {
  if (Date.now() - zone.hourStart(Date.now()) < marginMs) await sleep(marginMs);
  return zone.hourStart(Date.now());
}
