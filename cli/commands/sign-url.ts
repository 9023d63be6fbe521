import type { Command } from 'commander';
import { parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { RENDER_PREFIX, renderPath, verifyRenderPath, type RenderFormat, type RenderRequest } from '../../api/render/render-url.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { ENVIRONMENT_HELP, configOrExit } from '../service-config.ts';
import { positiveInteger } from '../thread-count.ts';

interface SignOptions {
  canvas: string;
  width?: number;
  height?: number;
  format: string;
  quality?: number;
  enlarge?: boolean;
}

/** `artmeta sign-url <source> --canvas 16:9`: the path of a signed /render URL, for `<img src>` behind `artmeta serve`. */
export function register(program: Command): void {
  program
    .command('sign-url')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('print the path of a signed render URL (/render/…) for a source and canvas, signed with ARTMETA_RENDER_KEY')
    .argument('<source>', 'http(s) URL the server fetches, or a file path under its ARTMETA_PATH_ROOTS (relative = under the first root)')
    .requiredOption('--canvas <canvas>', 'canvas to crop to: 16:9, 1:1, 1280x720… (required)')
    .option('--width <px>', 'output width (the canvas gives the height; default: a pixel canvas\'s or the crop\'s own size)', positiveInteger)
    .option('--height <px>', 'output height (the canvas gives the width)', positiveInteger)
    .option('--format <format>', 'jpeg, webp, avif or png', 'webp')
    .option('--quality <1-100>', 'encoder quality (lossy formats; default: the format\'s own)', positiveInteger)
    .option('--enlarge', 'scale up past the crop’s own size when the output is larger')
    .action((source: string, options: SignOptions) => {
      const config = configOrExit((c) => (c.api.renderKey ? undefined : 'ARTMETA_RENDER_KEY is empty: set the key the server signs with'));
      const key = config.api.renderKey!;
      const request: RenderRequest = {
        source: renderSource(source),
        canvas: parseCanvasSpec(options.canvas),
        format: options.format as RenderFormat,
        enlarge: options.enlarge === true,
        ...(options.width !== undefined ? { width: options.width } : {}),
        ...(options.height !== undefined ? { height: options.height } : {}),
        ...(options.quality !== undefined ? { quality: options.quality } : {}),
      };
      const path = renderPath(request, key);
      // Read back as the server will, so a bad option fails here, not in a browser.
      verifyRenderPath(path.slice(RENDER_PREFIX.length + 1), key);
      process.stdout.write(`${path}\n`);
    });
}

/**
 * An http(s) URL or a path. Another scheme (ftp://, file://) would be signed as a file path of that
 * name and show only as a 404 when a page loads the picture, so it is refused here.
 */
function renderSource(source: string): RenderRequest['source'] {
  if (/^https?:\/\//i.test(source)) return { url: source };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source);
  if (scheme) throw new ArtmetaError('INVALID_ARGUMENT', `${scheme[1]}:// sources are not fetched: give an http(s) URL or a file path`);
  return { path: source };
}
