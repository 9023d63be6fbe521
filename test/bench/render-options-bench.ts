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
 * - reduced masters (images larger than ARTMETA_RENDER_MASTER_MAX_SIDE): the quality of renders cut
 *   from them by how many times the output the crop is in master pixels, on the photos with masters
 *   scaled as a 3840 px photo's; on large sources (Debian's wallpapers, 3640-3840 px, when
 *   installed) the CPU of making one and of renders cut from it against rendering from the source,
 *   and the quality of every render it serves.
 * Variants are interleaved photo by photo, so load from other processes hits them alike.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Box } from '../../analysis/geometry/box.ts';
import { ssim } from 'ssim.js';
import { encoderOptions, renderCrop, renderFromMaster, renderPlan } from '../../api/render/crop-render.ts';
import { MASTER_MIN_OVERSAMPLING, cropInMaster, decodeMaster, jpegDecodeScale, masterSize, type RenderMaster } from '../../api/render/render-master.ts';
import { DEFAULT_RENDER_MASTER_MAX_SIDE } from '../../service/config.ts';

const dataDir = process.argv[2] ?? '../shared/data';
/** `--only masters` or `--only webp`: the reduced-master measurements alone (photographic detail, large sources), or the WebP efforts on photos outside the validation set. */
const only = process.argv.slice(3).join(' ').replace(/^--only /, '');
const WIDTH = 640;
const PASSES = 4;
const MAX_PIXELS = 100_000_000;
const LARGE_SOURCES = '/usr/share/backgrounds';
/** The masters of a serve with the default configuration. */
const MASTERS = { maxSide: DEFAULT_RENDER_MASTER_MAX_SIDE, reduced: true };
const LARGE_SOURCE_NAMES = ['2004default.jpg', 'firstgeneration.jpg', 'rhythm.jpg', 'string.jpg', 'the-mouse.jpg'];
/**
 * Photos from Debian packages, none from the validation set, none chosen for this: every JPEG photo
 * tuxpaint-data ships as a drawing template (19, 604-1296 px) and matplotlib's sample photo.
 */
