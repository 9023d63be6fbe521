import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as OpenCV from '@techstark/opencv-js';
import { cv } from './runtime.ts';
import { ArtmetaError } from '../errors.ts';

/** The Haar cascades artmeta ships in `models/` (see models/README.md for origin and licence). */
export const CASCADE_FILES = {
  frontalFace: 'haarcascade_frontalface_default.xml',
  frontalFaceAlt2: 'haarcascade_frontalface_alt2.xml',
  profileFace: 'haarcascade_profileface.xml',
  eye: 'haarcascade_eye.xml',
  eyeGlasses: 'haarcascade_eye_tree_eyeglasses.xml',
  upperBody: 'haarcascade_upperbody.xml',
  fullBody: 'haarcascade_fullbody.xml',
} as const;

export type CascadeName = keyof typeof CASCADE_FILES;

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
const loaded = new Map<CascadeName, OpenCV.CascadeClassifier>();

/**
 * The classifier for `name`, loaded on first use and kept for the life of the process: parsing a
 * cascade XML costs tens of milliseconds, far more than running it on one image.
 */
export function cascade(name: CascadeName): OpenCV.CascadeClassifier {
  let classifier = loaded.get(name);
  if (!classifier) {
    const file = CASCADE_FILES[name];
    const lib = cv() as unknown as {
      FS_createDataFile(parent: string, name: string, data: Uint8Array, read: boolean, write: boolean, own: boolean): void;
    };
    lib.FS_createDataFile('/', file, readFileSync(MODELS_DIR + file), true, false, false);
    classifier = new (cv().CascadeClassifier)();
    if (!classifier.load(file)) throw new ArtmetaError('INTERNAL', `cannot load cascade ${file}`);
    loaded.set(name, classifier);
  }
  return classifier;
}
