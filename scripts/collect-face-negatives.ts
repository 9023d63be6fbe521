/**
 * `npm run negatives:collect`: builds the face negatives set in `.scratch/face-negatives/` — real
 * photos with no face in them but with what passes for one under weak checks: bare skin, a round
 * logo on skin, animals (apes, a mandrill, dogs, cats), a teddy bear and a rendered monkey head,
 * round fruit. Everything comes from Debian packages (`apt-get download`, run as root) and one npm
 * package (`npm pack`), never from ../shared/data; which file, which crop and which licence is listed
 * below and written to `manifest.tsv`. Depictions of human faces (coins, cartoons, statues of people,
 * dolls with human faces) are left out: whether they are faces is a matter of taste, not of checks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';

const OUT = '.scratch/face-negatives';
const CACHE = join(OUT, 'packages');
/** Long side the stored negatives are scaled to (never beyond 2×): a photo's usual working size. */
const LONG_SIDE = 640;

interface Source {
  /** `deb:<package>` or `npm:<package>@<version>`. */
  origin: string;
  licence: string;
}

const SOURCES = {
  tuxpaint: { origin: 'deb:tuxpaint-stamps-default', licence: 'GPL-2 (debian/copyright)' },
  gnome: { origin: 'deb:gnome-control-center-data', licence: 'GPL-2+ / CC0-1.0 per debian/copyright (avatar photos)' },
  opencv: { origin: 'deb:opencv-doc', licence: 'BSD-3-Clause / Apache-2.0 (OpenCV sample data, debian/copyright)' },
  faceapi: { origin: 'npm:@vladmandic/face-api@1.7.15', licence: 'MIT (demo photos by the package author)' },
} satisfies Record<string, Source>;

type Category = 'skin' | 'tattoo-like' | 'animal' | 'toy or render' | 'round food';

interface Negative {
  file: string;
  source: keyof typeof SOURCES;
  path: string;
  category: Category;
  /** Region of the source image, in its pixels (none = all of it). */
  crop?: { left: number; top: number; width: number; height: number };
  /** A round logo laid on the skin like a tattoo: file in the same package, centre and diameter in crop px. */
  tattoo?: { path: string; x: number; y: number; size: number };
}

const TUX = 'usr/share/tuxpaint/stamps';
const GNOME = 'usr/share/pixmaps/faces';
const OCV = 'usr/share/doc/opencv-doc/examples/data';

/** Skin without a face: crops of the face-api demo photos 3 and 4 (not in ../shared/data) below every chin. */
const SKIN: Negative[] = [
  { file: 'skin-legs-sofa.jpg', source: 'faceapi', path: 'package/demo/sample3.jpg', category: 'skin', crop: { left: 0, top: 940, width: 1000, height: 410 } },
  { file: 'skin-arm-right.jpg', source: 'faceapi', path: 'package/demo/sample3.jpg', category: 'skin', crop: { left: 1380, top: 640, width: 540, height: 700 } },
  { file: 'skin-hand-glass.jpg', source: 'faceapi', path: 'package/demo/sample3.jpg', category: 'skin', crop: { left: 200, top: 640, width: 760, height: 440 } },
  { file: 'skin-arms-hug.jpg', source: 'faceapi', path: 'package/demo/sample4.jpg', category: 'skin', crop: { left: 160, top: 500, width: 800, height: 420 } },
  { file: 'skin-legs.jpg', source: 'faceapi', path: 'package/demo/sample4.jpg', category: 'skin', crop: { left: 880, top: 1180, width: 1040, height: 268 } },
];

/**
 * Bare skin with a round logo on it as a dark tattoo would sit (multiplied into the skin), the case
 * an earlier version took for a face: skin with a round dark shape. The photos are real (the skin
 * crops above), the tattoos pasted: no package ships a photo of a tattooed arm.
 */
function tattooed(file: string, skin: Negative, logo: string, x: number, y: number, size: number): Negative {
  return { ...skin, file, category: 'tattoo-like', tattoo: { path: logo, x, y, size } };
}

const TATTOO: Negative[] = [
  tattooed('tattoo-thigh-opencv-logo.jpg', SKIN[0]!, 'opencv:' + OCV + '/opencv-logo.png', 300, 200, 150),
  tattooed('tattoo-arm-clock-face.jpg', SKIN[1]!, 'tuxpaint:' + TUX + '/symbols/clockface.png', 235, 310, 100),
];

const FIXED: Negative[] = [
  ...['cat', 'cat-eye', 'puppy', 'penguin', 'hummingbird', 'fish'].map(
    (name): Negative => ({ file: `gnome-${name}.jpg`, source: 'gnome', path: `${GNOME}/${name}.jpg`, category: 'animal' }),
  ),
  { file: 'gnome-tomatoes.jpg', source: 'gnome', path: `${GNOME}/tomatoes.jpg`, category: 'round food' },
  { file: 'opencv-baboon.jpg', source: 'opencv', path: `${OCV}/baboon.jpg`, category: 'animal' },
  { file: 'opencv-fruits.jpg', source: 'opencv', path: `${OCV}/fruits.jpg`, category: 'round food' },
  { file: 'opencv-suzanne-1.jpg', source: 'opencv', path: `${OCV}/Blender_Suzanne1.jpg`, category: 'toy or render' },
  { file: 'opencv-suzanne-2.jpg', source: 'opencv', path: `${OCV}/Blender_Suzanne2.jpg`, category: 'toy or render' },
  { file: 'tux-edward_bear.jpg', source: 'tuxpaint', path: `${TUX}/animals/mammals/bears/toys/edward_bear.png`, category: 'toy or render' },
];

