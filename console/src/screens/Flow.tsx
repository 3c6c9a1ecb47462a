import { sankey, sankeyLinkHorizontal, type SankeyGraph } from 'd3-sankey';
import { useMemo } from 'react';
import { t } from '../strings.js';
import { mass } from '../ui.js';

export interface CustodyNode {
  id: string;
  kind: 'lot' | 'in-transit';
  holder: string;
  country: string;
  form: string;
  heldGrams: number;
}
export interface CustodyLink {
  source: string;
  target: string;
  kind: 'shipment' | 'transformation';
  grams: number;
  ref: string;
  destination?: string;
}
export interface CustodyGraph {
  nodes: CustodyNode[];
  links: CustodyLink[];
}
export interface RefusedAttempt {
  alertId: string;
  shipmentId: string;
  fromLot: string;
  to: string;
  toName: string;
  country: string;
  explanation: string;
}

type N = CustodyNode & { x0?: number; x1?: number; y0?: number; y1?: number };
type Lk = {
  source: string | N;
  target: string | N;
  value: number;
  kind: string;
  ref: string;
  width?: number;
  y0?: number;
  y1?: number;
};

/** The height a node's two label lines take (px), and the width of a label character (an upper bound at 12 px). */
const LABEL_HEIGHT = 30;
const CHAR_WIDTH = 7;

/**
 * Where each node's label goes so that no two labels of one column overlap: each as close to its
 * node's centre as it can be, at least `gap` apart, within [top, bottom] (a pass down, then a pass
 * up). Columns are apart by more than a label's width (labels are cut to fit), so columns do not
 * collide. Returns node id → the label's centre.
 */
export function placeLabels(
  nodes: readonly { id: string; column: number; y: number }[],
  gap: number,
  top: number,
  bottom: number,
): Map<string, number> {
  const out = new Map<string, number>();
  const byColumn = new Map<number, { id: string; y: number }[]>();
  for (const n of nodes) byColumn.set(n.column, [...(byColumn.get(n.column) ?? []), { id: n.id, y: n.y }]);
  for (const col of byColumn.values()) {
    col.sort((a, b) => a.y - b.y);
    const ys = col.map((n) => Math.max(top, n.y));
    for (let i = 1; i < ys.length; i++) ys[i] = Math.max(ys[i] ?? 0, (ys[i - 1] ?? 0) + gap);
    const last = ys.length - 1;
    if (last >= 0) ys[last] = Math.min(ys[last] ?? 0, bottom);
    for (let i = last - 1; i >= 0; i--) ys[i] = Math.min(ys[i] ?? 0, (ys[i + 1] ?? 0) - gap);
    col.forEach((n, i) => out.set(n.id, ys[i] ?? n.y));
  }
  return out;
}

/**
 * The custody chain as a Sankey diagram, in licensed grams: from the licensed lot through
 * shipments and transformations to every lot that holds the material now, labelled with its holder
 * and country. Refused attempts are drawn as red dashed arrows to where they were headed.
 */
