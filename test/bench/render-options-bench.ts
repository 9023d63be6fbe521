/**
 * `npm run bench:render-options -- ../shared/data`: what each encoder setting and pipeline order of
 * /render costs and gives, on the 40 photos bench:service renders (re-encoded the same way), each
 * cut to its largest centred 16:9 box (even offsets) and rendered 640 px wide, in this process, one at a time:
 * - CPU per render (sharp's libuv-thread work included), mean and its spread between photos;
 * - bytes, and PSNR (luma) and SSIM of the decoded render against the unencoded pixels of the
 *   current pipeline, per photo (min / median);
 * - the ½ JPEG shrink-on-load that sharp does not take below a 3× shrink (SHRINK_ON_LOAD_FROM in
 *   api/render/crop-render.ts), forced here through libvips' file-name option `[shrink=2]`: its CPU
 *   and its pixels against the current ones. A probe only: /render has bytes, not a file.
 * - renders cut from a cached master (api/render/render-master.ts: the decoded image, kept), whose
 *   CPU leaves out the decode; its pixels are the current ones;
 * - on large sources (Debian's wallpapers, 3640-3840 px, when installed), why they get no master:
 *   a 640 px render with shrink-on-load, against making a master scaled to 2048 px and a render cut
 *   from it, and that render's pixels against the shrink-on-load pipeline's.
 * Variants are interleaved photo by photo, so load from other processes hits them alike.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { ssim } from 'ssim.js';
import { encoderOptions, renderCrop, renderFromMaster } from '../../api/render/crop-render.ts';
import { MASTER_MAX_SIDE, decodeMaster, type RenderMaster } from '../../api/render/render-master.ts';

const dataDir = process.argv[2] ?? '../shared/data';
const WIDTH = 640;
const PASSES = 4;
const MAX_PIXELS = 100_000_000;
const LARGE_SOURCES = '/usr/share/backgrounds';
const LARGE_SOURCE_NAMES = ['2004default.jpg', 'firstgeneration.jpg', 'rhythm.jpg', 'string.jpg', 'the-mouse.jpg'];

const photosDir = join(dataDir, 'photos');
const names = (await readdir(photosDir)).filter((f) => f.endsWith('.jpg')).sort().slice(8, 48);
const dir = await mkdtemp(join(tmpdir(), 'artmeta-render-options-'));

interface Photo {
  bytes: Buffer;
  master: RenderMaster;
  file: string;
  crop: { left: number; top: number; width: number; height: number };
  size: { width: number; height: number };
}

const photos: Photo[] = await Promise.all(names.map(async (name, i) => {
  // As bench:service: the stored known images are sharp re-encodings of the photos.
  const bytes = await sharp(await readFile(join(photosDir, name))).jpeg({ quality: 88 }).toBuffer();
  const file = join(dir, `${i}.jpg`);
  await writeFile(file, bytes);
  const { width, height } = await sharp(bytes).metadata();
  const master = await decodeMaster(bytes, MAX_PIXELS);
  const w = Math.min(width, Math.floor((height * 16) / 9));
  const h = Math.round((w * 9) / 16);
  const out = Math.min(WIDTH, w);
  // Even offsets: the ½-decoded pixels then sit on the same grid as the full ones (an odd offset
  // would shift the ½ decode's crop by half an output pixel, a difference of place, not of quality).
  return { bytes, master, file, crop: { left: ((width - w) >> 2) << 1, top: ((height - h) >> 2) << 1, width: w, height: h }, size: { width: out, height: Math.round((out * 9) / 16) } };
}));

/** The current /render order for these crops (all under 3× the output): extract, then resize. */
const current = (p: Photo): Sharp => sharp(p.bytes).extract(p.crop).resize(p.size.width, p.size.height, { fit: 'fill' });

/** The same crop from a JPEG decoded at ½ by libjpeg where the crop is at least 2× the output. */
function halfDecoded(p: Photo): Sharp {
  if (Math.min(p.crop.width / p.size.width, p.crop.height / p.size.height) < 2) return current(p);
  const half = { left: p.crop.left >> 1, top: p.crop.top >> 1, width: p.crop.width >> 1, height: p.crop.height >> 1 };
  return sharp(`${p.file}[shrink=2]`).extract(half).resize(p.size.width, p.size.height, { fit: 'fill' });
}

interface Variant {
  label: string;
  render: (p: Photo) => Promise<Buffer>;
}

