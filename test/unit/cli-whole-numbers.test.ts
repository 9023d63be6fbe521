import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { nonNegativeInteger, positiveInteger } from '../../cli/thread-count.ts';

describe('CLI whole-number flags', () => {
  it('take digits, as the ARTMETA_* variables do', () => {
    expect(positiveInteger('12')).toBe(12);
    expect(nonNegativeInteger('0')).toBe(0);
  });

  it('refuse what the variables refuse: exponents, hex, blanks, fractions, signs, zero where one is the least', () => {
    for (const value of ['1e3', '0x10', ' 5 ', '', '2.5', '-1', '+3', '0']) {
      expect(() => positiveInteger(value), JSON.stringify(value)).toThrow(InvalidArgumentError);
    }
    expect(() => nonNegativeInteger('1e0')).toThrow(InvalidArgumentError);
  });
});
