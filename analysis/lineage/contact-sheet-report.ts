import type { Lineage } from './lineage-clustering.ts';
import type { SimilarityReport } from './similarity-index.ts';

export interface ContactSheetMember {
  /** Image id (path relative to the clustered directory). */
  id: string;
  /** Small image to show, e.g. a data: URI of a JPEG thumbnail. */
  thumbnailSrc: string;
  /** This member against the lineage's representative; absent for the representative itself. */
  similarity?: SimilarityReport;
}

/**
 * HTML report: one contact sheet per lineage, largest first, each member with the four metrics and the
 * index against the lineage's representative. Self-contained (thumbnails inline).
 */
export function contactSheetReport(lineages: Lineage[], members: Map<string, ContactSheetMember>, title = 'artmeta lineages'): string {
  const sheets = [...lineages]
    .sort((a, b) => b.members.length - a.members.length || (a.id < b.id ? -1 : 1))
    .map((lineage) => sheet(lineage, members))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 1.5em; background: #fafafa; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0 0 1.2em; padding: .6em 1em; }
h2 { font-size: 14px; margin: .2em 0 .6em; }
.members { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; width: 180px; }
figure img { max-width: 180px; max-height: 140px; display: block; border: 1px solid #ccc; }
figure.root img { border: 3px solid #2a7; }
figcaption { font-size: 11px; color: #333; word-break: break-all; }
.metrics { color: #666; font-variant-numeric: tabular-nums; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${lineages.length} lineages, ${members.size} images. Green border: the representative every member was verified against.</p>
${sheets}
</body></html>
`;
}

function sheet(lineage: Lineage, members: Map<string, ContactSheetMember>): string {
  const figures = lineage.members.map((id) => {
    const member = members.get(id);
    const isRoot = id === lineage.representative;
    const s = member?.similarity;
    const metrics = s
      ? `index ${s.index.toFixed(3)} · hist ${s.histogram.toFixed(2)} · SSIM ${s.ssim.toFixed(2)} · inliers ${s.features.inliers} (${(s.features.inlierRatio * 100).toFixed(0)}%, overlap ${(s.features.overlap * 100).toFixed(0)}%) · EMD ${s.emd.toFixed(1)}`
      : isRoot
        ? 'representative'
        : '';
    return `<figure class="${isRoot ? 'root' : ''}"><img src="${escapeHtml(member?.thumbnailSrc ?? '')}" alt=""><figcaption>${escapeHtml(id)}<br><span class="metrics">${metrics}</span></figcaption></figure>`;
  });
  return `<section><h2>${escapeHtml(lineage.id)} — ${lineage.members.length} image${lineage.members.length === 1 ? '' : 's'}</h2><div class="members">${figures.join('')}</div></section>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
