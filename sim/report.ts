/**
 * Scenario reports: the JSON every scenario prints (scenario, seed, parameters, figures,
 * the checks that failed), a readable summary for a terminal, and a coverage-over-time chart
 * as text or SVG.
 */

/** A scenario's report. */
export interface Report {
  scenario: string
  seed: number
  parameters: Record<string, unknown>
  figures: Record<string, number | null>
  /** Coverage over time: [ms since publish, fraction of nodes holding the record]. */
  coverage?: [number, number][]
  /** What the scenario's checks found wrong; empty when it passed. */
  problems: string[]
}

/** The p-th percentile (0..100) of `values` by nearest rank; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number
}

/** The median of `values`; null for none. */
export function median(values: readonly number[]): number | null {
  return percentile(values, 50)
}

/**
 * Time for a record to reach `fraction` of `total` nodes, from the delays at which nodes got
 * it (the publisher's 0 included); null when it never did.
 */
export function timeToCoverage(delays: readonly number[], total: number, fraction: number): number | null {
  const needed = Math.ceil(total * fraction)
  const sorted = [...delays].sort((a, b) => a - b)
  return needed <= sorted.length ? round((sorted[needed - 1] as number) || 0) : null
}

/** The coverage curve: one point per arrival. */
export function coverageCurve(delays: readonly number[], total: number): [number, number][] {
  return [...delays].sort((a, b) => a - b).map((d, i) => [round(d), round((i + 1) / total, 3)])
}

/** Rounds to `digits` decimals (1 by default). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** A few readable lines: the figures, then PASS or the problems. */
export function summary(report: Report): string {
  const lines = [`${report.scenario} (seed ${report.seed})`]
  lines.push(
    `  parameters: ${Object.entries(report.parameters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  for (const [name, value] of Object.entries(report.figures))
    lines.push(`  ${name.padEnd(24)} ${value ?? '-'}`)
  if (report.coverage) lines.push('', textChart(report.coverage))
  lines.push(
    '',
    report.problems.length === 0 ? 'PASS' : `FAIL\n${report.problems.map((p) => `  - ${p}`).join('\n')}`,
  )
  return lines.join('\n')
}

/** Coverage over time as a terminal bar chart of `rows` time slices. */
export function textChart(curve: readonly [number, number][], rows = 10, width = 40): string {
  const end = curve.at(-1)?.[0] ?? 0
  const lines = ['  coverage over time']
  for (let r = 1; r <= rows; r++) {
    const t = (end * r) / rows
    const covered = curve.filter(([ms]) => ms <= t).at(-1)?.[1] ?? 0
    const bar = '#'.repeat(Math.round(covered * width))
    lines.push(`  ${`${Math.round(t)} ms`.padStart(8)} |${bar.padEnd(width)}| ${Math.round(covered * 100)}%`)
  }
  return lines.join('\n')
}

/** Coverage over time as a standalone SVG step chart. */
export function svgChart(curve: readonly [number, number][], title: string): string {
  const [w, h, pad] = [640, 320, 40]
  const end = Math.max(1, curve.at(-1)?.[0] ?? 1)
  const x = (ms: number): number => pad + ((w - 2 * pad) * ms) / end
  const y = (f: number): number => h - pad - (h - 2 * pad) * f
  let path = `M${x(0)},${y(0)}`
  for (const [ms, f] of curve) path += ` H${x(ms).toFixed(1)} V${y(f).toFixed(1)}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="${pad}" y="20">${escapeXml(title)}</text>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#888"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#888"/>`,
    `<text x="${w - pad}" y="${h - pad + 16}" text-anchor="end">${Math.round(end)} ms</text>`,
    `<text x="${pad - 4}" y="${y(1) + 4}" text-anchor="end">100%</text>`,
    `<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    '</svg>',
    '',
  ].join('\n')
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)
}
