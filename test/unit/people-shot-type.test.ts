import { describe, expect, it } from 'vitest';
import { shotType } from '../../worker/people/shot-type.ts';

const face = { x: 100, y: 100, w: 40, h: 50 };

describe('shotType', () => {
  it('is full-body with a full-body detection, whatever the face', () => {
    expect(shotType({ face, box: face, hasUpperBody: false, hasFullBody: true, imageHeight: 600 })).toBe('full-body');
  });

  it('is full-body when the evidence is at least 4.5 face heights tall', () => {
    const box = { x: 80, y: 100, w: 100, h: 230 };
    expect(shotType({ face, box, hasUpperBody: true, hasFullBody: false, imageHeight: 600 })).toBe('full-body');
  });

  it('is upper-body with head-and-shoulders evidence', () => {
    const box = { x: 60, y: 90, w: 130, h: 120 };
    expect(shotType({ face, box, hasUpperBody: true, hasFullBody: false, imageHeight: 200 })).toBe('upper-body');
  });

  it('is close-up for a lone face filling a fifth of the frame height or more', () => {
    expect(shotType({ face, box: face, hasUpperBody: false, hasFullBody: false, imageHeight: 250 })).toBe('close-up');
    expect(shotType({ face, box: face, hasUpperBody: false, hasFullBody: false, imageHeight: 251 })).toBe('upper-body');
  });

  it('is upper-body for a faceless body without legs', () => {
    const box = { x: 0, y: 0, w: 100, h: 100 };
    expect(shotType({ box, hasUpperBody: true, hasFullBody: false, imageHeight: 400 })).toBe('upper-body');
  });
});
