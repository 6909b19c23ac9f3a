/**
 * harun verify --report FILE.html: the failover as one self-contained page (inline SVG and CSS,
 * the report's JSON embedded; nothing is fetched). The timeline puts every probe request on the
 * row of the real server that answered it (failures on a red row), the VRRP bound as a band from
 * the fault, and the fault, the VIP takeover, the outage and the recovery as marked moments;
 * beside it the figures and every check. Built from the result object, not from the text.
 */
import { xmlEscape as esc } from '../report/xml.js';
import { figureList } from './figure-list.js';
import { STEP_TITLES, verdict, exitCodeOf, type Report } from './report.js';
import type { Timeline } from './timeline.js';

const W = 1000;
const LEFT = 90;
const RIGHT = 20;
const ROW = 34;
const TOP = 50;
/** Server colours; red is kept for failures. */
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f'];
const FAIL = '#d62728';

const fmt = (ms: number) => `${ms >= 0 ? '+' : ''}${Math.round(ms)} ms`;

function tickStep(span: number): number {
  for (const s of [250, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000]) if (span / s <= 16) return s;
  return 120_000;
}

interface Mark {
  at: number;
  label: string;
  cls: string;
}

function marks(t: Timeline): Mark[] {
  const m: Mark[] = [{ at: 0, label: `fault: ${t.fault} on ${t.master}`, cls: 'fault' }];
  if (t.takeoverAt !== undefined) m.push({ at: t.takeoverAt, label: `VIP on ${t.backup} ${fmt(t.takeoverAt)}`, cls: 'takeover' });
  if (t.serviceBackAt !== undefined) m.push({ at: t.serviceBackAt, label: `service back ${fmt(t.serviceBackAt)}`, cls: 'back' });
  if (t.restartAt !== undefined) m.push({ at: t.restartAt, label: `keepalived restarted on ${t.master} ${fmt(t.restartAt)}`, cls: 'recovery' });
  if (t.vipBackAt !== undefined) m.push({ at: t.vipBackAt, label: `VIP back on ${t.master} ${fmt(t.vipBackAt)}`, cls: 'recovery' });
  return m;
}

