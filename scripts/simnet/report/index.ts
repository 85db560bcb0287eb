/** The report of simulation runs: measurements in, summary, CSV, JSON and SVG plots out. */
export type {
  NodeMeasurement,
  RoundMeasurement,
  RunMeasurements,
  ValidationCount,
  Variant,
} from './model.ts';
export { NOT_HELD, ReportError, validateMeasurements } from './model.ts';
export type { Distribution, NodeSummary, RoundSummary, RunSummary, Totals } from './summary.ts';
export { percentile, summarize } from './summary.ts';
export { csvField, csvTable } from './csv.ts';
export { PLOT_FILES, PLOT_GUIDE } from './plots.ts';
export type { ComparisonRow, RunReport, RunReportOptions } from './report.ts';
export {
  comparisonTable,
  CSV_FILES,
  formatComparison,
  printComparison,
  RESULTS_FILE,
  writeRunReport,
} from './report.ts';
