/**
 * Node-only parts of Mandate (they use `node:` modules), kept off the runtime-neutral root entry.
 * @packageDocumentation
 */

export { readAuditLines, type VerifyAuditFileOptions, verifyAuditFile } from "./audit-file.js";
export {
  type FsyncPolicy,
  type JsonlAuditSink,
  type JsonlAuditSinkOptions,
  jsonlAuditSink,
} from "./jsonl-audit-sink.js";