/** Photo stamps (cut-outs of real photos; drawings live in `cartoon/` folders) at least this long. */
const MIN_STAMP_SIDE = 150;

function fetchPackages(): string {
  mkdirSync(CACHE, { recursive: true });
  const debs = ['tuxpaint-stamps-default', 'gnome-control-center-data', 'opencv-doc'];
  for (const deb of debs) {
    const dir = join(CACHE, deb);
    if (existsSync(dir)) continue;
    execFileSync('apt-get', ['download', deb], { cwd: CACHE, stdio: 'inherit' });
    const file = readdirSync(CACHE).find((f) => f.startsWith(`${deb}_`) && f.endsWith('.deb'))!;
    execFileSync('dpkg', ['-x', file, deb], { cwd: CACHE });
    rmSync(join(CACHE, file));
  }
  const npmDir = join(CACHE, 'face-api');
  if (!existsSync(npmDir)) {
    mkdirSync(npmDir);
    const tgz = execFileSync('npm', ['pack', '@vladmandic/face-api@1.7.15', '--silent'], { cwd: npmDir, encoding: 'utf8' }).trim();
    execFileSync('tar', ['xzf', tgz, 'package/demo'], { cwd: npmDir });
    rmSync(join(npmDir, tgz));
  }
  return CACHE;
}

function rootOf(source: keyof typeof SOURCES): string {
  return join(CACHE, { tuxpaint: 'tuxpaint-stamps-default', gnome: 'gnome-control-center-data', opencv: 'opencv-doc', faceapi: 'face-api' }[source]);
}

async function photoStamps(): Promise<Negative[]> {
  const found: Negative[] = [];
  for (const [folder, category] of [
    ['animals', 'animal'],
    ['food', 'round food'],
  ] as const) {
    const dir = join(rootOf('tuxpaint'), TUX, folder);
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
      if (!file.endsWith('.png') || file.includes('cartoon') || file.includes('toys')) continue;
      const meta = await sharp(join(dir, file)).metadata();
      if (Math.max(meta.width!, meta.height!) < MIN_STAMP_SIDE) continue;
      const name = `tux-${folder}-${file.replaceAll('/', '-').replace(/\.png$/, '.jpg')}`;
      found.push({ file: name, source: 'tuxpaint', path: `${TUX}/${folder}/${file}`, category });
    }
  }
  return found;
}

async function render(negative: Negative): Promise<void> {
  let image = sharp(join(rootOf(negative.source), negative.path)).flatten({ background: '#ffffff' });
  if (negative.crop) image = image.extract(negative.crop);
  if (negative.tattoo) {
    const [source, path] = negative.tattoo.path.split(':') as [keyof typeof SOURCES, string];
    const logo = await sharp(join(rootOf(source), path))
      .flatten({ background: '#ffffff' })
      .resize(negative.tattoo.size, negative.tattoo.size, { fit: 'contain', background: '#ffffff' })
      .grayscale()
      .linear(0.75, 64) // ink is never black on skin: the darkest line keeps a quarter of the skin's light, paper stays clear
      .toColourspace('srgb')
      .png()
      .toBuffer();
    const half = negative.tattoo.size / 2;
    image = sharp(await image.png().toBuffer()).composite([
      { input: logo, left: Math.round(negative.tattoo.x - half), top: Math.round(negative.tattoo.y - half), blend: 'multiply' },
    ]);
  }
  const flat = await image.png().toBuffer();
  const meta = await sharp(flat).metadata();
  const scale = Math.min(2, LONG_SIDE / Math.max(meta.width!, meta.height!));
  await sharp(flat)
    .resize(Math.round(meta.width! * scale), Math.round(meta.height! * scale))
    .jpeg({ quality: 90 })
    .toFile(join(OUT, negative.file));
}

fetchPackages();
const negatives = [...SKIN, ...TATTOO, ...FIXED, ...(await photoStamps())];
for (const negative of negatives) await render(negative);
const rows = negatives.map((n) => {
  const source = SOURCES[n.source];
  const crop = n.crop ? `${n.crop.left},${n.crop.top},${n.crop.width},${n.crop.height}` : '';
  return [n.file, n.category, `${source.origin}:${n.path}`, crop, n.tattoo ? `${n.tattoo.path} at ${n.tattoo.x},${n.tattoo.y} size ${n.tattoo.size}` : '', source.licence].join('\t');
});
writeFileSync(join(OUT, 'manifest.tsv'), ['file\tcategory\tsource\tcrop\ttattoo\tlicence', ...rows].join('\n') + '\n');
const counts = new Map<string, number>();
for (const n of negatives) counts.set(n.category, (counts.get(n.category) ?? 0) + 1);
console.log(`${negatives.length} negatives in ${relative(process.cwd(), OUT)}: ${[...counts].map(([c, k]) => `${c} ${k}`).join(', ')}`);
