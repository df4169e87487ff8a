// Parsing of integer command-line options: one place that says which option, what it got and what it takes.
import { InputError } from '../errors.ts';

/**
 * The integer value of a CLI option.
 * @throws InputError naming the option, the value received and the accepted range
 */
export function parseIntegerOption(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError({
      what: `expected an integer in [${min}, ${max}], received "${text}"`,
      where: option,
      fix: `pass ${option} ${min}`,
    });
  }
  return value;
}
