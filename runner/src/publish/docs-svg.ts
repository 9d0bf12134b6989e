import type { NodeResult } from '../run/context.js';
import type { DocNode } from './docs-data.js';
import { lineageColumns } from './lineage-columns.js';

/** The docs site's pictures: the lineage graph (layers left to right, sources first) and the last run's timeline. */

export const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const palette: Record<string, [fill: string, stroke: string]> = {
  source: ['#f6ead7', '#9a6b2f'], view: ['#dbeafe', '#2563eb'], ephemeral: ['#f1f5f9', '#64748b'],
  incremental: ['#ccfbf1', '#0f766e'], snapshot: ['#ede9fe', '#7c3aed'], table: ['#dcfce7', '#15803d'], test: ['#f5f5f4', '#78716c'],
};

/** Orders each layer so that edges cross little: a few sweeps of the barycenter heuristic. */
export function orderLayers(nodes: Pick<DocNode, 'id' | 'layer' | 'upstream' | 'downstream'>[]): string[][] {
  const layers: string[][] = [];
  for (const n of nodes) (layers[n.layer] ??= []).push(n.id);
  for (const l of layers) l?.sort();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const pos = new Map<string, number>();
  const index = () => layers.forEach((l) => l?.forEach((id, i) => pos.set(id, i / Math.max(1, l.length - 1))));
  const sweep = (l: string[], key: (n: DocNode | undefined) => string[]) => {
    const centre = (id: string) => {
      const near = key(byId.get(id) as DocNode).filter((x) => pos.has(x));
      return near.length ? near.reduce((s, x) => s + pos.get(x)!, 0) / near.length : pos.get(id)!;
    };
    const keyed = l.map((id) => [id, centre(id)] as const);
    l.splice(0, l.length, ...keyed.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id));
    index();
  };
  index();
  for (let round = 0; round < 4; round++) {
    for (let i = 1; i < layers.length; i++) if (layers[i]) sweep(layers[i], (n) => n?.upstream ?? []);
    for (let i = layers.length - 2; i >= 0; i--) if (layers[i]) sweep(layers[i], (n) => n?.downstream ?? []);
  }
  return layers.map((l) => l ?? []);
}

/**
 * The lineage graph, left to right by layer (longest path from the sources). An edge that spans several
 * layers passes through a thin virtual slot in each layer between, so it runs between nodes, not behind
 * them. `site` adds the last run's status to each node.
 */
export function lineageSvg(nodes: DocNode[], site = false): string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const { columnOf, headings } = lineageColumns(nodes);
  const slots = new Map(nodes.map((n) => [n.id, { id: n.id, layer: columnOf.get(n.id)!, upstream: [] as string[], downstream: [] as string[] }]));
  const chains: { from: string; to: string; via: string[] }[] = [];
  for (const n of nodes) {
    for (const u of n.upstream) {
      const via: string[] = [];
      let prev = u;
      for (let layer = columnOf.get(u)! + 1; layer < columnOf.get(n.id)!; layer++) {
        const id = `~${u}>${n.id}@${layer}`;
        slots.set(id, { id, layer, upstream: [prev], downstream: [] });
        slots.get(prev)!.downstream.push(id);
        via.push(id);
        prev = id;
      }
      slots.get(prev)!.downstream.push(n.id);
      slots.get(n.id)!.upstream.push(prev);
      chains.push({ from: u, to: n.id, via });
    }
  }
  const layers = orderLayers([...slots.values()]);
  const h = 30, thin = 6, vgap = 12, hgap = 80, top = 44, left = 16;
  const widthOf = (n: DocNode) => Math.max(96, Math.ceil(n.name.length * 7.4) + 26);
  const colWidth = layers.map((l) => Math.max(96, ...l.filter((id) => byId.has(id)).map((id) => widthOf(byId.get(id)!))));
  const heightOf = (l: string[]) => l.reduce((sum, id) => sum + (byId.has(id) ? h : thin) + vgap, 0);
  const tallest = Math.max(h + vgap, ...layers.map(heightOf));
  const height = top + tallest + 40;
  const place = new Map<string, { x: number; y: number; w: number }>();
  const colX: number[] = [];
  let x = left;
  layers.forEach((l, i) => {
    colX.push(x);
    let y = top + (tallest - heightOf(l)) / 2;
    for (const id of l) {
      const real = byId.get(id);
      place.set(id, { x, y: real ? y : y - (h - thin) / 2, w: real ? widthOf(real) : colWidth[i] });
      y += (real ? h : thin) + vgap;
    }
    x += colWidth[i] + hgap;
  });
  const width = Math.max(x - hgap + left, 320);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="lineage graph">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">' +
    '<path d="M0,0 L8,4 L0,8 z" fill="#94a3b8"/></marker></defs>');
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  layers.forEach((_, i) => {
    const label = headings[i];
    if (label) out.push(`<text x="${colX[i]}" y="24" fill="#475569" font-weight="600">${escapeXml(label)}</text>`);
  });
  const curve = (x1: number, y1: number, x2: number, y2: number) => {
    const dx = Math.max(24, (x2 - x1) / 2);
    return ` C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  };
  for (const { from, to, via } of chains) {
    const a = place.get(from)!, b = place.get(to)!;
    let px = a.x + a.w, py = a.y + h / 2;
    let d = `M${px},${py}`;
    for (const v of via) {
      const p = place.get(v)!;
      d += curve(px, py, p.x, p.y + h / 2) + ` L${p.x + p.w},${p.y + h / 2}`;
      [px, py] = [p.x + p.w, p.y + h / 2];
    }
    d += curve(px, py, b.x - 2, b.y + h / 2);
    out.push(`<path class="edge" data-from="${escapeXml(from)}" data-to="${escapeXml(to)}" d="${d}" ` +
      'fill="none" stroke="#94a3b8" stroke-width="1.3" marker-end="url(#arrow)"/>');
  }
  for (const n of nodes) {
    const p = place.get(n.id)!;
    const [fill, stroke] = palette[n.materialized] ?? palette.view;
    const status = site && n.last ? ` data-status="${escapeXml(n.last.status)}"` : '';
    const dashed = ['ephemeral', 'test'].includes(n.materialized) ? ' stroke-dasharray="4 3"' : '';
    out.push(`<g class="node" data-node="${escapeXml(n.name)}" data-id="${escapeXml(n.id)}" data-materialized="${n.materialized}"${status} ` +
      `transform="translate(${p.x},${p.y})"><a href="#/${escapeXml(n.id)}"><title>${escapeXml(`${n.name} (${n.materialized})`)}</title>` +
      `<rect width="${p.w}" height="${h}" rx="7" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dashed}/>` +
      `<text x="13" y="${h / 2 + 4}" fill="#0f172a">${escapeXml(n.name)}</text></a></g>`);
  }
  const kinds = Object.keys(palette).filter((k) => nodes.some((n) => n.materialized === k));
  kinds.forEach((k, i) => {
    const [fill, stroke] = palette[k];
    out.push(`<g transform="translate(${left + i * 104},${height - 24})"><rect width="14" height="14" rx="3" fill="${fill}" stroke="${stroke}"/>` +
      `<text x="20" y="11" fill="#475569">${k}</text></g>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The last run as bars on threads: what ran in parallel, and which node was slowest. */
