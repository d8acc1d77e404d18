// Reading parsed yargs values the same way in every command: repeatable options as string lists,
// comma-separated lists, optional numbers and strings, and number lists checked for the flag.

import { err } from '../errors/index.js';

/** A repeatable option's values (absent: none). */
export function strings(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** 'a, b,,c' -> ['a', 'b', 'c']. */
export function csv(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Typed getters over one command's parsed arguments. */
export function argReader(args: Record<string, unknown>) {
  const str = (k: string): string | undefined => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
  const num = (k: string): number | undefined => (typeof args[k] === 'number' ? (args[k] as number) : undefined);
  /** A comma-separated list of numbers, e.g. --mean 123.7,116.3,103.5. */
  const floats = (k: string): number[] | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const xs = csv(v).map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw err.badOption(k, `'${v}' is not a comma-separated list of numbers`);
    return xs;
  };
  return { str, num, floats };
}
