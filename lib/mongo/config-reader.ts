/**
 * Reads a node's stored config field by field, falling back to the defaults: older flows lack
 * newer fields, and the editor may store numbers and booleans as text.
 */
import { numberSetting } from '../shared/node-kit';

export interface ConfigReader<T> {
  str(key: keyof T): string;
  bool(key: keyof T): boolean;
  /** A finite number >= min, else the default (the package's one number policy, numberSetting). */
  num(key: keyof T, min?: number): number;
}

export function configReader<T extends object>(raw: Partial<Record<keyof T, unknown>>, defaults: T): ConfigReader<T> {
  const fallback = (key: keyof T): unknown => defaults[key];
  return {
    str: (key) => (typeof raw[key] === 'string' ? (raw[key] as string).trim() : (fallback(key) as string)),
    bool: (key) => (typeof raw[key] === 'boolean' ? (raw[key] as boolean) : raw[key] === undefined ? (fallback(key) as boolean) : raw[key] === 'true'),
    num: (key, min = 0) => numberSetting(raw[key], fallback(key) as number, min, Infinity),
  };
}
