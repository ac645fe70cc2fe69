import type { SettledState } from '../../../phones/index.js';
import { INITIAL_MEANING, type InitialState } from '../schema.js';
import { VERDICT_MEANING, verdictOf } from './verdict.js';
import type { RunReport, StateTally } from '../runner.js';
import { statesIn } from './text.js';

/**
 * The self-contained HTML report (issue 7): no scripts, fonts or files from elsewhere, so it
 * opens from a CI artefact or an e-mail. A stacked bar chart (inline SVG, `#state-chart`) of
 * phones by state after each step; the steps table with expectations; per-phone timelines with
 * their status messages; and the runbook (the scenario file) beside them.
 */
const COLOURS: Record<SettledState, string> = {
  registered: '#2e7d32',
  'registered-stale-config': '#f9a825',
  enrolling: '#0277bd',
  'trust-update-failed': '#c62828',
  unregistered: '#6a1b9a',
  booting: '#90a4ae',
  off: '#cfd8dc',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function total(t: Record<string, StateTally>, state: SettledState): number {
  return Object.values(t).reduce((a, f) => a + (f[state] ?? 0), 0);
}

function chart(r: RunReport): string {
  const states = statesIn(r.steps);
  const steps = r.steps;
  const count = Math.max(1, ...steps.map((s) => states.reduce((a, k) => a + total(s.tally, k), 0)));
  const W = Math.max(480, 28 * steps.length + 80);
  const H = 290;
  const left = 48;
  const top = 12;
  const plotH = H - 90;
  const bw = Math.min(48, (W - left - 20) / steps.length - 10);
  const bars = steps.map((s, i) => {
    const x = left + 10 + i * ((W - left - 20) / steps.length);
    let y = top + plotH;
    const rects = states.map((k) => {
      const n = total(s.tally, k);
      const h = (n / count) * plotH;
      y -= h;
      return n ? `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[k]}"><title>${esc(`step ${s.index}: ${n} ${k}`)}</title></rect>` : '';
    }).join('');
    return `${rects}<text x="${(x + bw / 2).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle" font-size="11">${s.index}</text>`;
  }).join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = top + plotH - f * plotH;
    return `<line x1="${left}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#e0e0e0"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${Math.round(f * count)}</text>`;
  }).join('');
  const legend = states.map((k, i) => `<rect x="${left + i * 170}" y="${H - 30}" width="12" height="12" fill="${COLOURS[k]}"/><text x="${left + 16 + i * 170}" y="${H - 20}" font-size="12">${k}</text>`).join('');
  return `<svg id="state-chart" role="img" aria-label="phones by state after each step" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
<title>Phones by state after each step</title>
${ticks}
${bars}
<text x="${left - 40}" y="${top + plotH + 14}" font-size="11" fill="#555">step</text>
${legend}
</svg>`;
}

