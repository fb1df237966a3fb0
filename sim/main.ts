/**
 * `npm run sim -- <scenario> --nodes N --seed S [--out FILE] [--svg FILE] [--json]`: runs one
 * scenario and prints its JSON report, or a readable summary when stdout is a terminal.
 * Exits 1 when the scenario's checks found problems, 2 on a usage error.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { type Report, summary, svgChart } from './report.js'
import { DEFAULT_PARAMS, type ScenarioParams } from './scenarios/common.js'
import { SCENARIOS } from './scenarios/index.js'

const USAGE = `usage: npm run sim -- <${Object.keys(SCENARIOS).join('|')}> [--nodes N] [--seed S]
  [--topology mesh|line|regular:K|clusters:C:B] [--mode memory|tcp] [--latency MS] [--jitter MS]
  [--loss P] [--records N] [--sync-interval MS] [--out FILE] [--svg FILE] [--json]`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      seed: { type: 'string' },
      topology: { type: 'string' },
      mode: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      loss: { type: 'string' },
      records: { type: 'string' },
      'sync-interval': { type: 'string' },
      out: { type: 'string' },
      svg: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  const name = positionals[0]
  const scenario = name === undefined ? undefined : SCENARIOS[name]
  if (scenario === undefined) {
    console.error(name === undefined ? USAGE : `unknown scenario ${name}\n${USAGE}`)
    return 2
  }
  const num = (text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback
    const value = Number(text)
    if (!Number.isFinite(value)) throw new Error(`${text} is not a number\n${USAGE}`)
    return value
  }
  const mode = values.mode ?? DEFAULT_PARAMS.mode
  if (mode !== 'memory' && mode !== 'tcp') throw new Error(`--mode must be memory or tcp\n${USAGE}`)
  const params: ScenarioParams = {
    nodes: num(values.nodes, DEFAULT_PARAMS.nodes),
    seed: num(values.seed, DEFAULT_PARAMS.seed),
    topology: values.topology ?? DEFAULT_PARAMS.topology,
    mode,
    latencyMs: num(values.latency, DEFAULT_PARAMS.latencyMs),
    jitterMs: num(values.jitter, DEFAULT_PARAMS.jitterMs),
    loss: num(values.loss, DEFAULT_PARAMS.loss),
    records: num(values.records, DEFAULT_PARAMS.records),
    syncIntervalMs: num(values['sync-interval'], DEFAULT_PARAMS.syncIntervalMs),
  }
  const report: Report = await scenario(params)
  const json = `${JSON.stringify(report, null, 2)}\n`
  if (values.out !== undefined) await writeFile(values.out, json)
  if (values.svg !== undefined && report.coverage) {
    await writeFile(
      values.svg,
      svgChart(report.coverage, `${report.scenario}, ${params.nodes} nodes, seed ${params.seed}`),
    )
  }
  process.stdout.write(process.stdout.isTTY && !values.json ? `${summary(report)}\n` : json)
  return report.problems.length === 0 ? 0 : 1
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message)
    process.exit(2)
  },
)
