import { SUB_MACHINES } from './reducer.js';
import { REGIONS, STAGE_NEEDS, type AnyEdge, type Stage } from './table.js';
import type { Region } from './types.js';

/**
 * docs/phone-machine.md, drawn from the declared tables (issue 13: "the state diagrams in docs/
 * are generated from the tables"): one Mermaid state diagram per region, and per sub-machine a
 * table of its edges. `npm run docs` writes it; a test fails when the file and the tables differ.
 */
const REGION_TITLES: Record<Region, string> = {
  phone: 'Boot and registration (`phase`)',
  capf: 'CAPF enrolment (`capf.stage`)',
  service: 'HTTPS service visit (`service.stage`)',
};

const INITIAL: Record<Region, Stage> = { phone: 'off', capf: 'idle', service: 'idle' };

function label(e: AnyEdge): string {
  return `${e.on}${e.when ? ` [${e.when.label}]` : ''}`;
}

/** Mermaid ids cannot contain dashes. */
const id = (s: string): string => s.replace(/-/g, '_');

function regionDiagram(region: Region): string {
  const lines = ['```mermaid', 'stateDiagram-v2', `    [*] --> ${id(INITIAL[region])}`];
  const seen = new Set<string>();
  for (const m of SUB_MACHINES.filter((x) => x.region === region)) {
    for (const e of m.edges) {
      // Edges that keep the stage are listed in the tables, not drawn; edges from every (or
      // nearly every) stage — power off, reset — are drawn once, as a note.
      if (e.to.every((t) => t === 'stay')) continue;
      if (e.from === 'any' || e.from.length > 4) {
        lines.push(`    note right of ${id(INITIAL[region])} : from ${e.from === 'any' ? 'any stage' : e.from.join(', ')}, ${label(e)} → ${e.to.join(' | ')}`);
        continue;
      }
      for (const f of e.from) {
        for (const t of e.to) {
          const to = t === 'stay' ? f : t;
          const key = `${f}|${to}|${label(e)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          lines.push(`    ${id(f)} --> ${id(to)} : ${label(e)}`);
        }
      }
    }
  }
  // Hand-overs from the other regions (a CAPF session ending lets a secure phone register).
  for (const m of SUB_MACHINES.filter((x) => x.region !== region)) {
    for (const e of m.edges) {
      const targets = e.also?.[region];
      if (!targets?.length) continue;
      const key = `also|${m.region}|${label(e)}|${targets.join()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`    note left of ${id(targets[0]!)} : ${m.region} ${label(e)} may move this region to ${[...new Set(targets)].join(' | ')}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

function stages(e: AnyEdge): string {
  return e.from === 'any' ? 'any' : e.from.join(', ');
}

function edgeTable(machineName: string): string {
  const m = SUB_MACHINES.find((x) => x.name === machineName)!;
  const rows = m.edges.map((e) => {
    const also = Object.entries(e.also ?? {}).map(([r, s]) => `${r}: ${(s as readonly string[]).join(', ')}`).join('; ');
    return `| ${stages(e)} | \`${label(e)}\` | ${e.to.join(', ')}${also ? ` (also ${also})` : ''} | ${e.doc} |`;
  });
  return [`### ${m.title} (\`${m.name}.ts\`, region ${m.region})`, '', `Rules: ${m.source}.`, '', '| from | event | to | what happens |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function needs(region: Region): string {
  return Object.entries(STAGE_NEEDS[region]).map(([s, n]) => `\`${s}\` ${n}`).join(', ');
}

/** The whole of docs/phone-machine.md. */
export function machineDiagrams(): string {
  const parts = [
    '# The phone\'s state machine',
    '',
    '<!-- Generated from phones/machine/*.ts by `npm run docs`; a test fails when this file and the tables differ. Do not edit by hand. -->',
    '',
    'The phone runs three regions side by side. Each is a set of sub-machines, each a declared table of',
    '`(stage, event) → stages` (phones/machine/table.ts). An event with no edge from the current stage is an',
    '`INVALID_TRANSITION` finding, never ignored. Every effect carries an id and is answered by exactly one',
    'result event of its own kind (success, failure or timeout), or cancelled by the machine itself.',
    '',
    'What keeps each stage going — `rest` stages need nothing; `network` stages an answer to an effect of the',
    'region; `timer` stages a timer; `capf` the CAPF region. A phone in a stage whose need is not pending is',
    'stuck, and the liveness property test (phones/machine/liveness.test.ts) checks that none ever is:',
    '',
    ...REGIONS.map((r) => `- ${REGION_TITLES[r]}: ${needs(r)}.`),
    '',
  ];
  for (const r of REGIONS) {
    parts.push(`## ${REGION_TITLES[r]}`, '', regionDiagram(r), '');
    for (const m of SUB_MACHINES.filter((x) => x.region === r)) parts.push(edgeTable(m.name), '');
  }
  return parts.join('\n');
}
