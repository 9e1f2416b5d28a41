import type { S7Address } from './address';

/** Decodes one item (scalar or array) at buf[offset]. */
export function decodeValue(buf: Buffer, offset: number, a: S7Address): unknown {
  void buf; void offset; void a;
  throw new Error('not implemented yet');
}