const webp = (effort: number, quality?: number) => (s: Sharp) => s.webp({ ...encoderOptions('webp', quality), effort }).toBuffer();
const jpeg = (s: Sharp) => s.jpeg(encoderOptions('jpeg')).toBuffer();
const box = (p: Photo) => ({ x: p.crop.left, y: p.crop.top, w: p.crop.width, h: p.crop.height });
const variants: Variant[] = [
  { label: `WebP effort ${encoderOptions('webp').effort} (now)`, render: (p) => webp(encoderOptions('webp').effort!)(current(p)) },
  { label: 'WebP effort 0', render: (p) => webp(0)(current(p)) },
  // Effort 0 at about effort 2's bytes: which setting gives more quality per byte.
  { label: 'WebP effort 0, q 75', render: (p) => webp(0, 75)(current(p)) },
  { label: 'WebP effort 1', render: (p) => webp(1)(current(p)) },
  { label: 'WebP effort 4 (sharp)', render: (p) => webp(4)(current(p)) },
  { label: 'WebP now, ½ decode', render: (p) => webp(encoderOptions('webp').effort!)(halfDecoded(p)) },
  { label: 'WebP smartSubsample', render: (p) => current(p).webp({ ...encoderOptions('webp'), smartSubsample: true }).toBuffer() },
  { label: 'WebP from master', render: (p) => renderFromMaster(p.master, box(p), p.size, { format: 'webp' }) },
  { label: 'JPEG (now)', render: (p) => jpeg(current(p)) },
  { label: 'JPEG, ½ decode', render: (p) => jpeg(halfDecoded(p)) },
  { label: 'JPEG from master', render: (p) => renderFromMaster(p.master, box(p), p.size, { format: 'jpeg' }) },
];

