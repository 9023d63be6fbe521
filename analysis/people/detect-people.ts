import type * as OpenCV from '@techstark/opencv-js';
import { ArtmetaError } from '../errors.ts';
import { area, type Box, type Size, toPixelBox } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import {
  type BodyDetectionOptions,
  DEFAULT_BODY_DETECTION_OPTIONS,
  type DetectedBody,
  detectFullBodiesAround,
  detectUpperBodyAround,
} from './body-detector.ts';
import { FRONTAL_WINDOW, PROFILE_WINDOW } from './face-candidates.ts';
import { DEFAULT_FACE_DETECTION_OPTIONS, detectFaces, type FaceDetectionOptions } from './face-detector.ts';
import type { NetworkFace } from './face-network.ts';
import { toGrayMat } from '../opencv/gray-mat.ts';
import { evidenceBox, mergePersons, type PersonEvidence } from './person-merge.ts';
import { personScore } from './person-score.ts';
import { bodyDepth } from './body-depth.ts';
import { edgeCrispness } from './edge-crispness.ts';
import { regionSharpness } from './region-sharpness.ts';
import { type Shot, shotType } from './shot-type.ts';

export interface DetectedPerson {
  /** The whole visible person (face and full body evidence, or the body drawn from the face), working-image px. */
  box: Box;
  /** The face, when one was found, working-image px. */
  face?: Box;
  shot: Shot;
  /** Interest score in [0,1]; people are sorted by score, highest first. */
  score: number;
  /** Detection strength/confidence in [0,1]. */
  strength: number;
  /** Fine detail of the face (or box) at a fixed sample size (regionSharpness): ~2 blurred, 8-20 sharp. */
  sharpness: number;
  /** How crisp the face's (or box's) sharpest edges are in px (edgeCrispness): < 0.05 blurred, 0.1-0.3 sharp. */
  crispness: number;
}

export interface PeopleDetectionOptions {
  /** Face scan and verification settings. Default DEFAULT_FACE_DETECTION_OPTIONS. */
  faces?: Partial<FaceDetectionOptions>;
  /** Body scan settings. Default DEFAULT_BODY_DETECTION_OPTIONS. */
  bodies?: Partial<BodyDetectionOptions>;
}

/**
 * Neighbours a body found around a face, but not with it as its head (a neighbour's), needs to
 * count as a person without a face: body cascades fire on doors, trunks and railings, so a faceless
 * body must be a strong hit.
 */
const MIN_FACELESS_BODY_NEIGHBORS = 8;

/** Body-cascade neighbours at which a body's strength saturates. */
const FULL_BODY_STRENGTH_NEIGHBORS = 20;

/**
 * A person box drawn from a face: as wide as the shoulders (3 face widths; an adult's shoulders are
 * ~2.5-3) or, for a close-up, the neck and the shoulders' start (1.7); hair above (0.4 face heights:
 * the face box starts at the brows).
 */
const BODY_FROM_FACE = { shoulderWidths: 3, closeUpWidths: 1.7, hairHeights: 0.4 } as const;
/**
 * Strength of a faceless body is discounted to 0.6 of the cascade's: body cascades fire on doors and
 * trunks, and nothing else backs them. Bodies that agree with a face raise its strength by up to 0.3
 * of what it lacks: they confirm a person, not a face.
 */
const FACELESS_BODY_STRENGTH = 0.6;
const BODY_BACKING = 0.3;

/**
 * Finds the people in a working image (long side up to ~1024 px): faces from the frontal (upright,
 * and turned on request) and profile cascades and from the face network (`networkFaces`, see
 * findNetworkFaces), each verified on its own crop (skin, a second cascade, eyes, a re-scan); full
 * and upper bodies around each face (where that face can be their head); merged into persons (a face inside a body
 * box is one person), each framed (shot type) and scored for interest. Synchronous; OpenCV must be
 * loaded; every Mat is freed before it returns. Boxes are in the working image's px.
 * Throws ArtmetaError INVALID_ARGUMENT for options that cannot work.
 */
