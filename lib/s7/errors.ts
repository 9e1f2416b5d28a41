/**
 * Classifying snap7's error codes: link errors (TCP, ISO, timeouts, garbled answers) mean the
 * socket can no longer be trusted and the client must reconnect; CPU errors concern the items of
 * one request and leave the connection usable. Known codes get a hint for the plant engineer.
 */

/** TCP (socket errno in the low word) and ISO-on-TCP (0x000F0000) errors. */
const LINK_MASK = 0x000fffff;

export const SNAP7 = {
  errNegotiatingPDU: 0x00100000,
  errCliInvalidParams: 0x00200000,
  errCliJobPending: 0x00300000,
  errCliTooManyItems: 0x00400000,
  errCliSizeOverPDU: 0x00700000,
  errCliInvalidPlcAnswer: 0x00800000,
  errCliAddressOutOfRange: 0x00900000,
  errCliInvalidTransportSize: 0x00a00000,
  errCliItemNotAvailable: 0x00c00000,
  errCliFunNotAvailable: 0x01400000,
  errCliInvalidDataSizeRecvd: 0x01600000,
  errCliNeedPassword: 0x01d00000,
  errCliJobTimeout: 0x02000000,
  errCliPartialDataRead: 0x02100000,
  errCliFunctionRefused: 0x02300000,
  errCliDestroying: 0x02400000,
} as const;

const LINK_CODES = new Set<number>([
  SNAP7.errNegotiatingPDU, SNAP7.errCliJobPending, SNAP7.errCliInvalidPlcAnswer, SNAP7.errCliInvalidDataSizeRecvd,
  SNAP7.errCliJobTimeout, SNAP7.errCliPartialDataRead, SNAP7.errCliDestroying,
]);

/** True when the error concerns the connection itself: drop the socket and reconnect. */
export function isLinkError(code: number): boolean {
  return (code & LINK_MASK) !== 0 || LINK_CODES.has(code);
}

const PUT_GET_HINT = 'S7-1200/1500: enable "Permit access with PUT/GET communication from remote partner" '
  + '(CPU properties > Protection & Security > Connection mechanisms)';
const OPTIMIZED_HINT = 'S7-1200/1500: untick "Optimized block access" in the DB\'s attributes and download again';

/** A hint for the plant engineer, for the codes whose usual cause is known. */
export function errorHint(code: number, area?: string): string | undefined {
  switch (code) {
    case SNAP7.errCliItemNotAvailable:
      return area === 'DB'
        ? `the DB does not exist in the PLC, or (${OPTIMIZED_HINT})`
        : 'the area does not exist in this PLC';
    case SNAP7.errCliAddressOutOfRange:
      return area === 'DB'
        ? `the address lies beyond the end of the DB, or (${OPTIMIZED_HINT})`
        : 'the address lies beyond the end of the area';
    case SNAP7.errCliFunNotAvailable:
    case SNAP7.errCliFunctionRefused:
      return `PUT/GET access not enabled? ${PUT_GET_HINT}`;
    case SNAP7.errCliNeedPassword:
      return 'the CPU is password-protected against reading';
    case SNAP7.errCliSizeOverPDU:
    case SNAP7.errCliTooManyItems:
      return 'the request exceeds the negotiated PDU (please report: the planner should prevent this)';
    case SNAP7.errCliInvalidTransportSize:
      return 'the PLC rejected the data type for this area';
    default:
      return undefined;
  }
}

/** snap7's own text plus our hint, e.g. "CPU : Item not available (the DB does not exist ...)". */
export function describeError(code: number, text: string, area?: string): string {
  const hint = errorHint(code, area);
  const base = text && text.trim() !== '' ? text.trim() : `snap7 error 0x${code.toString(16)}`;
  return hint ? `${base} (${hint})` : base;
}
