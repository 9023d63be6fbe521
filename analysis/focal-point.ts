import { area, center, coverage, union, type Box, type Point } from './geometry/box.ts';
import type { RgbImage } from './image/rgb-image.ts';
import { edgeFocusIn } from './focus/edge-focus.ts';
import { energyMapOfGray } from './focus/energy-map.ts';
import { toGrayMat } from './opencv/gray-mat.ts';
import { withMats } from './opencv/mat-scope.ts';
import { detectPeople, type DetectedPerson, type PeopleDetectionOptions } from './people/detect-people.ts';
import type { NetworkFace } from './people/face-network.ts';
import type { Shot } from './analysis-schema.ts';

export interface FocalPointOptions {
  people?: PeopleDetectionOptions;
  /**
   * A person is the subject only when their face (or body) is at least this sharp relative to the
   * whole image (energy over the image's mean). Default 0.6: in-focus faces in the dev photos
   * measure 0.74-4.8; faces in a deliberately blurred background 0.06-0.5.
   */
  minSubjectSharpness?: number;
  /**
   * …and holds at least this much fine detail of its own (DetectedPerson.sharpness). Default 4:
   * in-focus dev faces measure 5-27, faces under a strong background blur 1.8-2.5 — which in an
   * image blurred all over can still be as sharp as the image's mean.
   */
  minSubjectDetail?: number;
  /**
   * …and, when the image's sharp region (edge focus) lies elsewhere, has edges at least this crisp in
   * pixels (DetectedPerson.crispness). Default 0.05: a large face under a background blur still
   * shows detail when sampled small, but its edges are spread over many pixels (< 0.05 for a blur of
   * σ ≥ 6 px), while in-focus faces of ordinary size measure 0.06 and up. A face filling the frame
   * can measure less, being mostly smooth skin; the sharp region is then on it, and it is kept.
   */
  minSubjectCrispness?: number;
}

const DEFAULT_MIN_SUBJECT_SHARPNESS = 0.6;
const DEFAULT_MIN_SUBJECT_DETAIL = 4;
const DEFAULT_MIN_SUBJECT_CRISPNESS = 0.05;

/** Where the image's subject is, in the pixels of the image it was found on. */
export interface FocalPoint {
  method: 'people' | 'edges';
  shot: Shot;
  focalPoint: Point;
  roi: Box;
  /** Everyone found, in focus or not (placement keeps clear of every face), most interesting first. */
  people: DetectedPerson[];
  /** What crops should keep, most wanted first (see CropSubject). */
  keep: Box[];
}

/**
 * People first (the person in focus nearest the camera is the subject, see nearestPerson;
 * `networkFaces` are the face network's proposals for detectPeople); without people, edge focus.
 * People out of focus — a blurred crowd behind a sharp subject — are background: listed, but
 * neither the subject nor kept by crops.
 */
export function findFocalPoint(image: RgbImage, options: FocalPointOptions = {}, networkFaces?: readonly NetworkFace[]): FocalPoint {
  const { energy, people } = withMats((scope) => {
    const gray = toGrayMat(scope, image);
    return { energy: energyMapOfGray(gray), people: detectPeople(image, options.people, networkFaces, gray) };
  });
  const minSharpness = options.minSubjectSharpness ?? DEFAULT_MIN_SUBJECT_SHARPNESS;
  const minDetail = options.minSubjectDetail ?? DEFAULT_MIN_SUBJECT_DETAIL;
  const minCrispness = options.minSubjectCrispness ?? DEFAULT_MIN_SUBJECT_CRISPNESS;
  const focus = edgeFocusIn(energy);
  const inFocus = people.filter((p) => {
    const focusBox = p.face ?? p.box;
    const crispEnough = p.crispness >= minCrispness || overlapsMostly(focusBox, focus.roi);
    return p.sharpness >= minDetail && crispEnough && energy.relativeEnergy(focusBox) >= minSharpness;
  });
  const chosen = nearestPerson(inFocus);
  if (!chosen) {
    return { method: 'edges', shot: 'none', focalPoint: focus.focalPoint, roi: focus.roi, people, keep: [focus.context, focus.roi] };
  }
  const keep = peopleKeep(chosen, inFocus, focus.roi);
  return { method: 'people', shot: chosen.shot, focalPoint: center(chosen.face ?? headOf(chosen)), roi: chosen.box, people, keep };
}