export function FlowPicture({ graph, refused }: { graph: CustodyGraph; refused: readonly RefusedAttempt[] }) {
  const W = 1120;
  const right = refused.length > 0 ? 250 : 10;
  const H = Math.max(260, Math.min(720, 70 * graph.nodes.length), LABEL_HEIGHT * graph.nodes.length + 40);
  const layout = useMemo(() => {
    const known = new Set(graph.nodes.map((n) => n.id));
    const g: SankeyGraph<N, Lk> = {
      nodes: graph.nodes.map((n) => ({ ...n })),
      links: graph.links
        .filter((l) => known.has(l.source) && known.has(l.target) && l.grams > 0)
        .map((l) => ({ source: l.source, target: l.target, value: l.grams, kind: l.kind, ref: l.ref })),
    };
    try {
      return sankey<N, Lk>()
        .nodeId((d) => d.id)
        .nodeWidth(14)
        .nodePadding(22)
        .extent([
          [8, 28],
          [W - right - 150, H - 10],
        ])(g);
    } catch (e) {
      return e as Error;
    }
  }, [graph, H, right]);
  if (layout instanceof Error)
    return (
      <p className="error" role="alert">
        {t.flow.notDrawn(layout.message)}
      </p>
    );
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  const labelY = placeLabels(
    layout.nodes.map((n) => ({ id: n.id, column: Math.round(n.x0 ?? 0), y: ((n.y0 ?? 0) + (n.y1 ?? 0)) / 2 })),
    LABEL_HEIGHT,
    14,
    H - 14,
  );
  const columns = [...new Set(layout.nodes.map((n) => Math.round(n.x0 ?? 0)))].sort((a, b) => a - b);
  /** Characters a label may have before it would reach the next column (or the refused-arrow area). */
  const room = (x0: number) => {
    const next = columns.find((c) => c > Math.round(x0));
    const limit = (next ?? W - right) - (x0 + 14 + 6) - 8;
    return Math.max(8, Math.floor(limit / CHAR_WIDTH));
  };
  const fit = (text: string, x0: number) => {
    const n = room(x0);
    return text.length > n ? `${text.slice(0, n - 1)}…` : text;
  };
  const finals = layout.nodes.filter((n) => n.kind === 'in-transit' || n.heldGrams > 0);
  return (
    <figure className="flow">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="flow-title flow-desc" data-testid="flow-picture">
        <title id="flow-title">{t.flow.title}</title>
        <desc id="flow-desc">
          {t.flow.desc(
            layout.nodes.length,
            layout.links.length,
            finals.map((n) => `${n.holder} (${n.country}) ${mass(n.heldGrams)}`).join(', '),
          )}
        </desc>
        <defs>
          <marker
            id="arrow-refused"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0L10,5L0,10z" className="refused-head" />
          </marker>
        </defs>
        <g className="links">
          {layout.links.map((l, i) => (
            <path
              key={i}
              d={sankeyLinkHorizontal()(l as never) ?? ''}
              className={`link link-${l.kind}`}
              strokeWidth={Math.max(1, l.width ?? 1)}
            >
              <title>{`${l.kind} ${l.ref}: ${mass(l.value)} of licensed material`}</title>
            </path>
          ))}
        </g>
        <g className="nodes">
          {layout.nodes.map((n) => {
            const x0 = n.x0 ?? 0,
              x1 = n.x1 ?? 0,
              y0 = n.y0 ?? 0,
              y1 = n.y1 ?? 0;
            return (
              <g key={n.id} className={`node node-${n.kind}${n.heldGrams > 0 ? ' node-final' : ''}`} data-lot={n.id}>
                <rect x={x0} y={y0} width={x1 - x0} height={Math.max(2, y1 - y0)}>
                  <title>{`${n.id}: ${n.holder} in ${n.country}, ${n.form}; holds ${mass(n.heldGrams)} of licensed material`}</title>
                </rect>
                {Math.abs((labelY.get(n.id) ?? (y0 + y1) / 2) - (y0 + y1) / 2) > 1 ? (
                  <line
                    x1={x1}
                    y1={(y0 + y1) / 2}
                    x2={x1 + 5}
                    y2={labelY.get(n.id) ?? (y0 + y1) / 2}
                    className="label-leader"
                  />
                ) : null}
                <text x={x1 + 6} y={(labelY.get(n.id) ?? (y0 + y1) / 2) - 4} className="node-label">
                  {fit(`${n.kind === 'in-transit' ? `in transit → ${n.holder}` : n.holder} · ${n.country}`, x0)}
                </text>
                <text x={x1 + 6} y={(labelY.get(n.id) ?? (y0 + y1) / 2) + 10} className="node-sub">
                  {fit(
                    `${n.kind === 'in-transit' ? n.id.replace(/^transit:/, '') : n.id}${n.heldGrams > 0 ? ` · holds ${mass(n.heldGrams)}` : ''}`,
                    x0,
                  )}
                </text>
              </g>
            );
          })}
        </g>
        <g className="refused">
          {refused.map((r, i) => {
            const from = byId.get(r.fromLot);
            if (!from) return null;
            const y = ((from.y0 ?? 0) + (from.y1 ?? 0)) / 2 + 26 + i * 18;
            const x = (from.x1 ?? 0) + 6;
            const tx = W - right + 4;
            return (
              <g key={r.alertId} data-testid="refused-edge">
                <path
                  d={`M${x},${y} C${(x + tx) / 2},${y} ${(x + tx) / 2},${40 + i * 52} ${tx - 4},${40 + i * 52}`}
                  className="refused-line"
                  markerEnd="url(#arrow-refused)"
                >
                  <title>{r.explanation}</title>
                </path>
                <text x={tx + 4} y={44 + i * 52} className="refused-label">
                  {t.flow.refusedTo(r.country)}
                </text>
                <text x={tx + 4} y={58 + i * 52} className="node-sub">
                  {r.toName.length > 34 ? `${r.toName.slice(0, 33)}…` : r.toName}
                </text>
                <text x={tx + 4} y={71 + i * 52} className="node-sub">
                  {r.shipmentId}
                </text>
              </g>
            );
          })}
        </g>
      </svg>
      <figcaption>{t.flow.caption}</figcaption>
    </figure>
  );
}
