import { type Box, coverage, iou, union } from '../geometry/box.ts';
import { type DetectedBody, isUpperBodyOf } from './body-detector.ts';
import type { DetectedFace } from './face-detector.ts';

/** Evidence of one person before framing and scoring. */
export interface PersonEvidence {
  face?: DetectedFace;
  bodies: DetectedBody[];
}

/**
 * Whether `face` can be the head of `body`: where that kind of window has its head, and of a
 * head's size for it (an upper-body window is 4.5-8 face widths wide, a full body 4-11 face heights
 * tall).
 */
function headOf(face: Box, body: DetectedBody): boolean {
  if (body.kind === 'upper') return isUpperBodyOf(face, body.box);
  const b = body.box;
  if (coverage(face, b) < 0.7) return false;
  const faceCentreY = face.y + face.h / 2;
  const heights = b.h / face.h;
  return heights >= 4 && heights <= 11 && faceCentreY <= b.y + b.h * 0.3;
}

/**
 * Groups faces and bodies into persons: each body joins the face that can be its head (a face inside
 * a body box is one person); bodies without a head stay persons of their own only when no other
 * person already holds them (duplicates from the two body cascades are merged).
 */
export function mergePersons(faces: DetectedFace[], bodies: DetectedBody[]): PersonEvidence[] {
  const persons: PersonEvidence[] = faces.map((face) => ({ face, bodies: [] }));
  const loose: DetectedBody[] = [];
  for (const body of bodies) {
    const owner = persons.find((p) => p.face && headOf(p.face.box, body));
    if (owner) owner.bodies.push(body);
    else loose.push(body);
  }
  for (const body of loose) {
    const overlapping = persons.find((p) => p.bodies.some((b) => iou(b.box, body.box) > 0.3 || coverage(b.box, body.box) > 0.7));
    const coversFace = persons.some((p) => p.face && coverage(p.face.box, body.box) > 0.5);
    if (overlapping && !overlapping.face) overlapping.bodies.push(body);
    else if (!overlapping && !coversFace) persons.push({ bodies: [body] });
  }
  return persons;
}

/**
 * Union of the face and full bodies found of the person. Upper-body windows confirm head and
 * shoulders but do not draw them: they hold background on both sides (see isUpperBodyOf).
 */
export function evidenceBox(person: PersonEvidence): Box {
  const full = person.bodies.filter((b) => b.kind === 'full').map((b) => b.box);
  const boxes = [...(person.face ? [person.face.box] : []), ...full];
  return boxes.reduce((acc, b) => union(acc, b));
}
