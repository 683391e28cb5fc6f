/**
 * Conformance suites for Mandate adapters: every `RevocationStore` and `AuditSink` runs the suite
 * of its family, parameterised by a factory. The suites call vitest's `describe` and `it`; import
 * them from a vitest test file.
 * @packageDocumentation
 */
export { type AuditChain, type AuditChainOptions, auditChain } from "./audit-chain.js";
export {
  AUDIT_SINK_TESTS,
  type AuditReadBack,
  type AuditSinkFactory,
  type AuditSinkOutage,
  type DescribeAuditSinkOptions,
  describeAuditSink,
} from "./describe-audit-sink.js";
export {
  type DescribeRevocationStoreOptions,
  describeRevocationStore,
  REVOCATION_STORE_TESTS,
  type RevocationStoreFactory,
} from "./describe-revocation-store.js";
export { type TcpOutage, type TcpProxy, type TcpProxyOptions, tcpProxy } from "./tcp-proxy.js";