const OUTSIDE_PHOTOS = { dir: '/usr/share/tuxpaint/templates', extra: ['/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg'] };

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
  const master = await decodeMaster(bytes, { width, height }, { width, height }, MAX_PIXELS);
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
  if (only === '' ) await encoderVariants();
  if (only === '' || only === 'webp') await webpEfforts();
  if (only === '' || only === 'masters') {
    await photographicMasters();
    await largeSources();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Each encoder setting and pipeline order of the variants above, on the photos. */
async function encoderVariants(): Promise<void> {
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
}

/**
 * WebP effort 0-4 on photos outside the validation set (OUTSIDE_PHOTOS), as /render cuts them from a
 * master: the largest centred 16:9 crop, 640 px wide (or the crop's width if less), at the default
 * quality. Per effort: CPU of the encode alone (from the cut pixels, one at a time), KB, and luma
 * PSNR / SSIM of the decoded picture against the unencoded pixels and against effort 4's picture
 * (sharp's default effort), min / median over the photos.
 */
async function webpEfforts(): Promise<void> {
  const files = [
    ...(await readdir(OUTSIDE_PHOTOS.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(OUTSIDE_PHOTOS.dir, f)),
    ...OUTSIDE_PHOTOS.extra,
  ];
  const cuts = await Promise.all(files.map(async (file) => {
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) return undefined;
    const { width, height } = await sharp(bytes, { autoOrient: true }).metadata();
    const w = Math.min(width, Math.floor((height * 16) / 9));
    const h = Math.round((w * 9) / 16);
    const out = Math.min(WIDTH, w);
    const { data, info } = await sharp(bytes, { autoOrient: true })
      .extract({ left: (width - w) >> 1, top: (height - h) >> 1, width: w, height: h })
      .resize(out, Math.round((out * 9) / 16), { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, info };
  }));
  const pictures = cuts.filter((c) => c !== undefined);
  if (pictures.length === 0) return;
  const efforts = [0, 1, 2, 3, 4];
  const encode = (c: (typeof pictures)[number], effort: number) =>
    sharp(c.data, { raw: { width: c.info.width, height: c.info.height, channels: c.info.channels } }).webp({ ...encoderOptions('webp'), effort }).toBuffer();
  const cpu = efforts.map(() => 0);
  const outputs = efforts.map(() => [] as Buffer[]);
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [i, c] of pictures.entries()) {
      for (const [e, effort] of efforts.entries()) {
        const before = process.cpuUsage();
        const out = await encode(c, effort);
        const used = process.cpuUsage(before);
        if (pass === 0) outputs[e]![i] = out;
        else cpu[e]! += (used.user + used.system) / 1000 / (PASSES - 1) / pictures.length;
      }
    }
  }
  const unencoded = await Promise.all(pictures.map((c) => rgba(sharp(c.data, { raw: { width: c.info.width, height: c.info.height, channels: c.info.channels } }))));
  const effort4 = await Promise.all(outputs[efforts.indexOf(4)]!.map((out) => rgba(sharp(out))));
  console.log(
    `WebP effort on ${pictures.length} photos outside the validation set (Debian tuxpaint-data's JPEG templates, matplotlib's grace_hopper.jpg), largest centred 16:9 crop, ` +
      `${WIDTH} px wide, quality ${encoderOptions('webp').quality ?? 'default'}; CPU ms of the encode alone (mean), KB (mean), luma PSNR dB / SSIM min / median:`,
  );
  const kb4 = outputs[efforts.indexOf(4)]!.reduce((sum, out) => sum + out.length, 0);
  for (const [e, effort] of efforts.entries()) {
    const decoded = await Promise.all(outputs[e]!.map((out) => rgba(sharp(out))));
    const kb = outputs[e]!.reduce((sum, out) => sum + out.length, 0);
    console.log(
      `  effort ${effort}${effort === encoderOptions('webp').effort ? ' (now)' : ''}  CPU ${cpu[e]!.toFixed(2).padStart(5)}  ${(kb / pictures.length / 1000).toFixed(1)} KB (${((kb / kb4 - 1) * 100).toFixed(1).padStart(5)}% on effort 4)  ` +
        `against the unencoded pixels ${summary(decoded.map((d, i) => compare(d, unencoded[i]!)))}` +
        (effort === 4 ? '' : `; against effort 4's picture ${summary(decoded.map((d, i) => compare(d, effort4[i]!)))}`),
    );
  }
}

/**
 * Large sources (the wallpapers), a full-width 16:9 crop to 640 px, one at a time, CPU per render:
 * today's render from the source (decoded at ¼ by shrink-on-load), the making of a reduced master
 * (at the default bound, and at 1280 px, the largest a 3840 px JPEG can be decoded at ½ for by
 * sharp), and renders cut from it; the first render of an image is a making and a cut. Then the
 * quality of what the reduced master serves (renderPlan's choice over five canvases and seven
 * widths), unencoded, against today's pipeline and against extracting from the full-resolution
 * decode (lanczos3, no shrink-on-load: the reference), and bytes of the encoded 640 px renders.
 */
