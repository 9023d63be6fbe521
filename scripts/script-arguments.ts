/**
 * Flags of the measurement and fitting scripts, taken out of their argument list so that what is left
 * are the positional arguments (folders, files). A flag given twice: the first is taken.
 */

/** The value after `name` (`--cache dir`), or undefined when the flag is absent. */
export function takeValue(args: string[], name: string): string | undefined {
  const k = args.indexOf(name);
  return k >= 0 ? args.splice(k, 2)[1] : undefined;
}

/** The value after `name` as a number (NaN for a word or a missing value), or undefined when the flag is absent. */
export function takeNumber(args: string[], name: string): number | undefined {
  const k = args.indexOf(name);
  return k >= 0 ? Number(args.splice(k, 2)[1]) : undefined;
}

/** Whether the switch `name` (`--harder`) is given. */
export function takeSwitch(args: string[], name: string): boolean {
  const k = args.indexOf(name);
  return k >= 0 && args.splice(k, 1).length > 0;
}
