/**
 * Escaping of untrusted text (anything read from an audit trail) for the two places a report is
 * shown: an HTML page and a terminal.
 */

const HTML: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/**
 * Escapes text for an HTML element's content or a quoted attribute value. Control characters and
 * bidirectional overrides are shown as `\u{…}` escapes, as on a terminal: they have no business in
 * a report and could reorder what a reviewer reads.
 */
export function escapeHtml(text: unknown): string {
  return String(text)
    .replace(HTML_UNSAFE, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`)
    .replace(/[&<>"'`]/g, (c) => HTML[c] as string);
}

const HTML_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// C0 and C1 controls, DEL, and the Unicode bidirectional controls: an event field could otherwise
// move the cursor, recolour or clear the screen, rewrite the terminal title, or reorder what a
// reviewer reads (the "Trojan Source" trick).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes untrusted text safe to print on a terminal, on one line: control characters (escape
 * sequences included), line breaks and bidirectional overrides are shown as `\u{…}` escapes.
 */
export function escapeTerminal(text: unknown): string {
  return String(text).replace(UNSAFE, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`);
}
