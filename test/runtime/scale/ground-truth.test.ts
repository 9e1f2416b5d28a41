import assert from 'node:assert/strict';
import { expectedUnits, reportedGaps } from './ground-truth';

const at = (iso: string): number => Date.parse(iso);

describe('two-instances ground truth', () => {
  it('reads the edge counter\'s gap warnings from Node-RED\'s log, and nothing else', () => {
    const log = [
      '1 Dec 07:33:22 - [warn] [edge-counter:Units per machine] gap in the readings of "6b0e77c4579be78eebd076a0" from 2026-12-01T07:33:18.593Z to 2026-12-01T07:33:22.440Z (3.8 s): pulses that began and ended in it are not counted; an edge or counter increase across it is counted once',
      '1 Dec 07:31:47 - [warn] [edge-counter:Units per machine] a high phase of "6b0e77c4579be78eebd076aa" was seen in a single sample (368 ms): pulses shorter than the sampling interval are missed',
      '1 Dec 07:33:23 - [info] [plc-reader:Application pins DQ.0-DQ.7] gap in the readings of "6b0e77c4579be78eebd076a0" from 2026-12-01T07:33:18.593Z to 2026-12-01T07:33:22.440Z (3.8 s)',
    ];
    assert.deepEqual(reportedGaps(log), [{ machineId: '6b0e77c4579be78eebd076a0', from: at('2026-12-01T07:33:18.593Z'), to: at('2026-12-01T07:33:22.440Z') }]);
  });

  it('exact without gaps; a pulse that overlaps a gap (or is still high) may be unseen, one outside it may not', () => {
    const pulses = [
      { rise: 1000, fall: 2000 },
      { rise: 3000, fall: 4000 },
      { rise: 5000, fall: 6000 },
      { rise: 7000 },
    ];
    assert.deepEqual(expectedUnits(pulses, []), { least: 4, most: 4 });
    // A gap from the last reading before 3000 to the first after 4000 may hide the second pulse.
    assert.deepEqual(expectedUnits(pulses, [{ from: 2900, to: 4100 }]), { least: 3, most: 4 });
    // Overlapping one edge counts as overlapping; touching none does not.
    assert.deepEqual(expectedUnits(pulses, [{ from: 2100, to: 2900 }, { from: 5900, to: 6500 }]), { least: 3, most: 4 });
    assert.deepEqual(expectedUnits(pulses, [{ from: 8000, to: 9000 }]), { least: 3, most: 4 }, 'the pulse still high when the gap began');
  });
});
