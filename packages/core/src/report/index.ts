/**
 * Intent-based audit reports: what each agent instance declared versus what it touched, built from
 * audit events, and rendered as terminal text or a self-contained HTML page. Runtime-neutral.
 */
export {
  buildIntentReport,
  createIntentReportBuilder,
  type IntentReportBuilder,
} from "./build-intent-report.js";
export { escapeHtml, escapeTerminal } from "./escape.js";
export { type RenderHtmlOptions, renderReportHtml } from "./render-report-html.js";
export { type RenderTextOptions, renderReportText } from "./render-report-text.js";
export type {
  AgentSection,
  ApprovalResult,
  IntentReport,
  IntentReportOptions,
  IntentSection,
  ReportAccess,
  ReportAgentRef,
  ReportApproval,
  ReportCall,
  ReportContextRef,
  ReportCounts,
  ReportDataClasses,
  ReportDenial,
  ReportDeviation,
  ReportLifecycle,
  ReportProblem,
  ReportReason,
  ReportScopeEntry,
  ReportStatus,
  ReportTimelineEntry,
  ReportTreeNode,
  ReportVerification,
} from "./report-types.js";
