import { describe, expect, it } from 'vitest';
import { shotType } from '../../analysis/people/shot-type.ts';

const face = { x: 100, y: 100, w: 40, h: 50 };

describe('shotType', () => {
  it('is full-body with a full-body detection, however little is seen', () => {
    expect(shotType({ face, hasFullBody: true, depth: 1 })).toBe('full-body');
  });

  it('is full-body when the person is seen 8 face heights below the face top', () => {
    expect(shotType({ face, hasFullBody: false, depth: 8 })).toBe('full-body');
    expect(shotType({ face, hasFullBody: false, depth: 7.9 })).toBe('upper-body');
  });

  it('is close-up when the person is seen no further than 2.5 face heights (head and shoulders)', () => {
    expect(shotType({ face, hasFullBody: false, depth: 2.4 })).toBe('close-up');
    expect(shotType({ face, hasFullBody: false, depth: 2.5 })).toBe('upper-body');
  });

  it('is full-body for a faceless person, who is known only from a full body', () => {
    expect(shotType({ hasFullBody: true, depth: 0 })).toBe('full-body');
  });
});
