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
 * Both binarisations of `gray` against `localMean` in one pass: light ink where a pixel is more than
 * `lightOffset` above its local mean, dark ink where it is more than `darkOffset` below.
 */
export function contrastRuns(gray: Uint8Array, localMean: Uint8Array, width: number, height: number, lightOffset: number, darkOffset: number): ContrastRuns {
  const light = new RunList(width, height);
  const dark = new RunList(width, height);
  const below = -darkOffset;
  for (let y = 0; y < height; y++) {
    light.rowStart[y] = light.count;
    dark.rowStart[y] = dark.count;
    const row = y * width;
    let x = 0;
    while (x < width) {
      let d = gray[row + x]! - localMean[row + x]!;
      while (d <= lightOffset && d >= below && ++x < width) d = gray[row + x]! - localMean[row + x]!;
      if (x === width) break;
      const first = x;
      if (d > lightOffset) {
        while (++x < width && gray[row + x]! - localMean[row + x]! > lightOffset);
        light.push(first, x);
      } else {
        while (++x < width && gray[row + x]! - localMean[row + x]! < below);
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
