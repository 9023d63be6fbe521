/**
 * Banners (8:1-12:1) and their derivatives, made from the Debian photos synth:lineages uses: whether a
 * banner joins one lineage with its re-encode, half-size copy, grade and title overlay, and whether it
 * joins the 16:9 background it was cut from. Prints pairwise indices, lineages (LineageIndex in
 * process), and the signature's size and CPU time. Measurement only, nothing is fitted on it.
 *
 *   npx tsx scripts/probe-banner-lineages.ts [photos=12]
 */
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../analysis/lineage/lineage-clustering.ts';
import { encodeSignature } from '../analysis/lineage/signature-codec.ts';
import { defaultModel, similarity } from '../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { detectText } from '../analysis/text/detect-text.ts';

const RCC = ['/usr/share/gcompris-qt/rcc/explore_monuments.rcc', '/usr/share/gcompris-qt/rcc/explore_world_animals.rcc'];
/** Common ad sizes, 8.1:1 to 12:1. */
const BANNERS = [
  { w: 728, h: 90 },
  { w: 900, h: 100 },
  { w: 970, h: 90 },
  { w: 1200, h: 100 },
];
const photoCount = Number(process.argv[2] ?? 12);

function webpsIn(path: string): Buffer[] {
  const bytes = readFileSync(path);
  const out: Buffer[] = [];
  for (let i = bytes.indexOf('RIFF'); i >= 0; i = bytes.indexOf('RIFF', i + 4)) {
    if (bytes.toString('latin1', i + 8, i + 12) === 'WEBP') out.push(bytes.subarray(i, i + bytes.readUInt32LE(i + 4) + 8));
  }
  return out;
}

function title(width: number, height: number): Buffer {
  const size = Math.round(height * 0.45);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="${Math.round(width * 0.04)}" y="${Math.round(height * 0.62)}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="white" stroke="black" stroke-width="2">SUMMER SALE</text>` +
      `<rect x="${Math.round(width * 0.8)}" y="${Math.round(height * 0.2)}" width="${Math.round(width * 0.15)}" height="${Math.round(height * 0.6)}" rx="8" fill="#d22"/>` +
      `<text x="${Math.round(width * 0.815)}" y="${Math.round(height * 0.62)}" font-family="DejaVu Sans" font-size="${Math.round(size * 0.7)}" fill="white">-30%</text></svg>`,
  );
}

async function main(): Promise<void> {
  if (!RCC.every(existsSync)) throw new Error('apt-get install gcompris-qt-data');
  await loadOpenCV();
  const all = RCC.flatMap(webpsIn);
  const step = Math.max(1, Math.floor(all.length / photoCount));
  const images: Array<{ id: string; photo: number; signature: ImageSignature }> = [];
  const pairs: string[] = [];
  let cpu = 0;
  let backgroundCpu = 0;
  let maxBytes = 0;
  let maxMs = 0;
  for (let p = 0; p < photoCount; p++) {
    const banner = BANNERS[p % BANNERS.length]!;
    // The 16:9 background, 1920 px wide, and a full-width band of it at the banner's ratio.
    const background = await sharp(all[p * step]!).removeAlpha().resize(1920, 1080, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
    const bandHeight = Math.round((1920 * banner.h) / banner.w);
    const top = Math.round((1080 - bandHeight) * (0.3 + 0.1 * (p % 4)));
    const cut = await sharp(background).extract({ left: 0, top, width: 1920, height: bandHeight }).resize(banner.w, banner.h, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
    const variants: Record<string, Buffer> = {
      banner: cut,
      reencode: await sharp(cut).jpeg({ quality: 60 }).toBuffer(),
      half: await sharp(cut).resize(Math.round(banner.w / 2), Math.round(banner.h / 2)).jpeg({ quality: 85 }).toBuffer(),
      grade: await sharp(cut).modulate({ brightness: 1.1, saturation: 0.5 }).linear(1.2, -20).jpeg({ quality: 85 }).toBuffer(),
      title: await sharp(cut).composite([{ input: title(banner.w, banner.h) }]).jpeg({ quality: 85 }).toBuffer(),
      background,
    };
    const signatures: Record<string, ImageSignature> = {};
    for (const [name, bytes] of Object.entries(variants)) {
      const pixels = (await decodeImage(bytes)).pixels;
      const text = (await detectText(pixels)).regions;
      const start = process.cpuUsage();
      const t0 = performance.now();
      signatures[name] = computeSignature(pixels, { textRegions: text });
      const ms = performance.now() - t0;
      const used = process.cpuUsage(start);
      const bytesLength = encodeSignature(signatures[name]).length;
      if (name === 'background') backgroundCpu += (used.user + used.system) / 1000;
      else {
        cpu += (used.user + used.system) / 1000;
        maxBytes = Math.max(maxBytes, bytesLength);
        maxMs = Math.max(maxMs, ms);
      }
      images.push({ id: `p${p}-${banner.w}x${banner.h}-${name}`, photo: p, signature: signatures[name]! });
    }
    const row = ['reencode', 'half', 'grade', 'title', 'background'].map((name) => `${name} ${similarity(signatures.banner!, signatures[name]!).index.toFixed(4)}`);
    const frame = signatures.banner!.featureFrame;
    const { features, ssim } = similarity(signatures.banner!, signatures.background!);
    row.push(`(banner-background: ${features.matches} matches, ${features.inliers} inliers, overlap ${features.overlap.toFixed(2)}, ssim ${ssim.toFixed(2)})`);
    pairs.push(`p${p} ${banner.w}x${banner.h} frame ${frame.width}x${frame.height} keypoints ${signatures.banner!.features.points.length / 2}: ${row.join(', ')}`);
  }
  console.log(`threshold ${defaultModel().threshold}`);
  for (const line of pairs) console.log(line);
  const index = new LineageIndex();
  const lineageOf = index.cluster(images.map(({ id, signature }) => ({ id, signature })));
  let whole = 0;
  let withBackground = 0;
  let falseMerges = 0;
  for (let p = 0; p < photoCount; p++) {
    const own = images.filter((i) => i.photo === p);
    const bannerLineage = lineageOf.get(own[0]!.id);
    const derivatives = own.filter((i) => !i.id.endsWith('background'));
    if (derivatives.every((i) => lineageOf.get(i.id) === bannerLineage)) whole++;
    if (lineageOf.get(own.find((i) => i.id.endsWith('background'))!.id) === bannerLineage) withBackground++;
    console.log(`p${p}: ${own.map((i) => `${i.id.split('-').pop()}=${lineageOf.get(i.id)!.slice(0, 10)}`).join(' ')}`);
  }
  for (const a of images) for (const b of images) if (a.photo < b.photo && lineageOf.get(a.id) === lineageOf.get(b.id)) falseMerges++;
  console.log(`banner + 4 derivatives in one lineage: ${whole}/${photoCount}; background in it too: ${withBackground}/${photoCount}; pairs of different photos merged: ${falseMerges}`);
  console.log(`banner signatures: max ${maxBytes} bytes, max ${maxMs.toFixed(1)} ms wall, mean ${(cpu / (photoCount * 5)).toFixed(1)} ms CPU (16:9 backgrounds: ${(backgroundCpu / photoCount).toFixed(1)})`);
}

await main();
