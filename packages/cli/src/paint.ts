/** ANSI colours for the CLI's own output, or none. */
export interface Paint {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const id = (s: string) => s;

/** The palette: colours when `on`, identity functions otherwise. */
export function paint(on: boolean): Paint {
  return on
    ? { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) }
    : { red: id, green: id, yellow: id, dim: id, bold: id };
}