/** Each fleet and how it started (issue 18: a runbook's answer depends on it). */
function fleetsTable(r: RunReport): string {
  if (!r.fleets.length) return '';
  const rows = r.fleets.map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.cluster)}</td><td class="n">${f.count}</td><td title="${esc(INITIAL_MEANING[f.initial as InitialState] ?? '')}">${esc(f.initial)}</td></tr>`).join('');
  return `<section><h2>Fleets</h2><table id="fleets"><thead><tr><th>fleet</th><th>cluster</th><th>phones</th><th>started</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function stepsTable(r: RunReport): string {
  const states = statesIn(r.steps);
  const rows = r.steps.map((s) => {
    const exp = s.expectations.map((e) => `<div class="${e.ok ? 'ok' : 'bad'}">${e.ok ? '✓' : '✗'} ${esc(e.name)}${e.ok ? '' : `<br><small>expected ${esc(e.expected)}; observed ${esc(e.observed)}</small>`}</div>`).join('');
    const lines = s.lines.length ? `<details><summary>${s.lines.length} event(s)</summary><ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></details>` : '';
    return `<tr${s.error ? ' class="error"' : ''}><td>${s.index}</td><td>${esc(s.title)}${s.error ? `<div class="bad">${esc(s.error)}</div>` : ''}${lines}</td>${states.map((k) => `<td class="n">${total(s.tally, k)}</td>`).join('')}<td>${exp}</td></tr>`;
  }).join('\n');
  return `<table id="steps"><thead><tr><th>#</th><th>step</th>${states.map((k) => `<th><span class="dot" style="background:${COLOURS[k]}"></span>${k}</th>`).join('')}<th>expectations</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function phonesSection(r: RunReport): string {
  const withTimeline = r.phones.filter((p) => p.timeline?.length);
  const items = withTimeline.map((p) => `<details class="phone"><summary><span class="dot" style="background:${COLOURS[p.state]}"></span><code>${esc(p.device)}</code> ${esc(p.model)} · ${esc(p.fleet)} · <b>${esc(p.state)}</b> — ${esc(p.reason)}</summary>
<ol>${p.timeline!.map((t) => `<li><span class="step">step ${t.step}</span> <time>${new Date(t.at).toISOString().replace('T', ' ').slice(0, 19)}</time> ${t.kind === 'settled' ? '<b>' : ''}${esc(t.message)}${t.kind === 'settled' ? '</b>' : ''}</li>`).join('')}</ol></details>`).join('\n');
  const more = r.phones.length - withTimeline.length;
  return `${items}${more > 0 ? `<p class="note">${more} more phone(s) without a timeline here (the report keeps the first ${withTimeline.length}); report.json has every phone's final state.</p>` : ''}`;
}

export function htmlReport(r: RunReport): string {
  const verdict = verdictOf(r);
  const status = verdict.replace(' ', '-');
  const failed = r.expectations.filter((e) => !e.ok).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.scenario.name)} — trustlab report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:16px 24px;background:#263238;color:#fff}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cfd8dc}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;margin-left:8px}.PASSED{background:#2e7d32}.FAILED,.ERROR{background:#c62828}.PREDICTED,.NO-EXPECTATIONS{background:#546e7a}
main{display:grid;grid-template-columns:minmax(0,1fr) 420px;gap:24px;padding:24px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:16px;margin-bottom:24px;overflow:auto}
h2{font-size:16px;margin:0 0 12px}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:6px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#2e7d32}.bad{color:#c62828}tr.error{background:#ffebee}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}pre{white-space:pre-wrap;font-size:12px;background:#f5f5f5;padding:12px;border-radius:4px}
details.phone{border-bottom:1px solid #eee;padding:4px 0}details.phone ol{margin:4px 0 8px;font-size:13px}.step{color:#607d8b}time{color:#607d8b;font-size:12px}.note{color:#607d8b}
@media (max-width:1100px){main{grid-template-columns:1fr}}
</style></head>
<body>
<header><h1>${esc(r.scenario.name)}<span class="badge ${status}" title="${esc(VERDICT_MEANING[verdict])}">${verdict}</span></h1>
<p>${esc(r.scenario.description ?? '')}${r.scenario.source ? ` · ${esc(r.scenario.source)}` : ''} · seed ${esc(r.scenario.seed)} · ${r.phones.length} phones · ${r.expectations.length} expectations${failed ? `, ${failed} failed` : ''} · ${(r.durationMs / 1000).toFixed(1)} s · ${esc(r.startedAt)}${r.whatIf ? ' · what-if' : ''}</p></header>
<main>
<div>
${fleetsTable(r)}
<section><h2>Phones by state after each step</h2>${chart(r)}</section>
<section><h2>Steps</h2>${stepsTable(r)}</section>
${r.error ? `<section><h2 class="bad">Stopped</h2><p>${esc(r.error)}</p></section>` : ''}
<section><h2>Phones</h2>${phonesSection(r)}</section>
</div>
<aside><section><h2>Runbook</h2><pre id="runbook">${esc(r.runbook ?? '(not recorded)')}</pre></section></aside>
</main>
</body></html>
`;
}
