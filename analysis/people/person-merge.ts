import { type Box, coverage, iou, union } from '../geometry/box.ts';
import { type DetectedBody, isUpperBodyOf } from './body-detector.ts';
import type { DetectedFace } from './face-detector.ts';

/** Evidence of one person before framing and scoring. */
export interface PersonEvidence {
  face?: DetectedFace;
  bodies: DetectedBody[];
}

/**
 * A full-body window (Kruppa & Schiele's pedestrian cascade) holds its head: the face lies mostly
 * inside it (≥ 0.7 of its area: hair and an arm may stick out), in its top 30%, and the window is
 * 4-11 face heights tall (a standing adult is ~7.5 face heights; the window adds margin, a child or
 * a person cut by the frame fewer).
 */
const FULL_BODY_HEAD = { minInside: 0.7, topShare: 0.3, minFaceHeights: 4, maxFaceHeights: 11 } as const;
/**
 * Two body hits are one body when they overlap by IoU > 0.3 or one lies 70% inside the other (the
 * two body cascades and neighbouring scales place one person differently); a faceless body half
 * over a known face is that person's, not a new one.
 */
const SAME_BODY = { minIou: 0.3, minInside: 0.7 } as const;
const BODY_OVER_FACE = 0.5;

/**
 * Whether `face` can be the head of `body`: where that kind of window has its head, and of a
 * head's size for it (an upper-body window is 4.5-8 face widths wide, a full body 4-11 face heights
 * tall).
 */
function headOf(face: Box, body: DetectedBody): boolean {
  if (body.kind === 'upper') return isUpperBodyOf(face, body.box);
  const b = body.box;
  if (coverage(face, b) < FULL_BODY_HEAD.minInside) return false;
  const faceCentreY = face.y + face.h / 2;
  const heights = b.h / face.h;
  return heights >= FULL_BODY_HEAD.minFaceHeights && heights <= FULL_BODY_HEAD.maxFaceHeights && faceCentreY <= b.y + b.h * FULL_BODY_HEAD.topShare;
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
    const overlapping = persons.find((p) => p.bodies.some((b) => iou(b.box, body.box) > SAME_BODY.minIou || coverage(b.box, body.box) > SAME_BODY.minInside));
    const coversFace = persons.some((p) => p.face && coverage(p.face.box, body.box) > BODY_OVER_FACE);
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
