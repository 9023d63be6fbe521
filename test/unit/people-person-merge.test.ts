import { describe, expect, it } from 'vitest';
import type { DetectedBody } from '../../analysis/people/body-detector.ts';
import type { DetectedFace } from '../../analysis/people/face-detector.ts';
import { evidenceBox, mergePersons } from '../../analysis/people/person-merge.ts';

const face = (x: number, y: number, side: number): DetectedFace => ({ box: { x, y, w: side, h: side * 1.3 }, view: 'frontal', strength: 0.8 });
const body = (kind: DetectedBody['kind'], x: number, y: number, w: number, h: number, neighbors = 5): DetectedBody => ({
  box: { x, y, w, h },
  kind,
  neighbors,
});

describe('mergePersons', () => {
  it('makes a face inside a full body one person, the box their union', () => {
    const persons = mergePersons([face(120, 40, 30)], [body('full', 90, 20, 90, 300)]);
    expect(persons).toHaveLength(1);
    expect(persons[0]!.bodies).toHaveLength(1);
    expect(evidenceBox(persons[0]!)).toEqual({ x: 90, y: 20, w: 90, h: 300 });
  });

  it('joins an upper body to the face that is its head, not to a neighbour', () => {
    // The upper-body window is 6 face widths wide, its head centred across and 0.45 of the way down.
    const persons = mergePersons([face(100, 100, 40), face(400, 100, 40)], [body('upper', 300, 38, 240, 196)]);
    expect(persons).toHaveLength(2);
    expect(persons[0]!.bodies).toHaveLength(0);
    expect(persons[1]!.bodies.map((b) => b.kind)).toEqual(['upper']);
  });

  it('does not take an upper body whose head would sit at its edge', () => {
    const persons = mergePersons([face(400, 100, 40)], [body('upper', 390, 38, 240, 196)]);
    expect(persons[0]!.bodies).toHaveLength(0);
  });

  it('leaves upper-body windows out of the evidence box: they hold background on both sides', () => {
    const persons = mergePersons([face(400, 100, 40)], [body('upper', 300, 38, 240, 196)]);
    expect(persons[0]!.bodies).toHaveLength(1);
    expect(evidenceBox(persons[0]!)).toEqual(persons[0]!.face!.box);
  });

  it('does not take a body whose head would be far too small or too big for the face', () => {
    // A 40-px face cannot be the head of a 1000-px-tall body.
    const persons = mergePersons([face(100, 100, 40)], [body('full', 0, 50, 300, 1000)]);
    expect(persons.find((p) => p.face)!.bodies).toHaveLength(0);
  });

  it('keeps a faceless body as a person of its own, once', () => {
    const persons = mergePersons([], [body('full', 10, 10, 50, 100), body('full', 12, 12, 48, 96)]);
    expect(persons).toHaveLength(1);
    expect(persons[0]!.face).toBeUndefined();
    expect(persons[0]!.bodies).toHaveLength(2);
  });
});
