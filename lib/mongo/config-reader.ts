/**
 * Reads a node's stored config field by field, falling back to the defaults: older flows lack
 * newer fields, and the editor may store numbers and booleans as text.
 */
export interface ConfigReader<T> {
  str(key: keyof T): string;
  bool(key: keyof T): boolean;
  /** A finite number >= min, else the default. */
  num(key: keyof T, min?: number): number;
}

export function configReader<T extends object>(raw: Partial<Record<keyof T, unknown>>, defaults: T): ConfigReader<T> {
  const fallback = (key: keyof T): unknown => defaults[key];
  return {
    str: (key) => (typeof raw[key] === 'string' ? (raw[key] as string).trim() : (fallback(key) as string)),
    bool: (key) => (typeof raw[key] === 'boolean' ? (raw[key] as boolean) : raw[key] === undefined ? (fallback(key) as boolean) : raw[key] === 'true'),
    num: (key, min = 0) => {
      const value = raw[key];
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) && n >= min ? n : (fallback(key) as number);
    },
  };
}
