import { createHash } from 'node:crypto';
import { parseSourceUrl } from '../sources/url-source.ts';
import type { AnalyzeJobData, ImageSource } from './job-schema.ts';

/** SHA-256 of the bytes, hex: the key of an image everywhere (store, uploads, job ids). */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The job id of an analysis: the same image with the same options always gets the same id, so
 * BullMQ keeps one job for it however often it is submitted (while the job is retained). Uploads
 * are named by their content, URLs and paths by their normalised text; the worker then dedups by
 * content across sources through the result store. BullMQ ids cannot contain ':'.
 */
export function analyzeJobId(data: AnalyzeJobData): string {
  const { canvases, text, place } = data.request;
  const options = JSON.stringify([[...canvases].sort(), text, place ?? null]);
  const { kind, key } = sourceKey(data.source);
  return `${kind}-${createHash('sha256').update(`${key}\n${options}`).digest('hex').slice(0, 40)}`;
}

function sourceKey(source: ImageSource): { kind: string; key: string } {
  if ('upload' in source) return { kind: 'sha', key: source.upload };
  if ('url' in source) return { kind: 'url', key: parseSourceUrl(source.url).href };
  return { kind: 'path', key: source.path };
}
