import { ArtmetaError } from '../errors.ts';

/**
 * A binary map kept as horizontal runs of ink, row by row. Glyph search only ever walks the ink, and
 * the runs of a typical binarisation number a few percent of its pixels, so finding and labelling
 * them in JavaScript costs less than thresholding full-size maps and labelling them in OpenCV.
 */
export interface InkRuns {
  width: number;
  height: number;
  /** The runs of row y are runs rowStart[y] .. rowStart[y + 1] - 1, left to right. */
  rowStart: Int32Array;
  /** First column of each run. */
  start: Int32Array;
  /** One past the last column of each run. */
  end: Int32Array;
  count: number;
}

/** Ink brighter and ink darker than its surroundings. */
export interface ContrastRuns {
  light: InkRuns;
  dark: InkRuns;
}

/**
 * Both binarisations of `gray` against its local mean in one pass: light ink where a pixel is more
 * than `lightOffset` grey levels above the mean, dark ink where it is more than `darkOffset` below.
 * The mean is that of cv.blur, window sum / `windowArea` rounded to a grey level; it is compared
 * without dividing. With an odd area the exact mean is never halfway between two levels, so
 * round(sum / area) < g - lightOffset exactly when 2 (sum - area g) < -(2 lightOffset + 1) area,
 * and round(sum / area) > g + darkOffset exactly when 2 (sum - area g) > (2 darkOffset + 1) area.
 */
export function contrastRuns(
  gray: Uint8Array,
  windowSums: Int32Array,
  windowArea: number,
  width: number,
  height: number,
  lightOffset: number,
  darkOffset: number,
): ContrastRuns {
  if (windowArea % 2 !== 1) throw new ArtmetaError('INTERNAL', `the local window's area must be odd, got ${windowArea}`);
  const lightBelow = -(2 * lightOffset + 1) * windowArea;
  const darkAbove = (2 * darkOffset + 1) * windowArea;
  const light = new RunList(width, height);
  const dark = new RunList(width, height);
  for (let y = 0; y < height; y++) {
    light.rowStart[y] = light.count;
    dark.rowStart[y] = dark.count;
    const row = y * width;
    let x = 0;
    while (x < width) {
      // Twice the pixel's departure from its window's mean, in units of 1 / area.
      let departure = 2 * (windowSums[row + x]! - windowArea * gray[row + x]!);
      while (departure >= lightBelow && departure <= darkAbove && ++x < width) departure = 2 * (windowSums[row + x]! - windowArea * gray[row + x]!);
      if (x === width) break;
      const first = x;
      if (departure < lightBelow) {
        while (++x < width && 2 * (windowSums[row + x]! - windowArea * gray[row + x]!) < lightBelow);
        light.push(first, x);
      } else {
        while (++x < width && 2 * (windowSums[row + x]! - windowArea * gray[row + x]!) > darkAbove);
        dark.push(first, x);
      }
    }
  }
  return { light: light.done(), dark: dark.done() };
}

/** Runs appended in raster order into buffers that double when full. */
class RunList {
  readonly rowStart: Int32Array;
  private start: Int32Array<ArrayBuffer>;
  private end: Int32Array<ArrayBuffer>;
  count = 0;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    this.rowStart = new Int32Array(height + 1);
    // A few percent of the pixels start a run on real images.
    this.start = new Int32Array(Math.max(1024, (width * height) >> 5));
    this.end = new Int32Array(this.start.length);
  }

  push(first: number, end: number): void {
    if (this.count === this.start.length) {
      this.start = doubled(this.start);
      this.end = doubled(this.end);
    }
    this.start[this.count] = first;
    this.end[this.count] = end;
    this.count++;
  }

  done(): InkRuns {
    this.rowStart[this.height] = this.count;
    return { width: this.width, height: this.height, rowStart: this.rowStart, start: this.start, end: this.end, count: this.count };
  }
}

function doubled(values: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(values.length * 2);
  bigger.set(values);
  return bigger;
}
