/**
 * Scenarios (issue 7): the YAML format and its schema, the loader with positioned errors, the
 * runner (clusters on loopback, fleets on real sockets, simulated time) and the reports.
 */
export type { Scenario, Step, Expectation, ClusterSpec, FleetSpecYaml, PhoneSelector, CertRef } from './types.js';
export { SCENARIO_SCHEMA, STEP_ARGS, STEP_NAMES, publishedSchema } from './schema.js';
export { suggestion } from '../shared/suggest.js';
export { loadScenario, parseScenario, checkScenario, formatProblem, MAX_SCENARIO_BYTES, type ScenarioProblem } from './load.js';
export { runScenario, defaultStepTimeoutMs, type FaultPlan, type RunOptions, type RunReport, type RunEvent, type StepRecord, type PopulationRow, type StateTally } from './runner.js';
export { checkExpectation, type ExpectationResult } from './expectations.js';
export { stepTitle, durationMs } from './steps/index.js';
export { SCENARIO_TFTP_PORT, TIMELINES_PER_FLEET } from './context.js';
export { writeReports, readReport } from './report/write.js';
export { htmlReport } from './report/html.js';
export { junitXml } from './report/junit.js';
export { summaryText, stepTable, survivalTable, expectationTable, populationTable } from './report/text.js';