async function largeSources(): Promise<void> {
  const names = (await readdir(LARGE_SOURCES).catch(() => [] as string[])).filter((name) => LARGE_SOURCE_NAMES.includes(name));
  if (names.length === 0) return;
  const cpu: Record<string, number[]> = {};
  const bytesOut: Record<string, number[]> = {};
  const masterBytes: number[] = [];
  const perImage: string[] = [];
  const quality = { vsNow: [] as Quality[], vsFull: [] as Quality[], nowVsFull: [] as Quality[] };
  let toSource = 0;
  for (const name of names) {
    const bytes = await readFile(join(LARGE_SOURCES, name));
    const { width, height } = await sharp(bytes, { autoOrient: true }).metadata();
    const source = { width, height };
    const crop = { x: 0, y: Math.round((height - (width * 9) / 16) / 2), w: width, h: Math.round((width * 9) / 16) };
    const size = { width: WIDTH, height: Math.round((WIDTH * 9) / 16) };
    const plan = renderPlan(crop, size, source, MASTERS);
    if (plan.from !== 'master') throw new Error(`${name}: a 640 px render is expected from the reduced master`);
    const small = masterSize(source, 1280);
    let master: RenderMaster | undefined;
    for (let pass = 0; pass < PASSES; pass++) {
      const timed = async <T>(key: string, run: () => Promise<T>): Promise<T> => {
        const before = process.cpuUsage();
        const out = await run();
        const used = process.cpuUsage(before);
        if (pass > 0) (cpu[key] ??= []).push((used.user + used.system) / 1000);
        return out;
      };
      for (const format of ['webp', 'jpeg'] as const) {
        const direct = await timed(`${format} from the source (before)`, () => renderCrop(bytes, crop, size, source, { format }, MAX_PIXELS));
        if (pass === 0) (bytesOut[`${format} before`] ??= []).push(direct.length);
      }
      master = await timed('making the master', () => decodeMaster(bytes, source, plan.master, MAX_PIXELS));
      await timed(`making a ${small.width} px master`, () => decodeMaster(bytes, source, small, MAX_PIXELS));
      for (const format of ['webp', 'jpeg'] as const) {
        const cut = await timed(`${format} cut from the master`, () => renderFromMaster(master!, plan.crop, size, { format }));
        if (pass === 0) (bytesOut[`${format} from the master`] ??= []).push(cut.length);
      }
    }
    masterBytes.push(master!.pixels.length);
    const making = cpu['making the master']!.slice(-(PASSES - 1));
    perImage.push(`${name} ${width}×${height} → ${plan.master.width}×${plan.master.height} at 1/${jpegDecodeScale(source, plan.master)}: ${mean(making).toFixed(1)}`);
    for (const [aw, ah] of [[16, 9], [1, 1], [4, 5], [9, 16], [21, 9]] as const) {
      const w = Math.min(width, Math.floor((height * aw) / ah));
      const box = { x: (width - w) >> 1, y: (height - Math.round((w * ah) / aw)) >> 1, w, h: Math.round((w * ah) / aw) };
      for (const out of [240, 320, 480, 640, 800, 1024, 1280]) {
        const outSize = { width: out, height: Math.round((out * ah) / aw) };
        const served = renderPlan(box, outSize, source, MASTERS);
        if (served.from !== 'master') {
          toSource++;
          continue;
        }
        const [fromMaster, now, full] = await Promise.all([
          rgba(sharp(await renderFromMaster(master!, served.crop, outSize, { format: 'png' }))),
          rgba(sharp(await renderCrop(bytes, box, outSize, source, { format: 'png' }, MAX_PIXELS))),
          rgba(sharp(bytes, { autoOrient: true }).extract({ left: box.x, top: box.y, width: box.w, height: box.h }).resize(outSize.width, outSize.height, { fit: 'fill' })),
        ]);
        quality.vsNow.push(compare(fromMaster, now));
        quality.vsFull.push(compare(fromMaster, full));
        quality.nowVsFull.push(compare(now, full));
      }
    }
  }
  console.log(`large sources: ${names.length} Debian wallpapers from ${LARGE_SOURCES} (3640-3840×2400), full-width 16:9 crop, ${WIDTH} px wide, CPU ms per render, mean (max):`);
  for (const [key, xs] of Object.entries(cpu)) console.log(`  ${key.padEnd(34)} ${mean(xs).toFixed(2).padStart(6)} (${Math.max(...xs).toFixed(2)})`);
  const first = (format: string) => mean(cpu['making the master']!) + mean(cpu[`${format} cut from the master`]!);
  console.log(`  making the master, per image (JPEG decoded at 1/d by libjpeg, then resampled to the master if larger), CPU ms: ${perImage.join('; ')}`);
  console.log(`  first render of an image (making + cut): WebP ${first('webp').toFixed(2)}, JPEG ${first('jpeg').toFixed(2)}; a master holds ${(mean(masterBytes) / 1e6).toFixed(2)} MB`);
  console.log(`  KB per 640 px render: ${Object.entries(bytesOut).map(([key, xs]) => `${key} ${(mean(xs) / 1000).toFixed(1)}`).join(', ')}`);
  console.log(
    `  renders the reduced master serves (5 canvases × 7 widths, 240-1280 px; ${quality.vsFull.length} served, ${toSource} sent to the source), unencoded, luma PSNR dB / SSIM min / median:`,
  );
  console.log(`    reduced master against the full-resolution decode: ${summary(quality.vsFull)}`);
  console.log(`    before (shrink-on-load) against the full-resolution decode: ${summary(quality.nowVsFull)}`);
  console.log(`    reduced master against before: ${summary(quality.vsNow)}`);
}

