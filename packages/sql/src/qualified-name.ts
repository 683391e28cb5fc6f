/**
 * Splits a dotted SQL name (`hr."Employees".salary`) into its parts. Unquoted parts fold to lower
 * case, as PostgreSQL folds unquoted identifiers; double-quoted parts keep their case, `""` inside
 * quotes stands for one quote, and `*` stands alone as a wildcard part. Returns `undefined` for
 * anything else (empty parts, stray quotes, whitespace), so a typo never silently names another object.
 */
export function splitQualifiedName(text: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let part = "";
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i];
        i++;
      }
      if (part === "") return undefined;
      parts.push(part);
    } else {
      let j = i;
      while (j < text.length && text[j] !== ".") j++;
      const part = text.slice(i, j);
      if (!/^(?:\*|[\p{L}_][\p{L}\p{N}_$]*)$/u.test(part)) return undefined;
      parts.push(part === "*" ? "*" : part.toLowerCase());
      i = j;
    }
    if (i === text.length) return parts;
    if (text[i] !== ".") return undefined;
    i++;
    if (i === text.length) return undefined;
  }
  return parts;
}

/** Quotes an identifier when it would not read back as itself unquoted (for messages and facts). */
export function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
