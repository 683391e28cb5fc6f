/**
 * OpenTelemetry for Mandate: an audit sink that emits one `execute_tool` span per guarded call,
 * following the GenAI semantic conventions, with the guard's decision as `mandate.*` attributes.
 * Depends only on `@opentelemetry/api` (a peer); bring your own SDK and exporter.
 * @packageDocumentation
 */
export {
  type OtelAuditSink,
  type OtelAuditSinkOptions,
  otelAuditSink,
  parentFromReasoning,
} from "./otel-audit-sink.js";