/**
 * Photographic detail, which the wallpapers lack: the 40 photos with masters at 2048/3840 of their
 * size (as a 3840 px photo's), every render ratio from 1.1× to 3.5× of the master's pixels across
 * the crop, against extracting from the full-resolution decode: what MASTER_MIN_OVERSAMPLING rests on.
 */
async function photographicMasters(): Promise<void> {
  const scale = DEFAULT_RENDER_MASTER_MAX_SIDE / 3840;
  const buckets = new Map<string, Quality[]>();
  const shifted = new Map<string, Quality[]>();
  const bucketOf = (ratio: number) => ['1-1.25', '1.25-1.5', '1.5-2', '2-2.5', '2.5-3', '≥3'][[1.25, 1.5, 2, 2.5, 3].filter((edge) => ratio >= edge).length]!;
  for (const photo of photos) {
    const { width, height } = photo.master;
    const source = { width, height };
    const master = masterSize(source, Math.round(Math.max(width, height) * scale));
    const reduced = await decodeMaster(photo.bytes, source, master, MAX_PIXELS);
    for (const [aw, ah] of [[16, 9], [1, 1], [9, 16]] as const) {
      const w = Math.min(width, Math.floor((height * aw) / ah));
      const box = { x: (width - w) >> 1, y: (height - Math.round((w * ah) / aw)) >> 1, w, h: Math.round((w * ah) / aw) };
      const inMaster = cropInMaster(box, source, master);
      for (const factor of [1.1, 1.4, 1.8, 2, 2.3, 2.8, 3.5]) {
        const out = Math.round(inMaster.w / factor);
        const outSize = { width: out, height: Math.round((out * ah) / aw) };
        const ratio = Math.min(inMaster.w / outSize.width, inMaster.h / outSize.height);
        const fromFull = (b: Box) => rgba(sharp(photo.bytes).extract({ left: b.x, top: b.y, width: b.w, height: b.h }).resize(outSize.width, outSize.height, { fit: 'fill' }));
        const [fromMaster, full] = await Promise.all([rgba(sharp(await renderFromMaster(reduced, inMaster, outSize, { format: 'png' }))), fromFull(box)]);
        const bucket = bucketOf(ratio);
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), compare(fromMaster, full)]);
        // The scale of a crop's own precision: the same render with the crop one source pixel aside.
        const aside = oneColumnAside(box, width);
        if (aside) shifted.set(bucket, [...(shifted.get(bucket) ?? []), compare(await fromFull(aside), full)]);
      }
    }
  }
  console.log(
    `photographic detail: the ${photos.length} photos, masters at ${scale.toFixed(3)} of their size, 3 canvases, unencoded, against the full-resolution decode, ` +
      "by the crop's size in master pixels over the output's; and, for scale, the full-resolution render of the crop moved one source pixel aside (where it can be):",
  );
  for (const bucket of ['1-1.25', '1.25-1.5', '1.5-2', '2-2.5', '2.5-3', '≥3']) {
    const xs = buckets.get(bucket);
    if (xs) console.log(`  ${bucket.padEnd(9)} n=${String(xs.length).padEnd(4)} ${summary(xs)}  | crop 1 px aside: ${shifted.get(bucket) ? summary(shifted.get(bucket)!) : 'none'}${bucket === '2-2.5' ? `  ← served from a reduced master from ${MASTER_MIN_OVERSAMPLING}×` : ''}`);
  }
}

/** The crop one column left (or right, at the left edge), when the image has one to spare. */
function oneColumnAside(box: Box, width: number): Box | undefined {
  if (box.x > 0) return { ...box, x: box.x - 1 };
  return box.x + box.w < width ? { ...box, x: box.x + 1 } : undefined;
}

type Quality = { psnr: number; ssim: number };

function summary(xs: Quality[]): string {
  const [psnr, structure] = [sorted(xs.map((q) => q.psnr)), sorted(xs.map((q) => q.ssim))];
  return `PSNR ${psnr[0]!.toFixed(2)} / ${pick(psnr, 0.5).toFixed(2)}, SSIM ${structure[0]!.toFixed(4)} / ${pick(structure, 0.5).toFixed(4)}`;
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