try {
  // Reference: the current pipeline's pixels before encoding.
  const reference = await Promise.all(photos.map((p) => rgba(current(p))));
  const cpu = variants.map(() => photos.map(() => 0));
  const outputs = variants.map(() => [] as Buffer[]);
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [i, photo] of photos.entries()) {
      for (const [v, variant] of variants.entries()) {
        const before = process.cpuUsage();
        const out = await variant.render(photo);
        const used = process.cpuUsage(before);
        // The first pass warms up (and keeps the outputs for the quality figures).
        if (pass === 0) outputs[v]![i] = out;
        else cpu[v]![i]! += (used.user + used.system) / 1000 / (PASSES - 1);
      }
    }
  }
  console.log(`render options: ${photos.length} photos from ${photosDir} (bench:service's known images), largest centred 16:9 crop, ${WIDTH} px wide, one render at a time, ${PASSES - 1} timed passes`);
  console.log('  CPU ms per render: mean, and between photos p50 / p90 / max; KB per render; luma PSNR dB and SSIM of the decoded render against the unencoded pixels of the current pipeline, min / median over photos');
  for (const [v, variant] of variants.entries()) {
    const quality = await Promise.all(outputs[v]!.map(async (out, i) => compare(await rgba(sharp(out)), reference[i]!)));
    const kb = outputs[v]!.reduce((sum, out) => sum + out.length, 0) / photos.length / 1000;
    const c = sorted(cpu[v]!);
    const [psnr, structure] = [sorted(quality.map((q) => q.psnr)), sorted(quality.map((q) => q.ssim))];
    console.log(
      `  ${variant.label.padEnd(22)} CPU ${mean(c).toFixed(2).padStart(5)} (${pick(c, 0.5).toFixed(2)} / ${pick(c, 0.9).toFixed(2)} / ${c.at(-1)!.toFixed(2)})  ${kb.toFixed(1)} KB  ` +
        `PSNR ${psnr[0]!.toFixed(2)} / ${pick(psnr, 0.5).toFixed(2)}  SSIM ${structure[0]!.toFixed(4)} / ${pick(structure, 0.5).toFixed(4)}`,
    );
  }
  // The ½ decode's pixels against the current ones, where it applies (no encoder in between).
  const halved = photos.filter((p) => Math.min(p.crop.width / p.size.width, p.crop.height / p.size.height) >= 2);
  const pixels = await Promise.all(halved.map(async (p) => compare(await rgba(halfDecoded(p)), await rgba(current(p)))));
  const [psnr, structure] = [sorted(pixels.map((q) => q.psnr)), sorted(pixels.map((q) => q.ssim))];
  console.log(
    `  ½ decode against the current pixels, the ${halved.length} photos whose crop is ≥ 2× the output: ` +
      `PSNR min ${psnr[0]!.toFixed(2)} median ${pick(psnr, 0.5).toFixed(2)}, SSIM min ${structure[0]!.toFixed(4)} median ${pick(structure, 0.5).toFixed(4)}`,
  );
  await largeSources();
} finally {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Large sources, a full-width 16:9 crop to 640 px: the shrink-on-load pipeline (decoded at ¼) against
 * the making of a 2048 px master and a render cut from it; pixels of the master's render against the
 * shrink-on-load pipeline's (both unencoded: PNG).
 */
async function largeSources(): Promise<void> {
  const names = (await readdir(LARGE_SOURCES).catch(() => [] as string[])).filter((name) => LARGE_SOURCE_NAMES.includes(name));
  if (names.length === 0) return;
  const cpu = { direct: [] as number[], making: [] as number[], fromMaster: [] as number[] };
  const quality: { psnr: number; ssim: number }[] = [];
  for (const name of names) {
    const bytes = await readFile(join(LARGE_SOURCES, name));
    const { width, height } = await sharp(bytes, { autoOrient: true }).metadata();
    const source = { width, height };
    const crop = { x: 0, y: Math.round((height - (width * 9) / 16) / 2), w: width, h: Math.round((width * 9) / 16) };
    const size = { width: WIDTH, height: Math.round((WIDTH * 9) / 16) };
    let master: RenderMaster | undefined;
    for (let pass = 0; pass < PASSES; pass++) {
      const timed = async <T>(key: keyof typeof cpu, run: () => Promise<T>): Promise<T> => {
        const before = process.cpuUsage();
        const out = await run();
        const used = process.cpuUsage(before);
        if (pass > 0) cpu[key].push((used.user + used.system) / 1000);
        return out;
      };
      await timed('direct', () => renderCrop(bytes, crop, size, source, { format: 'webp' }, MAX_PIXELS));
      master = await timed('making', () => scaledMaster(bytes, source));
      await timed('fromMaster', () => renderFromMaster(master!, scaled(crop, master!.width / width), size, { format: 'webp' }));
    }
    const [fromMaster, direct] = await Promise.all([
      renderFromMaster(master!, scaled(crop, master!.width / width), size, { format: 'png' }),
      renderCrop(bytes, crop, size, source, { format: 'png' }, MAX_PIXELS),
    ]);
    quality.push(compare(await rgba(sharp(fromMaster)), await rgba(sharp(direct))));
  }
  const [psnr, structure] = [sorted(quality.map((q) => q.psnr)), sorted(quality.map((q) => q.ssim))];
  console.log(`large sources: ${names.length} Debian wallpapers from ${LARGE_SOURCES} (3640-3840×2400), full-width 16:9 crop, ${WIDTH} px wide WebP, CPU ms mean (max):`);
  const show = (xs: number[]) => `${mean(xs).toFixed(2)} (${Math.max(...xs).toFixed(2)})`;
  console.log(`  shrink-on-load pipeline ${show(cpu.direct)}; making a master scaled to ${MASTER_MAX_SIDE} px ${show(cpu.making)}; render from that master ${show(cpu.fromMaster)}`);
  console.log(
    `  render from a scaled master against the shrink-on-load pipeline, unencoded: PSNR min ${psnr[0]!.toFixed(2)} median ${pick(psnr, 0.5).toFixed(2)}, ` +
      `SSIM min ${structure[0]!.toFixed(4)} median ${pick(structure, 0.5).toFixed(4)}`,
  );
}

/** A master as /render would keep it for a large image if it did: scaled to MASTER_MAX_SIDE. */
async function scaledMaster(bytes: Buffer, source: { width: number; height: number }): Promise<RenderMaster> {
  const scale = MASTER_MAX_SIDE / Math.max(source.width, source.height);
  const { data, info } = await sharp(bytes, { autoOrient: true })
    .resize(Math.round(source.width * scale), Math.round(source.height * scale), { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { pixels: data, width: info.width, height: info.height, channels: info.channels };
}

function scaled(crop: { x: number; y: number; w: number; h: number }, scale: number) {
  return { x: Math.round(crop.x * scale), y: Math.round(crop.y * scale), w: Math.round(crop.w * scale), h: Math.round(crop.h * scale) };
}

interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

async function rgba(image: Sharp): Promise<Pixels> {
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Luma PSNR (BT.601 weights, as SSIM's grey conversion) and SSIM (Wang et al.'s Gaussian window). */
function compare(a: Pixels, b: Pixels): { psnr: number; ssim: number } {
  let squared = 0;
  for (let k = 0; k < a.data.length; k += 4) {
    const d = 0.299 * (a.data[k]! - b.data[k]!) + 0.587 * (a.data[k + 1]! - b.data[k + 1]!) + 0.114 * (a.data[k + 2]! - b.data[k + 2]!);
    squared += d * d;
  }
  const mse = squared / (a.width * a.height);
  return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), ssim: ssim(a, b, { ssim: 'original' }).mssim };
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((x, y) => x - y);
}

function pick(ascending: number[], q: number): number {
  return ascending[Math.min(ascending.length - 1, Math.floor(q * ascending.length))]!;
}

function mean(xs: number[]): number {
  return xs.reduce((sum, x) => sum + x, 0) / xs.length;
}
