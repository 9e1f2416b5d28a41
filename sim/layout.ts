/**
 * Memory layout of the simulated PLC, shared by the simulator, its tests, the demo and the
 * benchmarks. All offsets are bytes from the start of the area.
 */
import { parseAddress, type S7Address } from '../lib/s7/address';

export interface SampleTag {
  offset: number;
  /** Bit for BOOL samples. */
  bit?: number;
  dataType: string;
  /** What the decoder must return for it (see lib/s7/decode.ts for the representations). */
  value: unknown;
}

/** One sample of every S7 type, with the value the simulator stores there. */
const SAMPLES = {
  boolTrue: { offset: 8, bit: 0, dataType: 'BOOL', value: true },
  boolFalse: { offset: 8, bit: 1, dataType: 'BOOL', value: false },
  boolBit2: { offset: 8, bit: 2, dataType: 'BOOL', value: true },
  byte: { offset: 9, dataType: 'BYTE', value: 0xa5 },
  word: { offset: 10, dataType: 'WORD', value: 0xbeef },
  dword: { offset: 12, dataType: 'DWORD', value: 0xdeadbeef },
  char: { offset: 16, dataType: 'CHAR', value: 'S' },
  sint: { offset: 17, dataType: 'SINT', value: -42 },
  usint: { offset: 18, dataType: 'USINT', value: 200 },
  int: { offset: 20, dataType: 'INT', value: -12345 },
  uint: { offset: 22, dataType: 'UINT', value: 54321 },
  dint: { offset: 24, dataType: 'DINT', value: -123456789 },
  udint: { offset: 28, dataType: 'UDINT', value: 3000000000 },
  lint: { offset: 32, dataType: 'LINT', value: -1234567890123 },
  ulint: { offset: 40, dataType: 'ULINT', value: '12345678901234567890' },
  real: { offset: 48, dataType: 'REAL', value: Math.fround(3.14159) },
  lreal: { offset: 52, dataType: 'LREAL', value: 2.718281828459045 },
  string: { offset: 60, dataType: 'STRING[20]', value: 'Hello S7' },
  wstring: { offset: 82, dataType: 'WSTRING[10]', value: 'Grüße ✓' },
  date: { offset: 106, dataType: 'DATE', value: '2024-03-15' },
  time: { offset: 108, dataType: 'TIME', value: 3723004 },
  tod: { offset: 112, dataType: 'TOD', value: 49530250 },
  dt: { offset: 116, dataType: 'DT', value: '2024-03-15T13:45:30.250' },
  dtl: { offset: 124, dataType: 'DTL', value: '2024-03-15T13:45:30.123456789' },
  intArray: { offset: 136, dataType: 'INT[10]', value: [0, -1, 2, -3, 4, -5, 6, -7, 8, -9] },
  realArray: { offset: 156, dataType: 'REAL[4]', value: [0.5, -1.25, 100, 1e-3].map(Math.fround) },
  boolArray: { offset: 172, bit: 0, dataType: 'BOOL[16]', value: Array.from({ length: 16 }, (_, i) => i % 3 === 0) },
  timeNegative: { offset: 174, dataType: 'TIME', value: -5000 },
} satisfies Record<string, SampleTag>;

const BULK_COUNT = 200;

/** Per-machine data block. */
export const MACHINE_DB_LAYOUT = {
  /** Analog power, kW. */
  powerKw: { offset: 0, type: 'REAL' as const },
  /** Unit counter, counts up by one per unit cycle (like a CTU); never reset by the simulator. */
  unitCounter: { offset: 4, type: 'DINT' as const },
  samples: SAMPLES,
  /** STRING[3][3]: odd-sized STRING elements start at even addresses (178, 184, 190). */
  stringArray: { offset: 178, dataType: 'STRING[3][3]', value: ['ab', 'cde', 'f'] } satisfies SampleTag,
  /** REAL[200] at 200..999: value i * 1.5 for element i (contiguous block for benchmarks and ReadArea). */
  bulk: { offset: 200, dataType: `REAL[${BULK_COUNT}]`, count: BULK_COUNT, value: (i: number): number => i * 1.5 },
  /** Total size of each machine's DB. */
  size: 1024,
} as const;

/** Process images and merkers, with a few fixed values for address tests. */
export const PROCESS_LAYOUT = {
  /** Q (process outputs): Q0 carries the machines' power and cycle bits (the application's DQ.0..7). */
  outputsSize: 64,
  /** I (process inputs): IW64 = 0x1234, IB0 = 0x81. */
  inputsSize: 128,
  inputs: { IB0: 0x81, IW64: 0x1234 },
  /** M (merkers): MW2 = 4242, MD10 = REAL 21.5, M1.3 = true. */
  merkersSize: 256,
  merkers: { MW2: 4242, MD10: 21.5, 'M1.3': true },
} as const;

/** The address (TIA notation) of a sample in the given DB. */
export function sampleAddress(db: number, s: SampleTag): string {
  return s.bit !== undefined ? `DB${db}.DBX${s.offset}.${s.bit}` : `DB${db}.DBB${s.offset}`;
}

export function parseSample(db: number, s: SampleTag): S7Address {
  return parseAddress(sampleAddress(db, s), s.dataType);
}
