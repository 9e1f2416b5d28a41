/** The plc-connection config node's settings (shared by runtime and editor). */
import type { PlcConnectionSettings } from '../../lib/reader/connection-config';

export { CONNECTION_DEFAULTS, PLC_FAMILY_PRESETS, PDU_SIZES } from '../../lib/reader/connection-config';
export type { PlcFamily, PlcConnectionSettings } from '../../lib/reader/connection-config';

export interface PlcConnectionConfig extends PlcConnectionSettings {
  name: string;
}

export const PLC_CONNECTION_TYPE = 'plc-connection';
