import { clamp, scaleBox, toPixelBox, type Box, type Point, type Size } from './geometry/box.ts';
import { decodeImage, type DecodedImage, type DecodeOptions } from './image/decode-image.ts';
import { cropHints } from './crop/crop-hints.ts';
import { DEFAULT_CANVASES, parseCanvasList, type CanvasSpec } from './crop/canvas-spec.ts';
import { loadOpenCV } from './opencv/runtime.ts';
import { findNetworkFaces, type NetworkFace } from './people/face-network.ts';
import { detectText, type TextDetection } from './text/detect-text.ts';
import { placeBox } from './text/placement.ts';
import type { PlacementRequest } from './text/placement-spec.ts';
import { facesOf } from './crop/stored-crop-hints.ts';
import { findFocalPoint } from './focal-point.ts';
import type { Analysis, TextResult } from './analysis-schema.ts';
import { roundScore } from './score-rounding.ts';

export interface AnalyzeOptions extends DecodeOptions {
  /** Canvases to give crop hints for: `16:9`, `1:1`, `1280x720`… Default 16:9, 1:1, 2:3, 9:16, 4:5. */
  aspects?: string | readonly string[];
  /** Detect text regions. Default true. */
  text?: boolean;
  /** Where a new box may go (parsePlacementSpec reads the `WxH[@anchors]` form); none by default. */
  place?: PlacementRequest;
}

/** Decodes and analyses one image (a path or its bytes). Throws ArtmetaError for bad input. */
export async function analyzeImage(input: string | Buffer, options: AnalyzeOptions = {}): Promise<Analysis> {
  return (await decodeAndAnalyze(input, options)).analysis;
}

/** analyzeImage, also handing back the decoded image for further work on the same pixels. */
export async function decodeAndAnalyze(input: string | Buffer, options: AnalyzeOptions = {}): Promise<{ analysis: Analysis; decoded: DecodedImage }> {
  const canvases = parseCanvasList(options.aspects ?? DEFAULT_CANVASES);
  const [decoded] = await Promise.all([decodeImage(input, options), loadOpenCV()]);
  const networkFaces = await findNetworkFaces(decoded.pixels);
  const text = options.text === false ? undefined : await detectText(decoded.pixels);
  return { analysis: analyzeDecoded(decoded, canvases, options, networkFaces, text), decoded };
}

/**
 * The analysis of decoded pixels, the faces the network found on them and the text lines found on
 * them (the asynchronous stages, run before); every coordinate it returns is in displayed pixels.
 */
export function analyzeDecoded(
  decoded: DecodedImage,
  canvases: readonly CanvasSpec[],
  options: AnalyzeOptions = {},
  networkFaces?: readonly NetworkFace[],
  detectedText?: TextDetection,
): Analysis {
  const size: Size = { width: decoded.width, height: decoded.height };
  const toDisplayed = (b: Box): Box => toPixelBox(scaleBox(b, decoded.scale), size);
  const focal = findFocalPoint(decoded.pixels, {}, networkFaces);
  const keep = focal.keep.map(toDisplayed);
  const focalPoint = toDisplayedPoint(focal.focalPoint, decoded.scale, size);
  const text = detectedText && displayedText(detectedText, toDisplayed);
  const people = focal.people.map((p) => ({
    box: toDisplayed(p.box),
    shot: p.shot,
    score: roundScore(p.score),
    ...(p.face ? { face: toDisplayed(p.face) } : {}),
  }));
  const faces = facesOf({ people });
  return {
    width: decoded.width,
    height: decoded.height,
    focalPoint,
    roi: toDisplayed(focal.roi),
    method: focal.method,
    shot: focal.shot,
    people,
    crops: cropHints(size, { keep, focalPoint, whole: faces }, canvases),
    keep,
    ...(text ? { text } : {}),
    ...(options.place ? { placement: placeBox(size, options.place, { text: text?.regions ?? [], faces, evidence: text?.evidence ?? [] }) } : {}),
  };
}

function displayedText(detection: TextResult, toDisplayed: (b: Box) => Box): TextResult {
  return {
    probability: detection.probability,
    regions: detection.regions.map((r) => ({ ...toDisplayed(r), probability: r.probability })),
    evidence: (detection.evidence ?? []).map((r) => ({ ...toDisplayed(r), probability: r.probability })),
  };
}

function toDisplayedPoint(p: Point, scale: number, size: Size): Point {
  return {
    x: clamp(Math.round(p.x * scale), 0, size.width - 1),
    y: clamp(Math.round(p.y * scale), 0, size.height - 1),
  };
}