/** The timeline as SVG: rows per real server, the failure row, the band, the marks, the axis. */
export function timelineSvg(t: Timeline): string {
  const servers = [...new Set(t.requests.flatMap((r) => (r.server ? [r.server] : [])))].sort();
  const unknown = t.requests.some((r) => r.ok && !r.server);
  const rows = [...servers, ...(unknown ? ['other page'] : []), 'failed'];
  const ms = marks(t);
  const times = [...t.requests.flatMap((r) => [r.at, r.at + r.ms]), ...ms.map((m) => m.at), t.boundSlackMs, -1000];
  const t0 = Math.min(...times) - 300;
  const t1 = Math.max(...times) + 300;
  const x = (v: number) => LEFT + ((v - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
  const rowY = (i: number) => TOP + i * ROW;
  const bottom = rowY(rows.length) + 6;
  const H = bottom + 30 + ms.length * 16;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" id="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="failover timeline">`];
  // the VRRP bound: where the takeover must fall (plus the measurement slack, lighter)
  out.push(`<rect class="bound-slack" x="${x(0)}" y="${TOP - 14}" width="${x(t.boundSlackMs) - x(0)}" height="${bottom - TOP + 14}" fill="#ffe9c7"/>`);
  out.push(`<rect class="bound" data-bound-ms="${t.boundMs}" x="${x(0)}" y="${TOP - 14}" width="${x(t.boundMs) - x(0)}" height="${bottom - TOP + 14}" fill="#ffd591"><title>VRRP bound ${t.boundMs} ms</title></rect>`);
  out.push(`<text x="${x(0) + 4}" y="${TOP - 20}" class="small">VRRP bound ${t.boundMs} ms (slack to ${t.boundSlackMs} ms)</text>`);
  if (t.lastGoodAt !== undefined && t.serviceBackAt !== undefined) {
    out.push(`<rect class="outage" x="${x(t.lastGoodAt)}" y="${rowY(rows.length - 1) + 4}" width="${Math.max(1, x(t.serviceBackAt) - x(t.lastGoodAt))}" height="${ROW - 8}" fill="${FAIL}" fill-opacity="0.12"><title>client-observed outage ${Math.round(t.serviceBackAt - t.lastGoodAt)} ms</title></rect>`);
  }
  rows.forEach((name, i) => {
    const colour = name === 'failed' ? FAIL : name === 'other page' ? '#555' : PALETTE[i % PALETTE.length];
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${rowY(i) + ROW / 2}" y2="${rowY(i) + ROW / 2}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 8}" y="${rowY(i) + ROW / 2 + 4}" text-anchor="end" fill="${colour}" class="row">${esc(name)}</text>`);
  });
  for (const r of t.requests) {
    const i = r.ok ? (r.server ? servers.indexOf(r.server) : servers.length) : rows.length - 1;
    const colour = r.ok ? (r.server ? PALETTE[i % PALETTE.length] : '#555') : FAIL;
    const tip = r.ok ? `${fmt(r.at)}: ${r.server ?? 'unknown page'} answered in ${r.ms} ms` : `${fmt(r.at)}: failed (curl exit ${r.rc}, HTTP ${r.status}) after ${r.ms} ms`;
    out.push(
      // a tick where it was sent (its duration is in the tooltip): a failed request waits 500 ms,
      // and as wide bars the failures would merge into one block
      `<rect class="req ${r.ok ? 'ok' : 'fail'}" data-at="${r.at}" data-server="${esc(r.server ?? '')}" x="${x(r.at).toFixed(1)}" y="${rowY(i) + 8}" ` +
        `width="3" height="${ROW - 16}" fill="${colour}"><title>${esc(tip)}</title></rect>`,
    );
  }
  const step = tickStep(t1 - t0);
  for (let v = Math.ceil(t0 / step) * step; v <= t1; v += step) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${bottom}" y2="${bottom + 5}" stroke="#333"/><text x="${x(v)}" y="${bottom + 17}" text-anchor="middle" class="small">${v / 1000} s</text>`);
  }
  ms.forEach((m, i) => {
    const ly = bottom + 34 + i * 16;
    out.push(`<line class="mark ${m.cls}" data-at="${Math.round(m.at)}" x1="${x(m.at)}" x2="${x(m.at)}" y1="${TOP - 14}" y2="${ly - 4}"/>`);
    const right = x(m.at) > W * 0.6;
    out.push(`<text x="${x(m.at) + (right ? -3 : 3)}" y="${ly}" text-anchor="${right ? 'end' : 'start'}" class="small ${m.cls}">${esc(m.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.v0{background:#2ca02c}.v1{background:${FAIL}}.v2{background:#d98b00}
.wrap{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}.side{min-width:320px;flex:1}
table{border-collapse:collapse;width:100%;margin-bottom:16px}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
.pass{color:#2ca02c;font-weight:600}.fail{color:${FAIL};font-weight:600}.notrun{color:#d98b00;font-weight:600}
.detail{color:#555;font-size:12px;white-space:pre-wrap}svg text{font:12px system-ui,sans-serif}svg .small{font-size:11px;fill:#333}
svg .row{font-weight:600}.mark{stroke-width:2;stroke-dasharray:5 3}.mark.fault{stroke:${FAIL}}.mark.takeover{stroke:#d98b00}
.mark.back{stroke:#2ca02c}.mark.recovery{stroke:#1f77b4}text.fault{fill:${FAIL}}text.takeover{fill:#b06f00}text.back{fill:#2ca02c}text.recovery{fill:#1f77b4}
`;

export function verifyHtml(r: Report): string {
  const code = exitCodeOf(r.checks);
  const who = r.master ? ` on ${r.master}${r.backup ? ` (backup ${r.backup})` : ''}` : '';
  const title = `harun verify: VIP ${r.vip}:${r.port}, fault ${r.fault}${who}`;
  const figures = figureList(r.figures)
    .map((f) => `<tr data-figure="${esc(f.key)}" data-value="${esc(JSON.stringify(f.value))}"><th>${esc(f.label)}</th><td>${esc(f.text)}</td></tr>`)
    .join('\n');
  const checks = ([1, 2, 3, 4] as const)
    .filter((s) => r.checks.some((c) => c.step === s))
    .map((s) => `<tr><th colspan="2">${s}. ${STEP_TITLES[s]}</th></tr>\n` + r.checks.filter((c) => c.step === s).map((c) => {
      const cls = c.status === 'not run' ? 'notrun' : c.status;
      return `<tr class="check" data-status="${cls}"><td class="${cls}">${c.status.toUpperCase()}</td><td>${esc(c.name)}<div class="detail">${esc(c.detail)}</div></td></tr>`;
    }).join('\n'))
    .join('\n');
  const timeline = r.timeline
    ? timelineSvg(r.timeline) + (r.timeline.requests.length ? '' : '<p>No client probe ran (no data path): only the VIP takeover is shown.</p>')
    : '<p id="no-timeline">No fault was injected, so there is no failover timeline; see the checks.</p>';
  // the result object itself, for tools that read the page; </script> cannot occur inside it
  const data = JSON.stringify(r).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p><span class="verdict v${code}" id="verdict">${esc(verdict(r.checks))}</span> in ${(r.elapsedMs / 1000).toFixed(1)} s${r.startedAt ? `, started ${esc(r.startedAt)}` : ''}</p>
<div class="wrap"><div>
<h2>Timeline (ms from the fault)</h2>
${timeline}
</div><div class="side">
<h2>Figures</h2><table id="figures">${figures}</table>
<h2>Checks</h2><table id="checks">${checks}</table>
</div></div>
<script type="application/json" id="harun-verify-report">${data}</script>
</body></html>
`;
}
