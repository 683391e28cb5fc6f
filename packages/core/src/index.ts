/**
 * Mandate core: per-instance agent identity, declared intent, and guarded tool calls.
 * Runtime-neutral: no `node:` imports here (Node-only parts live in `@mandate/core/node`).
 * @packageDocumentation
 */

export { linkSignals } from "./abort-signals.js";
export { type Access, type Inspector, uninspectable } from "./access.js";
export {
  type ApprovalRequest,
  type ApprovalVerdict,
  type Approver,
  type PendingApproval,
  PendingApprovalSchema,
} from "./approval.js";
export type { AuditEvent, AuditEventType, AuditSink, KeptValue, ReasoningLink } from "./audit/audit-event.js";
export { AuditEventSchema, auditEventJsonSchema } from "./audit/audit-event-schema.js";
export type {
  AuditQueueOptions,
  CheckpointSigner,
  EventBuilder,
  UnsealedEvent,
} from "./audit/audit-queue.js";
export { eventHash, eventLine, genesisHash, lineHashHolds } from "./audit/chain.js";
export { type MemoryAuditSink, memoryAuditSink } from "./audit/memory-audit-sink.js";
export { isSecretName, keep, looksSecret, type Retention, redact } from "./audit/redact.js";
export {
  type StreamSummary,
  type TrailProblem,
  type TrailProblemKind,
  type TrailVerification,
  type VerifyTrailOptions,
  verifyAuditEvents,
  verifyAuditLines,
} from "./audit/verify-trail.js";
export {
  AgentContext,
  type CallOptions,
  type GuardedTool,
  type ToolCall,
  type ToolRun,
} from "./context.js";
export { type Decision, type Effect, isDeviation, type Reason, type ReasonCode } from "./decision.js";
export { canonicalJson, digestText, digestValue } from "./digest.js";
export { type Duration, toMillis } from "./duration.js";
export { DeniedError, type FieldIssue, MandateError, type MandateErrorCode } from "./errors.js";
export type { Grant } from "./grant.js";
export type { CallRecord, Provenance } from "./history.js";
export { newId } from "./ids.js";
export {
  type PathInspectorOptions,
  pathInspector,
  type RecipientsInspectorOptions,
  recipientsInspector,
  type UrlInspectorOptions,
  urlInspector,
} from "./inspectors/index.js";
export {
  CallRegistry,
  type CallRegistryOptions,
  type CallState,
  type Runner,
  TrackedCall,
} from "./integration/call-registry.js";
export {
  type AuditOptions,
  createMandate,
  type Mandate,
  type MandateEvents,
  type MandateOptions,
  type PendingResolution,
  type ResolvedIntentInput,
} from "./mandate.js";
export {
  type TrustedArgumentsOptions,
  trustedArguments,
  type UntrustedEgressOptions,
  untrustedEgress,
} from "./policies/index.js";
export type { Policy, PolicyInput, PolicyVerdict } from "./policy.js";
export {
  type AgentSection,
  type ApprovalResult,
  buildIntentReport,
  createIntentReportBuilder,
  escapeHtml,
  escapeTerminal,
  type IntentReport,
  type IntentReportBuilder,
  type IntentReportOptions,
  type IntentSection,
  type RenderHtmlOptions,
  type RenderTextOptions,
  type ReportAccess,
  type ReportAgentRef,
  type ReportApproval,
  type ReportCall,
  type ReportContextRef,
  type ReportCounts,
  type ReportDataClasses,
  type ReportDenial,
  type ReportDeviation,
  type ReportLifecycle,
  type ReportProblem,
  type ReportReason,
  type ReportScopeEntry,
  type ReportStatus,
  type ReportTimelineEntry,
  type ReportTreeNode,
  type ReportVerification,
  renderReportHtml,
  renderReportText,
} from "./report/index.js";
export {
  type Clamped,
  clampToCeiling,
  explicitResolver,
  type IntentResolver,
  type ModelRequest,
  modelResolver,
  type Proposal,
  ProposalSchema,
  type PurposeTemplate,
  type ResolutionRequest,
  templateResolver,
} from "./resolve/intent-resolver.js";
export {
  type MemoryRevocationStoreOptions,
  memoryRevocationStore,
} from "./revocation/memory-revocation-store.js";
export type {
  ContextState,
  ContextStatus,
  RevocationStore,
  StatusListener,
} from "./revocation/revocation-store.js";
export { AgentIdentity, IdentityInput } from "./schema/identity.js";
export { IntentDeclaration, IntentInput, type Limits, type LimitsInput } from "./schema/intent.js";
export { ArgumentConstraint, Scope, ScopeEntry } from "./schema/scope.js";
export { compileGlob, type Glob, globIncludes } from "./scope/glob.js";
export { type ScopeExcess, scopeExcess, scopeIncludes } from "./scope/scope-includes.js";
export { CHECKPOINT_TOKEN_TYPE, type CheckpointClaims } from "./token/checkpoint-token.js";
export { type ChainLink, CONTEXT_TOKEN_TYPE } from "./token/context-token.js";
export { IDENTITY_TOKEN_TYPE } from "./token/identity-token.js";
export { CAEP_SESSION_REVOKED, SET_TYPE, type SessionRevoked } from "./token/security-event.js";
export {
  ACCEPTED_ALGORITHMS,
  generateSigningKey,
  type JsonWebKeySet,
  type SigningAlgorithm,
  type SigningKey,
} from "./token/signing-key.js";
export type { TokenOptions } from "./token/token-service.js";
export { type AnyTool, defineTool, type ToolDefinition, type ToolOutput } from "./tool.js";
