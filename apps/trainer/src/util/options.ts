import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer flag, with an error naming the flag and value. */
export function intOption(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} expects an integer, got '${value}'`);
    return n;
  };
}

/** A commander parser for a numeric flag. */
export function numberOption(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} expects a number, got '${value}'`);
    return n;
  };
}
