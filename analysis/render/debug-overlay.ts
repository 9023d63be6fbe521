import sharp from 'sharp';
import type { Analysis } from '../analysis-schema.ts';
import type { Box } from '../geometry/box.ts';

/** Long side of the picture, in pixels. */
const OVERLAY_LONG_SIDE = 1024;

const CROP_COLOURS = ['#ff9f1c', '#2ec4b6', '#e71d36', '#a06cd5', '#3a86ff', '#8ac926'];

/**
 * A JPEG of the image with what artmeta found drawn on it — people (green), faces (yellow), region of
 * interest (blue), focal point (red), every crop (one colour each, labelled), text regions (magenta)
 * and the placement (cyan) — for a person to check by eye.
 */
export async function renderDebugOverlay(input: string | Buffer, analysis: Analysis): Promise<Buffer> {
  const scale = Math.min(1, OVERLAY_LONG_SIDE / Math.max(analysis.width, analysis.height));
  // At least a pixel: past 2048:1 the short side rounds to 0.
  const width = Math.max(1, Math.round(analysis.width * scale));
  const height = Math.max(1, Math.round(analysis.height * scale));
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 300));
  const font = Math.max(12, Math.round(Math.max(width, height) / 50));
  const rect = (b: Box, colour: string, dash = '', fill = 'fill="none"') =>
    `<rect x="${b.x * scale}" y="${b.y * scale}" width="${b.w * scale}" height="${b.h * scale}" ${fill} stroke="${colour}" stroke-width="${stroke}" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`;
  // Crops often share a corner: each label gets its own line so they do not print over each other.
  const label = (b: Box, text: string, colour: string, line = 0) =>
    `<text x="${b.x * scale + stroke * 2}" y="${b.y * scale + (font + stroke) * (line + 1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" stroke="black" stroke-width="0.6">${escapeXml(text)}</text>`;

  const parts: string[] = [];
  Object.entries(analysis.crops).forEach(([name, box], i) => {
    const colour = CROP_COLOURS[i % CROP_COLOURS.length]!;
    parts.push(rect(box, colour, `${stroke * 4},${stroke * 2}`), label(box, name, colour, i));
  });
  parts.push(rect(analysis.roi, '#3a86ff'));
  for (const person of analysis.people) {
    parts.push(rect(person.box, '#38b000'), label(person.box, `${person.shot} ${person.score.toFixed(2)}`, '#38b000'));
    if (person.face) parts.push(rect(person.face, '#ffd60a'));
  }
  for (const region of analysis.text?.regions ?? []) {
    parts.push(rect(region, '#ff00ff'), label(region, region.probability.toFixed(2), '#ff00ff'));
  }
  if (analysis.placement?.box) parts.push(rect(analysis.placement.box, '#00f5ff', '', 'fill="#00f5ff" fill-opacity="0.25"'));
  const { x, y } = analysis.focalPoint;
  const r = stroke * 5;
  parts.push(
    `<circle cx="${x * scale}" cy="${y * scale}" r="${r}" fill="none" stroke="#ff0000" stroke-width="${stroke}"/>`,
    `<path d="M${x * scale - r * 1.6},${y * scale}h${r * 3.2}M${x * scale},${y * scale - r * 1.6}v${r * 3.2}" stroke="#ff0000" stroke-width="${stroke}"/>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;

  return sharp(input)
    .autoOrient()
    .resize(width, height, { fit: 'fill' })
    .flatten({ background: '#808080' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
