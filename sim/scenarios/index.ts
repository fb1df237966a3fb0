/** The named scenarios of `npm run sim -- <scenario>`. */
import type { Report } from '../report.js'
import { adversaries } from './adversaries.js'
import { churn } from './churn.js'
import type { ScenarioParams } from './common.js'
import { lateJoiner } from './late-joiner.js'
import { partitionHeal } from './partition.js'
import { propagation } from './propagation.js'

/** A scenario: runs on a fresh cluster and returns its report (problems included). */
export type Scenario = (params: ScenarioParams) => Promise<Report>

/** Every scenario by name. */
export const SCENARIOS: Record<string, Scenario> = {
  propagation,
  'late-joiner': lateJoiner,
  partition: partitionHeal,
  churn,
  adversaries,
}
