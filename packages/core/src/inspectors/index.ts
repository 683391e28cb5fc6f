export { type PathInspectorOptions, pathInspector } from "./path-inspector.js";
export { type RecipientsInspectorOptions, recipientsInspector } from "./recipients-inspector.js";
export { type UrlInspectorOptions, urlInspector } from "./url-inspector.js";