/**
 * The subject among the people in focus: the one nearest the camera, read as the largest face
 * (`people` most interesting first; without a face in focus, the most interesting person). In a group
 * of faces of about one size the interest score's other cues (sharpness, centring, detection
 * strength) decide by their noise: on the dev set's four group photos the two best-scored faces were
 * 0.003-0.05 apart, and the choice flipped between commits that changed no rule about people. A
 * face's size says who stands nearest, and a face box whose size holds under the head's roll and
 * turn (imageFaceBoxFromNetwork) makes it a steady cue. No threshold: the largest face wins.
 */
export function nearestPerson(people: readonly DetectedPerson[]): DetectedPerson | undefined {
  let nearest: DetectedPerson | undefined;
  for (const person of people) {
    if (person.face && (!nearest?.face || area(person.face) > area(nearest.face))) nearest = person;
  }
  return nearest ?? people[0];
}

/** Share of a box that must lie in another for it to count as on it (a face on the sharp region). */
const MOSTLY_ON = 0.5;

/** Whether half of either box lies in the other: a face on the sharp region, or the region on the face. */
function overlapsMostly(a: Box, b: Box): boolean {
  return coverage(a, b) >= MOSTLY_ON || coverage(b, a) >= MOSTLY_ON;
}

/**
 * What crops keep of people, most wanted first. The sharp region (edge focus) around the chosen
 * head belongs to the subject — what they hold, where they stand — when the head is in it; people
 * who reach out of it, the chosen one's own body included, come after it. In a group, every face
 * whole counts for more than the chosen person's whole body: a face cut at the crop's edge is the
 * worst crop. So a group's list ends with all faces, then the chosen head alone: a crop that cannot
 * hold every face keeps the chosen head and, beside it, as many faces whole as fit (the faces are
 * the crop's `whole` boxes, gathered inside the faces' union). Alone, the chosen person, the sharp
 * region with their head, their head.
 */
function peopleKeep(chosen: DetectedPerson, inFocus: readonly DetectedPerson[], sharp: Box): Box[] {
  const head = headOf(chosen);
  const aroundHead = coverage(head, sharp) >= MOSTLY_ON;
  if (inFocus.length > 1) {
    const everyone = inFocus.map((p) => p.box).reduce(union);
    const faces = inFocus.map((p) => p.face ?? topOf(p.box));
    const aroundSharp = aroundHead ? [union(sharp, everyone), union(sharp, chosen.box), union(sharp, head)] : [];
    return [...aroundSharp, everyone, inFocus.map(headOf).reduce(union), faces.reduce(union), head];
  }
  return aroundHead ? [union(sharp, chosen.box), chosen.box, union(sharp, head), head] : [chosen.box, head];
}

function headOf(person: DetectedPerson): Box {
  return person.face ? withHeadroom(person.face) : topOf(person.box);
}

/**
 * A face plus the space a portrait crop leaves around it, in face sizes: a quarter beside each ear,
 * half above for the hair, 0.3 below for the chin.
 */
const HEADROOM = { left: 0.25, above: 0.5, width: 1.5, height: 1.8 } as const;
/** Without a face, the head is the top of a person's box, at most this many box widths tall. */
const HEAD_HEIGHT_IN_WIDTHS = 1.2;

function withHeadroom(face: Box): Box {
  return { x: face.x - face.w * HEADROOM.left, y: face.y - face.h * HEADROOM.above, w: face.w * HEADROOM.width, h: face.h * HEADROOM.height };
}

function topOf(person: Box): Box {
  const h = Math.min(person.h, person.w * HEAD_HEIGHT_IN_WIDTHS);
  return { x: person.x, y: person.y, w: person.w, h };
}