export function detectPeople(
  image: RgbImage,
  options: PeopleDetectionOptions = {},
  networkFaces?: readonly NetworkFace[],
  /** The image's grey (toGrayMat) when the caller has made it already. */
  imageGray?: OpenCV.Mat,
): DetectedPerson[] {
  const faceOptions = { ...DEFAULT_FACE_DETECTION_OPTIONS, ...options.faces };
  const bodyOptions = { ...DEFAULT_BODY_DETECTION_OPTIONS, ...options.bodies };
  checkOptions(faceOptions, bodyOptions);
  const frame: Size = { width: image.width, height: image.height };
  if (image.width === 0 || image.height === 0) return [];

  return withMats((scope) => {
    const gray = imageGray ?? toGrayMat(scope, image);
    const faces = detectFaces(scope, gray, image, faceOptions, networkFaces);
    const bodies = faces.flatMap((face) => [
      ...detectFullBodiesAround(scope, gray, face.box, bodyOptions),
      ...detectUpperBodyAround(scope, gray, face.box, bodyOptions.minNeighbors),
    ]);
    const persons = mergePersons(faces, bodies).filter(
      (p) => p.face || p.bodies.some((b) => b.neighbors >= MIN_FACELESS_BODY_NEIGHBORS),
    );
    const focusOf = (person: PersonEvidence): Box => person.face?.box ?? evidenceBox(person);
    const largestFocus = Math.max(...persons.map((p) => Math.sqrt(area(focusOf(p)))));
    return persons
      .map((person): DetectedPerson => {
        const face = person.face?.box;
        const hasFullBody = person.bodies.some((b) => b.kind === 'full');
        const depth = face ? bodyDepth(scope, gray, face) : 0;
        const shot = shotType({ face, hasFullBody, depth });
        const box = toPixelBox(hasFullBody || !face ? evidenceBox(person) : bodyFromFace(face, depth, shot), frame);
        const strength = personStrength(person);
        const focus = face ?? box;
        const sharpness = regionSharpness(scope, gray, focus);
        const crispness = edgeCrispness(gray, focus);
        const score = personScore({ focus, sharpness, strength, image: frame, largestFocus });
        return { box, ...(face ? { face: toPixelBox(face, frame) } : {}), shot, score, strength, sharpness, crispness };
      })
      .sort((a, b) => b.score - a.score);
  });
}

function checkOptions(faces: FaceDetectionOptions, bodies: BodyDetectionOptions): void {
  const problems: string[] = [];
  // A scan image smaller than the cascade window finds nothing; a step ≤ 1 never ends.
  if (!(faces.frontalScanSize >= FRONTAL_WINDOW)) problems.push(`faces.frontalScanSize must be >= ${FRONTAL_WINDOW}`);
  if (faces.profileScanSize !== 0 && !(faces.profileScanSize >= PROFILE_WINDOW)) problems.push(`faces.profileScanSize must be 0 or >= ${PROFILE_WINDOW}`);
  if (!(faces.scaleFactor > 1) || !(bodies.scaleFactor > 1)) problems.push('scaleFactor must be > 1');
  if (!(faces.minNeighbors >= 0) || !(bodies.minNeighbors >= 0)) problems.push('minNeighbors must be >= 0');
  if (problems.length > 0) throw new ArtmetaError('INVALID_ARGUMENT', `invalid people detection options: ${problems.join('; ')}`);
}

/**
 * The person box of a face without full-body evidence: hair above, and below it the body as far as
 * it is seen (bodyDepth); as wide as the shoulders, or the neck for a close-up.
 */
function bodyFromFace(face: Box, depth: number, shot: Shot): Box {
  const width = shot === 'close-up' ? BODY_FROM_FACE.closeUpWidths : BODY_FROM_FACE.shoulderWidths;
  const hair = BODY_FROM_FACE.hairHeights;
  return { x: face.x + face.w * ((1 - width) / 2), y: face.y - face.h * hair, w: face.w * width, h: face.h * (hair + depth) };
}

function bodyStrength(body: DetectedBody): number {
  return Math.min(1, body.neighbors / FULL_BODY_STRENGTH_NEIGHBORS);
}

/** A face's strength, raised by bodies that agree with it; a faceless body's own, discounted. */
function personStrength(person: PersonEvidence): number {
  const body = Math.max(0, ...person.bodies.map(bodyStrength));
  if (!person.face) return body * FACELESS_BODY_STRENGTH;
  return 1 - (1 - person.face.strength) * (1 - BODY_BACKING * body);
}