export function timelineSvg(results: NodeResult[]): string {
  const bars = results.filter((r) => r.started_at && r.finished_at);
  if (!bars.length) return '<p class="empty">No timed nodes in the last run (run <code>npm run build-models</code>).</p>';
  const t0 = Math.min(...bars.map((r) => Date.parse(r.started_at!)));
  const t1 = Math.max(...bars.map((r) => Date.parse(r.finished_at!)));
  const span = Math.max(1, t1 - t0);
  const lanes = [...new Set(bars.map((r) => r.thread ?? 0))].sort((a, b) => a - b);
  const row = 26, labelW = 76, plotW = 860, top = 26;
  const slowest = bars.reduce((a, b) => (b.ms > a.ms ? b : a));
  const sx = (t: number) => labelW + ((t - t0) / span) * plotW;
  const height = top + lanes.length * row + 8;
  const colours: Record<string, string> = { success: '#22c55e', error: '#ef4444', skipped: '#f59e0b' };
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${labelW + plotW + 20} ${height}" width="${labelW + plotW + 20}" height="${height}" ` +
    'font-family="system-ui, sans-serif" font-size="11" role="img" aria-label="timeline of the last run">'];
  for (let i = 0; i <= 5; i++) {
    const t = (span * i) / 5;
    out.push(`<line x1="${sx(t0 + t)}" y1="${top - 6}" x2="${sx(t0 + t)}" y2="${height - 4}" stroke="#e2e8f0"/>` +
      `<text x="${sx(t0 + t)}" y="12" text-anchor="middle" fill="#64748b">${t < 10_000 ? `${Math.round(t)} ms` : `${(t / 1000).toFixed(1)} s`}</text>`);
  }
  lanes.forEach((lane, i) => out.push(`<text x="4" y="${top + i * row + 16}" fill="#475569">thread ${lane}</text>`));
  for (const r of bars) {
    const x = sx(Date.parse(r.started_at!)), w = Math.max(2, sx(Date.parse(r.finished_at!)) - x);
    const y = top + lanes.indexOf(r.thread ?? 0) * row;
    const label = r.node.length * 6.2 + 8 < w ? `<text x="${x + 4}" y="${y + 15}" fill="#0f172a">${escapeXml(r.node)}</text>` : '';
    out.push(`<g class="bar${r === slowest ? ' slowest' : ''}" data-node="${escapeXml(r.node)}"><a href="#/model/${escapeXml(r.node)}">` +
      `<title>${escapeXml(`${r.node}: ${r.status}, ${r.ms} ms${r.rows === null ? '' : `, ${r.rows} rows`}${r === slowest ? ' (slowest)' : ''}`)}</title>` +
      `<rect x="${x}" y="${y + 2}" width="${w}" height="${row - 6}" rx="3" fill="${colours[r.status] ?? '#94a3b8'}" fill-opacity="0.45" ` +
      `stroke="${r === slowest ? '#b91c1c' : colours[r.status] ?? '#94a3b8'}" stroke-width="${r === slowest ? 2 : 1}"/>${label}</a></g>`);
  }
  out.push('</svg>');
  return `<p class="slowest">Slowest: <a href="#/model/${escapeXml(slowest.node)}">${escapeXml(slowest.node)}</a> (${slowest.ms} ms of ${span} ms)</p>\n${out.join('\n')}`;
}
